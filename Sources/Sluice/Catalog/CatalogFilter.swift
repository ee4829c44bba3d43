/// Decides, before anything is read, whether a listed job is processed: `sluice run --resume`
/// leaves out the files the results store already holds. Called once per job (after the
/// shard), on the walk's thread for a stream (`CatalogStream(shard:keep:)`), on the caller's for
/// a complete catalog (`Catalog.keeping`).
public typealias CatalogFilter = @Sendable (FileJob) -> Bool

extension Catalog {
    /// The catalog with only the jobs `keep` returns true for, in the same order; their indices
    /// are renumbered `0 ..< count` in the same relative given order, so `--ordered` still works.
    public func keeping(_ keep: CatalogFilter) -> Catalog {
        var kept = jobs.filter(keep)
        // The rank of each kept job's given position among the kept ones.
        let ranks = Dictionary(uniqueKeysWithValues: kept.map(\.index).sorted().enumerated().map { ($1, $0) })
        for position in kept.indices { kept[position].index = ranks[kept[position].index]! }
        return Catalog(jobs: kept, problems: problems)
    }
}
