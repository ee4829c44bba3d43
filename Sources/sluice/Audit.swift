import ArgumentParser
import Foundation
import Sluice
import SluiceStore

/// `sluice audit`: hash the tree and compare it with the results store, as `hashdeep -a`
/// compares a tree with a list of known hashes (docs/results.md).
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Compare files and directories with a results store: matched, changed, moved, new, missing.",
        discussion: """
            Every file under PATHS is hashed and compared with the store's ok results of the same kernel \
            parameters (blake3, --length, --keyed, --derive-key) whose paths are PATHS or below them. One line \
            per file that did not match (PATH: changed | moved from OLD | new | missing | unreadable; with \
            --verbose also PATH: matched), then 'sluice: audit passed' or 'sluice: audit failed' and the counts, \
            as hashdeep -a prints them. Exit status: 0 audit passed (every file matched, every known file found); \
            1 audit failed; 2 usage or setup error (the store cannot be read, or holds no result of these \
            parameters); 3 the report could not be written; 130 interrupted.
            """)

    @Option(name: .long, help: ArgumentHelp("The results store to compare with.", valueName: "FILE"))
    var db: String

    @Argument(help: "Files and directories (walked recursively), named as the run that wrote the store named them.")
    var paths: [String] = []

    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var hashMode: HashModeOptions

    @Option(name: [.short, .long], parsing: .unconditional, help: "Output bytes per digest, as given to the run (default 32).")
    var length: Int?

    @Flag(name: [.short, .long], help: "Print no line per file, only the verdict and the counts.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Print a line for every file, matched ones included.")
    var verbose = false

    func validate() throws {
        if paths.isEmpty { throw ValidationError("no files given: name the files and directories to audit") }
        if let length, length < 1 || length > Run.maximumLength {
            throw ValidationError("--length takes 1 to \(Run.maximumLength) output bytes per file; \(length) is out of range")
        }
        if quiet && verbose { throw ValidationError("--quiet and --verbose exclude each other") }
    }

    func run() throws {
        let kernel = BLAKE3Kernel(mode: try hashMode.mode(length: length ?? 32))
        let fingerprint = KernelFingerprint(kernel)
        let store: ResultsStore
        let stored: [StoredResult]
        do {
            store = try ResultsStore(path: db, label: "--db \(db)", access: .read)
            stored = try store.results(fingerprint: fingerprint.text)
            if stored.isEmpty {
                let held = try store.fingerprints().map { "'\($0.fingerprint)'" }
                throw StoreError(label: store.label, reason: "holds no result of '\(fingerprint.text)'"
                                 + (held.isEmpty ? "" : " (it holds \(held.joined(separator: ", ")): give the run's --keyed, --derive-key or --length)"))
            }
        } catch let error as StoreError {
            throw SetupError(error.description)
        }
        let interrupt = InterruptFlag.install()
        let roots = RawArguments.recover(paths)
        var options = CatalogOptions()
        options.order = .given
        options.excludedFiles = Set(["", "-wal", "-shm"].compactMap { FileIdentity(path: RawPath(db + $0)) })
        let catalog: Catalog
        do {
            catalog = try Catalog.build(paths: roots, options: options)
        } catch {
            throw SetupError("\(error)")
        }
        let start = try deviceOptions.startLanes(workers: nil, kernel: kernel)
        var configuration = RunConfiguration()
        configuration.kernel = kernel
        configuration.readers = Run.defaultReaders(cores: HostCores.active, withOpenCL: start.hasOpenCL)
        let sink = AuditSink()
        _ = try Pipeline(catalog: catalog, lanes: try start.lanes().lanes, configuration: configuration, sink: sink,
                         cancellation: Cancellation(external: { interrupt.isSet })).run()
        if interrupt.isSet {
            printError("sluice: audit interrupted; no verdict")
            throw ExitCode(130)
        }
        let audit = StoreAudit(stored: stored, found: sink.results, scope: PathScope(roots: roots))
        let output = Sluice.OutputStream(fd: 1)
        for (path, verdict) in audit.entries where !quiet && (verbose || verdict != .matched) {
            try output.write(B3SumFormat.displayName(path) + Array(": \(Self.words(verdict))\n".utf8))
        }
        let counts = audit.counts
        try output.write("""
            sluice: audit \(audit.passed ? "passed" : "failed")
                    files matched: \(counts.matched)
                    files changed: \(counts.changed)
                      files moved: \(counts.moved)
                  new files found: \(counts.new)
            known files not found: \(counts.missing)
               files not readable: \(counts.unreadable)

            """)
        try output.flush()
        if !audit.passed { throw ExitCode(1) }
    }

    /// A verdict as its line says it.
    static func words(_ verdict: StoreAudit.Verdict) -> String {
        switch verdict {
        case .matched: "matched"
        case .changed: "changed"
        case .new: "new"
        case .missing: "missing"
        case .moved(let from): "moved from " + String(decoding: B3SumFormat.displayName(from), as: UTF8.self)
        case .unreadable: "unreadable"
        }
    }
}

/// Keeps the tree's results for the comparison, and says on stderr why a file could not be
/// read (as run does).
final class AuditSink: ResultSink {
    private(set) var results: [FileResult] = []

    func write(_ result: FileResult) throws {
        if let problem = result.problem {
            let prefix = problem.kind == .error ? "" : "\(problem.kind.rawValue): "
            Diagnostics.line("sluice: \(problem.path): \(prefix)\(problem.message)")
        }
        results.append(result)
    }

    func finish() throws {}
}
