import ArgumentParser
import Foundation
import Sluice
import SluiceStore

/// `run`'s results-store options: `--db`, `--resume`, `--update` (docs/results.md).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Also record every result in the SQLite results store FILE (created if missing; WAL mode), with the run and each file's identity; see sluice audit, export and merge.",
        valueName: "FILE"))
    var db: String?

    @Flag(name: .long, help: "With --db: leave out, before reading, every file whose result the store already holds for this kernel and its parameters with the same path, size, mtime, device and inode (to finish a run that was killed).")
    var resume = false

    @Flag(name: .long, help: "With --db: as --resume, and report each file that is new or changed since the store's result, and mark the stored files under PATHS that are gone as vanished.")
    var update = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "With --db: results per committed batch (default \(StoreOptions.defaultBatchRows); a batch is also committed once its first result is 1 s old).",
        valueName: "ROWS"))
    var dbBatch: Int?

    /// Results per batch when `--db-batch` is not given.
    static let defaultBatchRows = 1024

    func validate() throws {
        if (resume || update) && db == nil { throw ValidationError("--\(update ? "update" : "resume") needs --db FILE") }
        if let dbBatch {
            guard db != nil else { throw ValidationError("--db-batch needs --db FILE") }
            guard (1...1_000_000).contains(dbBatch) else {
                throw ValidationError("--db-batch takes 1 to 1000000 results; \(dbBatch) is out of range")
            }
        }
    }

    /// `run`, `resume` or `update`.
    var mode: String { update ? "update" : resume ? "resume" : "run" }
}

/// A run's use of the store: opened and its run row written before any work; the catalog's
/// filter; the sink; and the run's end (counts, status, vanished files, the report on stderr).
final class RunStore {
    let store: ResultsStore
    let run: Int64
    let fingerprint: KernelFingerprint
    let options: StoreOptions
    /// What the store holds for this fingerprint, when the run leaves those files out.
    let stored: StoredFiles?
    private var writer: ResultsWriter?
    private var device = ""

    /// Opens the store, loads what `--resume`/`--update` compare with, and adds the run's row.
    /// - Throws: `SetupError` (exit 2) `--db FILE: why`.
    init(options: StoreOptions, kernel: any ComputeKernel, shard: String?) throws {
        let path = options.db!
        self.options = options
        fingerprint = KernelFingerprint(kernel)
        do {
            store = try ResultsStore(path: path, label: "--db \(path)", access: .write)
            stored = options.resume || options.update ? try StoredFiles(store: store, fingerprint: fingerprint) : nil
            run = try store.beginRun(RunDescription(commandLine: CommandLine.arguments, fingerprint: fingerprint,
                                                    mode: options.mode, shard: shard))
        } catch let error as StoreError {
            throw SetupError(error.description)
        }
    }

    /// The catalog's filter: nil when every file is to be computed.
    var filter: CatalogFilter? { stored?.filter }

    /// `sink`, with every result also written to the store.
    func sink(wrapping sink: ResultSink, device: String) -> ResultSink {
        self.device = device
        let writer = ResultsWriter(store: store, run: run, fingerprint: fingerprint,
                                   batchRows: options.dbBatch ?? StoreOptions.defaultBatchRows)
        self.writer = writer
        return StoreSink(inner: sink, writer: writer)
    }

    /// Ends the run's row with `exitStatus`; for `--update`, first marks the vanished files; and
    /// unless `quiet`, reports on stderr what `--resume`/`--update` found.
    /// - Throws: `OutputError` (exit 3) when the store cannot be written.
    func finish(exitStatus: Int32, roots: [RawPath], shard: Shard?, quiet: Bool) throws {
        do {
            try? writer?.close()
            var counts = writer?.committed ?? RunCounts()
            var lines: [String] = []
            if let stored {
                let decisions = stored.decisions
                counts.reused = decisions.filter { $0.verdict == .unchanged }.count
                if options.update {
                    let vanished = exitStatus == 130 ? [] : stored.vanished(roots: roots, shard: shard)
                    try store.markVanished(vanished, fingerprint: fingerprint.text, run: run)
                    counts.new = decisions.filter { $0.verdict == .new }.count
                    counts.changed = decisions.filter { $0.verdict == .changed }.count
                    counts.vanished = vanished.count
                    for (path, verdict) in decisions where verdict == .new || verdict == .changed {
                        lines.append("sluice: update: \(verdict.rawValue): \(path)")
                    }
                    lines += vanished.map { "sluice: update: vanished: \($0)" }
                    lines.append("sluice: \(store.label): run \(run): \(counts.reused) unchanged, \(counts.changed) changed, "
                                 + "\(counts.new) new, \(counts.vanished) vanished")
                } else {
                    lines.append("sluice: \(store.label): run \(run): "
                                 + CheckTally.counted(counts.reused, "file already stored was", "files already stored were")
                                 + " left out, \(counts.computed + counts.failed) written")
                }
            }
            try store.setDevice(device, run: run)
            try store.finishRun(run, status: Self.status(exitStatus), exitStatus: exitStatus, counts: counts)
            try store.close()
            if !quiet { lines.forEach(Diagnostics.line) }
        } catch let error as StoreError {
            throw OutputError(message: error.description)
        }
    }

    /// The run status of an exit status.
    static func status(_ exitStatus: Int32) -> RunStatus {
        switch exitStatus {
        case 0: .complete
        case 1: .failed
        case 130: .interrupted
        default: .error
        }
    }
}

extension RunStore {
    /// The store's file and its WAL and index beside it: never listed by the walk (a store kept
    /// inside the tree it records is not one of its files).
    var excludedFiles: Set<FileIdentity> {
        Set(["", "-wal", "-shm"].compactMap { FileIdentity(path: RawPath(store.path + $0)) })
    }

    /// The exit status `error` leads to (docs/cli.md), for the run's row.
    static func exitStatus(of error: Error) -> Int32 {
        switch error {
        case let exit as ExitCode: exit.rawValue
        case is SetupError, is DeviceSelectionError, is LaneSetupError, is ValidationError: 2
        case is OutputError: 3
        default: 1
        }
    }
}
