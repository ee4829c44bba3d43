import Foundation

/// The files of a run: regular files to read, and what could not be listed.
///
/// Built once, before any reading, from the command-line paths and an optional `--files-from`
/// list. See docs/catalog-and-reader.md for the walk rules.
public struct Catalog: Sendable {
    /// The regular files, in `CatalogOptions.order`. `index` is each job's position in the
    /// given order among these jobs (`0 ..< jobs.count`, after sharding), so it doubles as a
    /// dense file id and `--ordered` output can sort by it.
    public var jobs: [FileJob]
    /// Paths that were skipped, vanished, changed or failed while listing, in given order.
    public var problems: [FileProblem]
    /// CPU time the listing used on the thread that walked, and on the helpers that read
    /// directories ahead of it (`build`; 0 for a catalog made from parts).
    public var listingCPUSeconds: Double = 0
    public var listingHelpersCPUSeconds: Double = 0

    /// A catalog from parts (for tests and for callers that list files themselves).
    public init(jobs: [FileJob], problems: [FileProblem]) {
        self.jobs = jobs
        self.problems = problems
    }

    /// The sum of the jobs' listed sizes.
    public var totalBytes: UInt64 { jobs.reduce(0) { $0 &+ $1.size } }

    /// Lists `paths` and then the entries of `options.filesFrom`.
    ///
    /// Every per-path difficulty (missing, unreadable, special file, loop, dangling link,
    /// vanished mid-walk) becomes a `FileProblem` and the listing goes on.
    /// - Throws: `CatalogSetupError` only when the `--files-from` list cannot be read.
    public static func build(paths: [RawPath], options: CatalogOptions) throws -> Catalog {
        var arguments = paths
        if let list = options.filesFrom {
            arguments += try FilesFromList.read(from: list, nulSeparated: options.filesFromNulSeparated)
        }
        let cpuStarted = ThreadCPUTime.seconds()
        var options = options
        // Size order needs every size before the first read.
        if options.order == .size { options.statusAtOpen = false }
        var walker = DirectoryWalker(options: options)
        walker.visit(arguments: arguments)
        let helpersCPU = walker.finishReading()
        var jobs = walker.files
        var problems = walker.problems
        if let shard = options.shard {
            jobs.removeAll { !shard.contains($0.path) }
            problems.removeAll { !shard.contains($0.path) }
        }
        for position in jobs.indices {
            jobs[position].index = position
        }
        sort(&jobs, by: options.order)
        var catalog = Catalog(jobs: jobs, problems: problems)
        catalog.listingCPUSeconds = ThreadCPUTime.seconds() - cpuStarted
        catalog.listingHelpersCPUSeconds = helpersCPU
        return catalog
    }

    /// Walks `paths` (then `options.filesFrom`) into `stream` in given order, closing it at the
    /// end; for a run whose readers start while the walk goes on (`options.order` is ignored:
    /// a stream is in given order). The `--files-from` list is read first, here.
    /// - Throws: `CatalogSetupError` only when the `--files-from` list cannot be read (the stream
    ///   is then left open: the caller does not run).
    public static func walk(paths: [RawPath], options: CatalogOptions, into stream: CatalogStream) throws -> () -> Void {
        var arguments = paths
        if let list = options.filesFrom {
            arguments += try FilesFromList.read(from: list, nulSeparated: options.filesFromNulSeparated)
        }
        return {
            // Named from inside the thread, for `perf --sort comm` and debuggers (a name set on
            // a Thread before it starts does not reach the kernel on Linux).
            Thread.current.name = "sluice-walk"
            let started = StageClock.now()
            let cpuStarted = ThreadCPUTime.seconds()
            var walker = DirectoryWalker(options: options)
            walker.stream = stream
            // Found files are handed out after each chunk of arguments and inside each directory.
            walker.visit(arguments: arguments)
            let helpersCPU = walker.finishReading()
            stream.close(listingSeconds: Double(StageClock.now() - started) / 1e9,
                         cpuSeconds: ThreadCPUTime.seconds() - cpuStarted, helpersCPUSeconds: helpersCPU)
        }
    }

    /// Puts jobs in `order`; every order is total, so the result is deterministic.
    static func sort(_ jobs: inout [FileJob], by order: CatalogOrder) {
        switch order {
        case .given:
            break
        case .path:
            jobs.sort { ($0.path, $0.index) < ($1.path, $1.index) }
        case .size:
            jobs.sort { lhs, rhs in
                if lhs.size != rhs.size { return lhs.size > rhs.size }
                return (lhs.path, lhs.index) < (rhs.path, rhs.index)
            }
        }
    }
}
