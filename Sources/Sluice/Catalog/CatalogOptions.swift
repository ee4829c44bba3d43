/// The order in which the catalog hands out its jobs.
public enum CatalogOrder: String, Sendable, CaseIterable {
    /// Largest file first, ties broken by path bytes: the long files start early, so the tail
    /// of a run (one core busy, the others idle) is short. The default.
    case size
    /// Bytewise path order: reproducible listings independent of sizes.
    case path
    /// Argument order, each directory's walk in name order at its place.
    case given
}

/// What the catalog lists and how.
public struct CatalogOptions: Sendable {
    /// Follow symbolic links met during the walk (named ones are always followed).
    /// Directory loops are then detected by (device, inode) and reported once.
    public var follow = false
    /// The order of `Catalog.jobs`.
    public var order: CatalogOrder = .size
    /// Keep only this shard of the files (`--shard K/N`); `nil` keeps everything.
    public var shard: Shard?
    /// A file listing more paths, one per line (or per NUL, see `filesFromNulSeparated`);
    /// `-` reads standard input. Its entries behave like arguments and come after them.
    public var filesFrom: RawPath?
    /// Entries of `filesFrom` are separated by NUL bytes instead of newlines (`-0`), which
    /// allows names that contain newlines.
    public var filesFromNulSeparated = false

    /// Defaults: no following, largest first, no shard, no list file.
    public init() {}
}
