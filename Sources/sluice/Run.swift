import ArgumentParser
import Foundation
import Sluice

/// `sluice run`: hash (or otherwise compute over) a batch of files and print one result each.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a kernel over files and directories; print one result per file.",
        discussion: """
            Exit status: 0 every file processed; 1 some files failed (each reported, the rest done); \
            2 usage or setup error; 3 the results could not be written (e.g. no space left on the \
            output's device); 130 interrupted (results written so far are complete).
            """)

    @Argument(help: "Files and directories (walked recursively); - is standard input. A FIFO or character device named here (e.g. <(cmd)) is read as a stream; those met while walking are skipped.")
    var paths: [String] = []

    @OptionGroup var kernelOptions: KernelOptions

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(name: .long, help: "Output format: b3sum (HEX  PATH lines; the default for --kernel blake3) or jsonl (one JSON object per file; the default, and the only format, for the other kernels).")
    var format: FormatName?

    /// The format in use: `--format`, else the kernel's own.
    var outputFormat: OutputFormat { format ?? (kernelOptions.kernel == .blake3 ? .b3sum : .jsonl) }

    @Flag(name: [.customShort("z"), .long], help: "End b3sum records with NUL instead of newline, without escaping names.")
    var zero = false

    @Flag(name: .long, help: "Write BSD-style lines, BLAKE3 (PATH) = HEX (sha256sum --tag); check reads them.")
    var tag = false

    @Flag(name: .long, help: "Write the digests alone, without names (b3sum --no-names).")
    var noNames = false

    @OptionGroup var hashMode: HashModeOptions

    @Option(name: [.short, .long], parsing: .unconditional,
            help: "Output bytes per digest (BLAKE3 extended output; default 32, at most \(Run.maximumLength)).")
    var length: Int?

    @Option(name: [.short, .long], help: ArgumentHelp(
        "Write the results to FILE, replacing it only when the run is over (a new file beside it, renamed over it); FILE and the new file are left out of the walk.",
        valueName: "FILE"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp(
        "Leave out entries met while walking that match PATTERN (shell wildcards; repeatable): against each name, or with a / against the whole path as printed; an excluded directory is not entered.",
        valueName: "PATTERN"))
    var exclude: [String] = []

    @Flag(name: [.customShort("x"), .long], help: "Do not enter directories on other file systems than the argument they were found under.")
    var oneFileSystem = false

    @Option(name: .long, help: "Read more paths from FILE (- for standard input), one per line.")
    var filesFrom: String?

    @Flag(name: [.customShort("0"), .long], help: "--files-from entries are NUL-separated.")
    var null = false

    @Flag(name: [.customShort("L"), .long], help: "Follow symbolic links met while walking directories (loops are detected).")
    var follow = false

    @Option(name: .long, help: "Processing order: given (arguments and walk order, read while the walk goes on; the default), size (largest first) or path; size and path list every file before the first read.")
    var order: CatalogOrder = .given

    @Flag(help: "Result order: --ordered (the default) prints results in the given order of the files (arguments as given, each directory's entries in byte order of their names), so two runs over the same tree print the same lines; --completion-order prints each as its file completes, for consumers that stream.")
    var resultOrder: ResultOrder = .ordered

    @Option(name: .long, parsing: .unconditional,
            help: "Process only shard K of N (K from 0): files whose path hash modulo N is K.")
    var shard: String?

    @Option(name: .long, parsing: .unconditional,
            help: "Reader threads (default: half the cores, 2 to 16; one per core with OpenCL lanes; at most \(Run.maximumThreads)).")
    var readers: Int?

    @Option(name: .long, parsing: .unconditional,
            help: "Compute threads for the CPU backend (default: one per core, at most \(Run.maximumThreads)).")
    var workers: Int?

    @Option(name: .long, parsing: .unconditional,
            help: "Threads that read directories during the walk, ahead of it, results still in given order (default: one per core, at most 8; 1 reads each directory when the walk reaches it).")
    var walkThreads: Int?

    @Option(name: .long, parsing: .unconditional,
            help: "Staging memory bound, e.g. 64M (default 4M, but at least one buffer per reader and worker plus one: staging that stays in the CPU caches is faster than more of it).",
            transform: { try ByteCount(parsing: $0, for: "--memory") })
    var memory: ByteCount = ByteCount(bytes: 4 << 20)

    @Option(name: .long, parsing: .unconditional,
            help: "Staging buffer (batch) size, e.g. 4M (default: the backend's: CPU 1M, PoCL 4M, GPU 32M; at most 1G).",
            transform: { try ByteCount(parsing: $0, for: "--batch-size") })
    var batchSize: ByteCount?

    @Option(name: .long, help: "How to read files: auto (files of 4 MiB or more hashed in place from a mapping while every lane computes on this CPU, the rest read with pread), pread (always copy with pread) or mmap (map every file: in place, or copied out for OpenCL lanes).")
    var read: ReadChoice = .auto

    @Flag(name: [.short, .long], help: "No progress line and no summary on stderr (as --no-progress).")
    var quiet = false

    @Flag(inversion: .prefixedNo, help: "Show the progress line and the closing summary on stderr (default: only when stderr is a terminal, as b3sum prints none to a file or pipe).")
    var progress: Bool?

    @Option(name: .long, help: "Write the run summary as JSON to FILE.")
    var statsJson: String?

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if paths.isEmpty && filesFrom == nil { throw ValidationError("no files given: name files, directories or --files-from") }
        if let length, length < 1 || length > Run.maximumLength {
            throw ValidationError("--length takes 1 to \(Run.maximumLength) output bytes per file; \(length) is out of range")
        }
        let blake3Options = [(length != nil, "--length"), (hashMode.keyed, "--keyed"), (hashMode.deriveKey != nil, "--derive-key"),
                             (tag, "--tag"), (noNames, "--no-names"), (zero, "--zero")].filter(\.0).map(\.1)
        try kernelOptions.validate(blake3Options: blake3Options, format: format)
        if hashMode.keyed && hashMode.keyFile == nil && filesFrom == "-" {
            throw ValidationError("--keyed reads its key from standard input, and so does --files-from -: give --key-file")
        }
        let standardInput = paths.filter { $0 == "-" }.count
        if standardInput > 1 { throw ValidationError("- (standard input) is named more than once; it can be read only once") }
        if standardInput == 1 && filesFrom == "-" {
            throw ValidationError("- (standard input) is named as a file, and --files-from - reads its list from it too")
        }
        if standardInput == 1 && hashMode.keyed && hashMode.keyFile == nil {
            throw ValidationError("--keyed reads its key from standard input, and - (standard input) is named as a file: give --key-file")
        }
        if (tag || noNames) && outputFormat != .b3sum { throw ValidationError("--tag and --no-names apply to --format b3sum only") }
        if tag && noNames { throw ValidationError("--tag writes names; it cannot be used with --no-names") }
        if zero && outputFormat != .b3sum { throw ValidationError("--zero applies to --format b3sum only") }
        if let readers, !(1...Run.maximumThreads).contains(readers) {
            throw ValidationError("--readers takes 1 to \(Run.maximumThreads) threads; \(readers) is out of range")
        }
        if let workers, !(1...Run.maximumThreads).contains(workers) {
            throw ValidationError("--workers takes 1 to \(Run.maximumThreads) threads; \(workers) is out of range")
        }
        if let walkThreads, !(1...Run.maximumThreads).contains(walkThreads) {
            throw ValidationError("--walk-threads takes 1 to \(Run.maximumThreads) threads; \(walkThreads) is out of range")
        }
        if let batchSize, batchSize.bytes > Run.maximumBatchBytes {
            throw ValidationError("--batch-size \(RunSummary.formatBytes(UInt64(batchSize.bytes))) is larger than the most a batch can be (1 GiB)")
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        if UInt64(memory.bytes) > physical {
            throw ValidationError("--memory \(RunSummary.formatBytes(UInt64(memory.bytes))) is more than this machine's memory (\(RunSummary.formatBytes(physical)))")
        }
        if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard takes K/N with 0 <= K < N, e.g. 0/4; '\(shard)' is not that")
        }
    }

    /// Reader threads when `--readers` is not given, by measurement (docs/performance.md): on 16
    /// cores std8k on the CPU took 0.57–0.73 s with 1 reader, 0.32–0.39 s with 2, 0.22 s with 4
    /// and 0.14–0.16 s with 8 or 16, so half the cores, at least 2, at most 16; with OpenCL lanes,
    /// which compute off the host's cores, one per core (at most 16).
    static func defaultReaders(cores: Int, withOpenCL: Bool) -> Int {
        max(2, min(16, withOpenCL ? cores : cores / 2))
    }

    /// Most output bytes per file (`--length`): a digest is held whole until written.
    static let maximumLength = 65536
    /// Most reader or compute threads.
    static let maximumThreads = 256
    /// Largest staging buffer (`--batch-size`).
    static let maximumBatchBytes = 1 << 30

    func run() throws {
        let mode = try hashMode.mode(length: length ?? 32)
        // Opened, and the run recorded, before any work: a store that cannot be used is exit 2.
        let runStore = try storeOptions.db.map { _ in
            try RunStore(options: storeOptions, kernel: kernelOptions.kernel(mode: mode), shard: shard)
        }
        var catalogOptions = CatalogOptions()
        catalogOptions.follow = follow
        catalogOptions.order = order
        catalogOptions.filesFromNulSeparated = null
        if let filesFrom { catalogOptions.filesFrom = RawArguments.recover([filesFrom])[0] }
        if let shard { catalogOptions.shard = Shard(parsing: shard) }
        catalogOptions.exclude = exclude
        catalogOptions.readsStreams = true
        catalogOptions.standardInputTaken = filesFrom == "-" || (hashMode.keyed && hashMode.keyFile == nil)
        catalogOptions.oneFileSystem = oneFileSystem
        if let walkThreads { catalogOptions.walkThreads = walkThreads }
        // Before anything is created that an interrupt must clean up (`-o`'s new file).
        let interrupt = InterruptFlag.install()
        // Created before the walk, so that the new file is left out of it.
        let resultsFile = try output.map { try ResultsFile(replacing: RawArguments.recover([$0])[0]) }
        catalogOptions.excludedFiles = (resultsFile?.excludedFiles ?? []).union(runStore?.excludedFiles ?? [])
        // `sluice run . > sums.b3` inside the tree: the file standard output goes to is this
        // run's output, not one of its inputs.
        var standardOutput = stat()
        if resultsFile == nil, fstat(1, &standardOutput) == 0, standardOutput.st_mode & S_IFMT == S_IFREG {
            catalogOptions.excludedFiles.insert(FileIdentity(device: UInt64(standardOutput.st_dev),
                                                             inode: UInt64(standardOutput.st_ino)))
        }
        // Nothing of a file is needed before it is read: the walk lists regular files by their
        // entries, and the readers take what `stat` would have said when they open them (one
        // name lookup a file less: tiny, 20 000 files of 4 KiB, docs/performance.md). Size order
        // needs the sizes first, a resume the listed sizes and mtimes, the progress line the bytes.
        catalogOptions.statusAtOpen = order != .size && runStore?.filter == nil && !showsProgress
        let roots = RawArguments.recover(paths)
        do {
            try run(catalogOptions: catalogOptions, kernel: kernelOptions.kernel(mode: mode), resultsFile: resultsFile,
                    runStore: runStore, interrupt: interrupt)
            try resultsFile?.commit()
            try runStore?.finish(exitStatus: 0, roots: roots, shard: catalogOptions.shard, quiet: quiet)
        } catch let exit as ExitCode where exit.rawValue == 1 {
            // Some files failed: the list is complete all the same (each failure reported).
            try resultsFile?.commit()
            try runStore?.finish(exitStatus: 1, roots: roots, shard: catalogOptions.shard, quiet: quiet)
            throw exit
        } catch {
            resultsFile?.discard()
            try? runStore?.finish(exitStatus: RunStore.exitStatus(of: error), roots: roots, shard: catalogOptions.shard,
                                  quiet: quiet)
            throw error
        }
    }

    /// Whether the progress line and the closing summary go to stderr.
    private var showsProgress: Bool { !quiet && (progress ?? (isatty(2) != 0)) }

    private func run(catalogOptions: CatalogOptions, kernel: any ComputeKernel, resultsFile: ResultsFile?,
                     runStore: RunStore?, interrupt: InterruptFlag) throws {

        // Checked before any work: a summary that cannot be written must not cost a whole run.
        let statsFile = try statsJson.map { try StatsFile(creating: RawArguments.recover([$0])[0]) }
        var catalogOptions = catalogOptions
        if let identity = statsFile?.identity { catalogOptions.excludedFiles.insert(identity) }
        // OpenCL lanes start now, on their own thread, while the files are listed.
        let start = try deviceOptions.startLanes(workers: workers, kernel: kernel)
        let readerCount = readers ?? Run.defaultReaders(cores: HostCores.active,
                                                         withOpenCL: start.hasOpenCL)
        let workerCount = workers ?? HostCores.active
        let batchBytes = Pipeline.roundedBatchBytes(batchSize?.bytes ?? CPUBackend.defaultBatchBytes)
        let leastStaging = UInt64(batchBytes) * UInt64(readerCount + workerCount + 1)
        if leastStaging > ProcessInfo.processInfo.physicalMemory / 2 {
            throw SetupError("\(readerCount) readers and \(workerCount) workers with "
                             + "\(RunSummary.formatBytes(UInt64(batchBytes))) batches need at least "
                             + "\(RunSummary.formatBytes(leastStaging)) of staging, more than half of this machine's memory: "
                             + "give fewer threads or a smaller --batch-size")
        }

        // In given order the readers start while the walk goes on; size and path order need the
        // whole list first.
        let stream: CatalogStream
        var walkThread: Thread?
        do {
            if order == .given {
                stream = CatalogStream(shard: catalogOptions.shard, keep: runStore?.filter)
                let walk = try Catalog.walk(paths: RawArguments.recover(paths), options: catalogOptions, into: stream)
                let thread = Thread { walk() }
                thread.name = "sluice-walk"
                thread.start()
                walkThread = thread
            } else {
                // The whole list comes before the first read: the OpenCL start overlaps it.
                start.beginStarting()
                let listingStarted = StageClock.now()
                var catalog = try Catalog.build(paths: RawArguments.recover(paths), options: catalogOptions)
                if let keep = runStore?.filter { catalog = catalog.keeping(keep) }
                stream = CatalogStream(catalog: catalog, listingSeconds: Double(StageClock.now() - listingStarted) / 1e9)
            }
        } catch {
            throw SetupError("\(error)")
        }
        _ = walkThread

        let (lanes, laneWarnings) = try start.lanes()
        var configuration = RunConfiguration()
        configuration.kernel = kernel
        configuration.readers = readerCount
        configuration.memoryBytes = memory.bytes
        configuration.batchBytes = batchSize?.bytes
        configuration.readStrategy = read.strategy
        configuration.ordered = resultOrder == .ordered
        configuration.progress = showsProgress

        let output = Sluice.OutputStream(fd: resultsFile?.fd ?? 1)
        var sink: ResultSink = switch outputFormat {
        case .b3sum: B3SumSink(output: output, zero: zero, style: tag ? .tag : noNames ? .digestOnly : .standard)
        case .jsonl: JSONLinesSink(output: output, kernel: kernel, device: start.name(of: lanes))
        }
        if let directory = kernelOptions.framesNpy { sink = try FramesNPYSink(inner: sink, directory: directory) }
        if let runStore { sink = runStore.sink(wrapping: sink, device: start.name(of: lanes)) }
        let pipeline = Pipeline(stream: stream, lanes: lanes, configuration: configuration, sink: sink,
                                cancellation: Cancellation(external: { interrupt.isSet }))
        var summary = try pipeline.run()
        summary.warnings = laneWarnings + summary.warnings + start.printLateWarnings()
        summary.interrupted = interrupt.isSet
        summary.filesListed = stream.snapshot.count
        if showsProgress { Diagnostics.write(summary.text) }
        if let statsFile {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try statsFile.write(try encoder.encode(summary))
        }
        if interrupt.isSet { throw ExitCode(130) }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}

/// The order results are printed in.
enum ResultOrder: String, EnumerableFlag {
    /// The given order of the files (the reorder buffer holds results, never file data).
    case ordered
    /// As files complete.
    case completionOrder
}

/// Output formats `--format` accepts.
typealias FormatName = OutputFormat
extension OutputFormat: ArgumentChoice {}
extension CatalogOrder: ArgumentChoice {}

/// `--read` choices.
enum ReadChoice: String, ArgumentChoice {
    case auto, pread, mmap

    var strategy: ReadStrategy {
        switch self {
        case .auto: return .automatic
        case .pread: return .pread
        case .mmap: return .mmap
        }
    }
}

/// An error before any work (exit status 2).
struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
