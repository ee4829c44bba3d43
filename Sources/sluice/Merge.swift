import ArgumentParser
import Foundation
import Sluice
import SluiceStore

/// `sluice merge`: several results stores (the shards of a cluster run) into one (docs/results.md).
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Copy the runs and results of results stores IN… into the store OUT (created if missing).",
        discussion: """
            A result whose path and kernel fingerprint OUT already holds is never overwritten: the same outcome \
            is a duplicate, another outcome a conflict, kept in OUT's merge_conflicts table; each is reported on \
            stderr. Exit status: 0 merged (duplicates are warnings); 1 merged, with conflicts; 2 usage or setup \
            error (a store that cannot be read or written, OUT among IN), before anything is merged; 3 OUT could \
            not be written while merging (the stores merged before stay merged).
            """)

    @Argument(help: ArgumentHelp("The store to merge into.", valueName: "OUT"))
    var out: String

    @Argument(help: ArgumentHelp("The stores to merge, in order: the first to hold a file's result wins.", valueName: "IN"))
    var sources: [String] = []

    @Flag(name: [.short, .long], help: "No line per duplicate and no closing line (conflicts are still reported).")
    var quiet = false

    func validate() throws {
        if sources.isEmpty { throw ValidationError("no store to merge: name OUT and at least one IN") }
    }

    func run() throws {
        let target: ResultsStore
        var inputs: [ResultsStore] = []
        do {
            let outIdentity = FileIdentity(path: RawPath(out))
            var seen = Set<FileIdentity>()
            for source in sources {
                let identity = FileIdentity(path: RawPath(source))
                if let identity, identity == outIdentity {
                    throw StoreError(label: source, reason: "is OUT itself")
                }
                if let identity, !seen.insert(identity).inserted { throw StoreError(label: source, reason: "is named twice") }
                inputs.append(try ResultsStore(path: source, label: source, access: .read))
            }
            target = try ResultsStore(path: out, label: out, access: .write)
        } catch let error as StoreError {
            throw SetupError(error.description)
        }
        let merge: StoreMerge
        do {
            merge = try StoreMerge(into: target, sources: inputs)
            try target.close(checkpointing: true)
        } catch let error as StoreError {
            throw OutputError(message: error.description)
        }
        var duplicates = 0
        var conflicts = 0
        for clash in merge.clashes {
            let path = String(decoding: B3SumFormat.displayName(clash.path), as: UTF8.self)
            switch clash.kind {
            case .duplicate:
                duplicates += 1
                if !quiet { Diagnostics.line("sluice: merge: \(clash.source): \(path): duplicate of the result from \(clash.keptFrom) ('\(clash.fingerprint)')") }
            case .conflict:
                conflicts += 1
                Diagnostics.line("sluice: merge: \(clash.source): \(path): conflict: kept the result from \(clash.keptFrom), "
                                 + "this one is in merge_conflicts ('\(clash.fingerprint)')")
            }
        }
        if !quiet {
            Diagnostics.line("sluice: merge: \(out): " + CheckTally.counted(inputs.count, "store", "stores") + ", "
                             + CheckTally.counted(merge.runsCopied, "run", "runs") + " and "
                             + CheckTally.counted(merge.added, "result", "results") + " added, "
                             + CheckTally.counted(duplicates, "duplicate", "duplicates") + ", "
                             + CheckTally.counted(conflicts, "conflict", "conflicts"))
        }
        if conflicts > 0 { throw ExitCode(1) }
    }
}
