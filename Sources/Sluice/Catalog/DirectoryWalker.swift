#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns arguments into listed files and problems, in given order (arguments in turn, each
/// directory walked depth-first with its entries in bytewise name order).
///
/// The walker is the sequencer of the walk: it visits each directory's steps in that order and
/// hands out files and problems as it goes. Reading a directory (open, `readdir` to the end,
/// `fstatat` of each entry, close: `DirectoryReader`) is done here, one directory at a time,
/// when `CatalogOptions.walkThreads` is 1; with more, a `DirectoryReadPool` reads the
/// directories the walk will enter ahead of it on several threads, and the walker takes each
/// listing when it reaches it. Either way what comes out, and in what order, is the same: each
/// entry's step is decided when its directory is read, from that directory's chain of parents
/// and nothing else. The walk keeps an explicit stack instead of recursing, so a deep tree
/// cannot overflow the thread's stack, and each reading thread holds at most one directory
/// descriptor, whatever the depth.
struct DirectoryWalker {
    /// The rules for entries met while walking.
    private let rules: WalkRules
    /// Named streams become jobs (`CatalogOptions.readsStreams`).
    private let readsStreams: Bool
    /// Standard input was used already (`CatalogOptions.standardInputTaken`, or a `-` listed before).
    private var standardInputTaken: Bool
    /// Threads that read directories (`CatalogOptions.walkThreads`); 1 reads them here.
    private let threads: Int
    /// The look-ahead bound of those threads.
    private let lookAhead: WalkLookAhead
    /// The threads reading ahead, made when the first directory is walked with `threads` > 1.
    private(set) var pool: DirectoryReadPool?
    /// Directory arguments walked so far (their position in walk order).
    private var roots = 0
    /// Regular files found so far, `index` still to be assigned.
    private(set) var files: [FileJob] = []
    /// Problems found so far, in walk order.
    private(set) var problems: [FileProblem] = []

    /// Called with each directory's path just before it is opened: a seam for tests that
    /// remove or replace a directory in the middle of a walk. `nil` in production. With
    /// `walkThreads` above 1 it is called on the thread that reads the directory, which may be
    /// ahead of the walk.
    var beforeOpeningDirectory: ((RawPath) -> Void)?

    /// Where found files and problems go as each directory is walked, for readers that start
    /// before the walk ends; nil keeps them in `files` and `problems`.
    var stream: CatalogStream?

    /// Hands what was found so far to `stream` (if any).
    mutating func flush() {
        guard let stream, !(files.isEmpty && problems.isEmpty) else { return }
        stream.append(files: files, problems: problems)
        files.removeAll(keepingCapacity: true)
        problems.removeAll(keepingCapacity: true)
    }

    /// Ends the walk's reading threads, once every argument is visited, and returns the CPU time
    /// the helpers among them used (the walk's own thread is not in it).
    mutating func finishReading() -> Double {
        defer { pool = nil }
        return pool?.finish() ?? 0
    }

    init(follow: Bool) { self.init(options: { var options = CatalogOptions(); options.follow = follow; return options }()) }

    init(options: CatalogOptions) {
        rules = WalkRules(options: options)
        readsStreams = options.readsStreams
        standardInputTaken = options.standardInputTaken
        threads = max(1, options.walkThreads)
        lookAhead = options.walkLookAhead
    }

    /// The first chunk of arguments whose `stat`s are made before they are visited; each next
    /// chunk is twice as large, up to `argumentChunkLimit`, so the first files go to the readers
    /// soon and a long list is handed out in few steps.
    static let firstArgumentChunk = 64
    static let argumentChunkLimit = 4096

    /// Lists `arguments` in turn, as `visit(argument:)` does, handing out what was found after
    /// each chunk of them (and inside each directory walked). The `stat`s of a chunk are made
    /// first, on the threads that read directories when there are several (`walkThreads`): a
    /// `--files-from` list of 20 000 paths cost the walk thread 4.7 µs a path, 0.094 s of a
    /// 0.47 CPU-s run on the 2-core AMD EPYC, all of it on one thread (docs/performance.md).
    mutating func visit(arguments: [RawPath]) {
        var start = 0
        var chunk = Self.firstArgumentChunk
        while start < arguments.count {
            let paths = Array(arguments[start ..< min(arguments.count, start + chunk)])
            let statuses = statuses(of: paths)
            for (path, status) in zip(paths, statuses) { visit(argument: path, status: status) }
            flush()
            start += paths.count
            chunk = min(2 * chunk, Self.argumentChunkLimit)
        }
    }

    /// The `stat`s of the paths that `visit(argument:status:)` would make (nil for the others).
    private mutating func statuses(of paths: [RawPath]) -> [Result<FileStatus, SystemCallError>?] {
        let needsStatus = { [readsStreams] (path: RawPath) in
            !(readsStreams && path == FileJob.standardInputPath) && !path.bytes.isEmpty && !path.bytes.contains(0)
        }
        guard threads > 1, paths.count >= DirectoryReader.parallelClassificationThreshold else {
            return paths.map { needsStatus($0) ? SystemCall.status(of: $0, follow: true) : nil }
        }
        return readPool().statuses(of: paths, where: needsStatus)
    }

    /// Lists one argument: a regular file becomes a job, a directory is walked, `-` (standard
    /// input), a FIFO or a character device becomes a stream job, anything else is a problem. A
    /// symbolic link named as an argument is always followed. `status` is the path's `stat`
    /// when it was made already (`visit(arguments:)`).
    mutating func visit(argument path: RawPath, status given: Result<FileStatus, SystemCallError>? = nil) {
        if readsStreams && path == FileJob.standardInputPath {
            guard !standardInputTaken else {
                problems.append(FileProblem(path: path, kind: .error,
                                            message: "standard input is read once only (named twice, or it holds the --files-from list or the key)"))
                return
            }
            standardInputTaken = true
            var raw = stat()
            let status = fstat(0, &raw) == 0 ? FileStatus(raw) : nil
            files.append(FileJob(index: 0, path: path, size: 0, mtimeNanoseconds: 0, device: status?.device ?? 0,
                                 inode: status?.inode ?? 0, isStream: true))
            return
        }
        guard !path.bytes.isEmpty else {
            problems.append(FileProblem(path: path, kind: .error, message: "empty path"))
            return
        }
        // No file name holds a NUL byte; opening the path as a C string would silently cut it
        // there and hash another file (`ok/empty\0X` as `ok/empty`).
        guard !path.bytes.contains(0) else {
            problems.append(FileProblem(path: path, kind: .error,
                                        message: "the path holds a NUL byte, which no file name can (a NUL-separated list read without --null?)"))
            return
        }
        switch given ?? SystemCall.status(of: path, follow: true) {
        case .failure(let error):
            problems.append(problemForUnresolvable(path, error: error))
        case .success(let status):
            switch status.type {
            case .regular:
                if !rules.excludedFiles.contains(status.identity) { files.append(DirectoryReader.job(path, status)) }
            case .directory:
                walk(DirectoryNode(argument: path, status: status, ordinal: roots))
                roots += 1
            case .fifo where readsStreams, .characterDevice where readsStreams:
                files.append(FileJob(index: 0, path: path, size: 0, mtimeNanoseconds: 0, device: status.device,
                                     inode: status.inode, isStream: true))
            default: problems.append(FileProblem(path: path, kind: .skipped, message: status.notRegularMessage))
            }
        }
    }

    // MARK: - Walking one directory tree

    /// Walks the tree under `root` depth-first: each directory's steps in name order, a
    /// subdirectory's whole walk at its place.
    private mutating func walk(_ root: DirectoryNode) {
        // The steps not yet taken of each directory being walked, last first.
        var stack: [[WalkStep]] = []
        enter(root, on: &stack)
        while !stack.isEmpty {
            guard let step = stack[stack.count - 1].popLast() else {
                stack.removeLast()
                flush()
                continue
            }
            switch step {
            case .file(let job):
                files.append(job)
            case .problem(let problem):
                problems.append(problem)
            case .enter(let directory):
                // What is above this directory in walk order is complete: hand it out.
                flush()
                enter(directory, on: &stack)
            }
        }
    }

    /// Reports `directory`'s own problems and pushes its steps, when it could be read.
    private mutating func enter(_ directory: DirectoryNode, on stack: inout [[WalkStep]]) {
        let listing = listing(of: directory)
        problems += listing.problems
        if let steps = listing.steps { stack.append(steps) }
    }

    /// `directory`'s listing: read here, or by the pool that reads ahead.
    private mutating func listing(of directory: DirectoryNode) -> DirectoryListing {
        let reader = DirectoryReader(rules: rules, beforeOpening: beforeOpeningDirectory.map(OpeningSeam.init))
        guard threads > 1 else {
            return reader.read(directory) { names, fd in reader.classifyOnTwoThreads(names, in: fd) }
        }
        return readPool(reader).listing(of: directory)
    }

    /// The pool of threads that read ahead (`threads` > 1), made on first use.
    private mutating func readPool(_ reader: DirectoryReader? = nil) -> DirectoryReadPool {
        if let pool { return pool }
        let made = DirectoryReadPool(reader: reader ?? DirectoryReader(rules: rules, beforeOpening: beforeOpeningDirectory.map(OpeningSeam.init)),
                                     threads: threads, lookAhead: lookAhead)
        pool = made
        return made
    }

    /// The problem for an argument whose `stat` (following links) failed.
    private func problemForUnresolvable(_ path: RawPath, error: SystemCallError) -> FileProblem {
        var isLink = false
        if error.code == ENOENT, case .success(let status) = SystemCall.status(of: path, follow: false) {
            isLink = status.type == .symbolicLink
        }
        let (kind, message) = DirectoryReader.unresolvable(error, isLink: isLink)
        return FileProblem(path: path, kind: kind, message: message)
    }
}
