import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns arguments into listed files and problems, in given order (arguments in turn, each
/// directory walked depth-first with its entries in bytewise name order).
///
/// The walk never opens anything but directories: every entry is classified with `fstatat`
/// relative to its directory's descriptor, so a FIFO, socket or device is reported and never
/// touched. Each directory is opened, read to the end, `fstatat`-ed entry by entry and closed
/// before any of its subdirectories is opened, so at most one directory descriptor is open at a
/// time whatever the depth, and the walk keeps an explicit stack instead of recursing, so a deep
/// tree cannot overflow the thread's stack.
struct DirectoryWalker {
    /// Follow symbolic links found inside directories.
    let follow: Bool
    /// Name and path patterns of entries left out (`CatalogOptions.exclude`), split by kind.
    private let namePatterns: [[CChar]]
    private let pathPatterns: [[CChar]]
    /// Stay on the file system of each argument (`CatalogOptions.oneFileSystem`).
    private let oneFileSystem: Bool
    /// Files never listed (`CatalogOptions.excludedFiles`).
    private let excludedFiles: Set<FileIdentity>
    /// Named streams become jobs (`CatalogOptions.readsStreams`).
    private let readsStreams: Bool
    /// Standard input was used already (`CatalogOptions.standardInputTaken`, or a `-` listed before).
    private var standardInputTaken: Bool
    /// Regular files found so far, `index` still to be assigned.
    private(set) var files: [FileJob] = []
    /// Problems found so far, in walk order.
    private(set) var problems: [FileProblem] = []

    /// Called with each directory's path just before it is opened: a seam for tests that
    /// remove or replace a directory in the middle of a walk. `nil` in production.
    var beforeOpeningDirectory: ((RawPath) -> Void)?

    /// Where found files and problems go as each directory is read, for readers that start
    /// before the walk ends; nil keeps them in `files` and `problems`.
    var stream: CatalogStream?

    /// Hands what was found so far to `stream` (if any).
    mutating func flush() {
        guard let stream, !(files.isEmpty && problems.isEmpty) else { return }
        stream.append(files: files, problems: problems)
        files.removeAll(keepingCapacity: true)
        problems.removeAll(keepingCapacity: true)
    }

    init(follow: Bool) { self.init(options: { var options = CatalogOptions(); options.follow = follow; return options }()) }

    init(options: CatalogOptions) {
        follow = options.follow
        namePatterns = options.exclude.filter { !$0.contains("/") }.map { Array($0.utf8CString) }
        pathPatterns = options.exclude.filter { $0.contains("/") }.map { Array($0.utf8CString) }
        oneFileSystem = options.oneFileSystem
        excludedFiles = options.excludedFiles
        readsStreams = options.readsStreams
        standardInputTaken = options.standardInputTaken
    }

    /// Whether an entry met while walking is left out by `--exclude`.
    private func isExcluded(name terminatedName: [UInt8], path: RawPath) -> Bool {
        if !namePatterns.isEmpty {
            let matched = terminatedName.withUnsafeBufferPointer { name in
                name.withMemoryRebound(to: CChar.self) { name in
                    namePatterns.contains { fnmatch($0, name.baseAddress!, 0) == 0 }
                }
            }
            if matched { return true }
        }
        if !pathPatterns.isEmpty {
            return path.withCString { path in pathPatterns.contains { fnmatch($0, path, 0) == 0 } }
        }
        return false
    }

    /// Lists one argument: a regular file becomes a job, a directory is walked, `-` (standard
    /// input), a FIFO or a character device becomes a stream job, anything else is a problem. A
    /// symbolic link named as an argument is always followed.
    mutating func visit(argument path: RawPath) {
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
        switch SystemCall.status(of: path, follow: true) {
        case .failure(let error):
            problems.append(problemForUnresolvable(path, error: error))
        case .success(let status):
            switch status.type {
            case .regular:
                if !excludedFiles.contains(status.identity) { files.append(job(path, status)) }
            case .directory: walk(root: path, status: status)
            case .fifo where readsStreams, .characterDevice where readsStreams:
                files.append(FileJob(index: 0, path: path, size: 0, mtimeNanoseconds: 0, device: status.device,
                                     inode: status.inode, isStream: true))
            default: problems.append(FileProblem(path: path, kind: .skipped, message: status.notRegularMessage))
            }
        }
    }

    // MARK: - Walking one directory tree

    /// One directory entry, classified when its directory was read and acted on when the walk
    /// reaches it, so problems and files come out in one consistent order.
    private struct Entry {
        /// The name followed by a NUL byte, ready for `fstatat`.
        var terminatedName: [UInt8]
        var outcome: Outcome
    }

    private enum Outcome {
        /// `fstatat` succeeded; `viaSymlink` when the entry is a symbolic link that was followed.
        case found(FileStatus, viaSymlink: Bool)
        /// Already a problem (vanished, dangling link, …): report it when reached.
        case problem(FileProblem.Kind, String)
    }

    /// A directory being walked: its path, identity and the entries not yet reached,
    /// last-first so that `popLast` yields name order.
    private struct Frame {
        var path: RawPath
        var identity: FileIdentity
        var pending: [Entry]
    }

    private mutating func walk(root: RawPath, status: FileStatus) {
        let rootDevice = status.device
        var stack: [Frame] = []
        var ancestors: Set<FileIdentity> = []
        if let frame = read(directory: root, expected: status.identity, followLastLink: true) {
            stack.append(frame)
            ancestors.insert(frame.identity)
        }
        while !stack.isEmpty {
            guard let entry = stack[stack.count - 1].pending.popLast() else {
                ancestors.remove(stack.removeLast().identity)
                flush()
                continue
            }
            let path = stack[stack.count - 1].path.appending(Array(entry.terminatedName.dropLast()))
            if isExcluded(name: entry.terminatedName, path: path) { continue }
            switch entry.outcome {
            case .problem(let kind, let message):
                problems.append(FileProblem(path: path, kind: kind, message: message))
            case .found(let status, let viaSymlink):
                switch status.type {
                case .regular:
                    if !excludedFiles.contains(status.identity) { files.append(job(path, status)) }
                case .directory:
                    if oneFileSystem && status.device != rootDevice {
                        // A mount point: not entered, like `find -xdev`.
                        continue
                    } else if ancestors.contains(status.identity) {
                        // A link (or bind mount) back to a directory we are inside: stop here.
                        let message = viaSymlink ? "symlink loop" : "directory loop"
                        problems.append(FileProblem(path: path, kind: .skipped, message: message))
                    } else {
                        // What is above this directory in walk order is complete: hand it out.
                        flush()
                        if let frame = read(directory: path, expected: status.identity, followLastLink: viaSymlink) {
                            stack.append(frame)
                            ancestors.insert(frame.identity)
                        }
                    }
                case .symbolicLink:
                    problems.append(FileProblem(path: path, kind: .skipped, message: "symbolic link not followed"))
                default:
                    problems.append(FileProblem(path: path, kind: .skipped, message: status.notRegularMessage))
                }
            }
        }
    }

    /// Opens `path`, checks it is still the directory that was listed, reads and classifies all
    /// its entries, and closes it. `nil` (with a problem recorded) when it cannot be read.
    private mutating func read(directory path: RawPath, expected: FileIdentity, followLastLink: Bool) -> Frame? {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLastLink ? 0 : O_NOFOLLOW)
        beforeOpeningDirectory?(path)
        let fd: Int32
        do {
            fd = try SystemCall.open(path, flags: flags)
        } catch {
            problems.append(error.problem(for: path))
            return nil
        }
        guard let directory = fdopendir(fd) else {
            problems.append(SystemCallError.current("fdopendir").problem(for: path))
            SystemCall.close(fd)
            return nil
        }
        defer { closedir(directory) }

        do {
            guard try SystemCall.status(of: fd).identity == expected else {
                problems.append(FileProblem(path: path, kind: .changed, message: "directory replaced during the walk"))
                return nil
            }
        } catch {
            problems.append(error.problem(for: path))
            return nil
        }

        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let record = readdir(directory) else {
                if errno != 0 {
                    // Keep what was read; the directory itself is reported.
                    problems.append(SystemCallError.current("readdir").problem(for: path))
                }
                break
            }
            let name = withUnsafeBytes(of: &record.pointee.d_name) { raw -> [UInt8] in
                let length = raw.firstIndex(of: 0) ?? raw.count
                return Array(raw[0 ..< length])
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name + [0])
        }
        // Name order, NUL included: "a\0" sorts before "ab\0" as "a" before "ab". Reversed for popLast.
        names.sort { $1.lexicographicallyPrecedes($0) }

        return Frame(path: path, identity: expected, pending: classifyAll(names, in: fd))
    }

    /// Directories with at least this many entries are classified on two threads: `fstatat`
    /// costs about 2 µs on the development VM, and listing std8k's 8000 files (40 folders of
    /// 200) went from 0.038 to 0.024 s (docs/performance.md).
    static let parallelClassificationThreshold = 128

    /// `classify` for every name, in the same order; large directories on two threads (the
    /// outcomes do not depend on the order in which the entries are examined).
    private func classifyAll(_ names: [[UInt8]], in directory: Int32) -> [Entry] {
        guard names.count >= Self.parallelClassificationThreshold else {
            return names.map { Entry(terminatedName: $0, outcome: classify($0, in: directory)) }
        }
        var outcomes = [Outcome?](repeating: nil, count: names.count)
        outcomes.withUnsafeMutableBufferPointer { slots in
            let parts = 2
            let slots = slots
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (names.count * part / parts) ..< (names.count * (part + 1) / parts)
                for index in range { slots[index] = classify(names[index], in: directory) }
            }
        }
        return zip(names, outcomes).map { Entry(terminatedName: $0, outcome: $1!) }
    }

    /// `lstat`s one entry (and `stat`s it when it is a link to follow).
    private func classify(_ terminatedName: [UInt8], in directory: Int32) -> Outcome {
        terminatedName.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { name in
                switch SystemCall.status(of: name.baseAddress!, relativeTo: directory, follow: false) {
                case .failure(let error):
                    return .problem(error.code == ENOENT ? .vanished : .error, error.description)
                case .success(let status) where status.type == .symbolicLink && follow:
                    switch SystemCall.status(of: name.baseAddress!, relativeTo: directory, follow: true) {
                    case .success(let target): return .found(target, viaSymlink: true)
                    case .failure(let error):
                        // `lstat` just found a link, so ENOENT here means its target is missing.
                        let (kind, message) = DirectoryWalker.unresolvable(error, isLink: true)
                        return .problem(kind, message)
                    }
                case .success(let status):
                    return .found(status, viaSymlink: false)
                }
            }
        }
    }

    /// The problem for an argument whose `stat` (following links) failed.
    private func problemForUnresolvable(_ path: RawPath, error: SystemCallError) -> FileProblem {
        var isLink = false
        if error.code == ENOENT, case .success(let status) = SystemCall.status(of: path, follow: false) {
            isLink = status.type == .symbolicLink
        }
        let (kind, message) = DirectoryWalker.unresolvable(error, isLink: isLink)
        return FileProblem(path: path, kind: kind, message: message)
    }

    /// Kind and message when `stat` failed: a link cycle (ELOOP) and a link whose target is
    /// missing get their own messages; anything else is the errno text.
    private static func unresolvable(_ error: SystemCallError, isLink: Bool) -> (FileProblem.Kind, String) {
        if error.code == ELOOP { return (.error, "symlink loop (\(error))") }
        if error.code == ENOENT, isLink { return (.error, "dangling symbolic link") }
        return (.error, error.description)
    }

    private func job(_ path: RawPath, _ status: FileStatus) -> FileJob {
        FileJob(index: 0, path: path, size: status.size, mtimeNanoseconds: status.mtimeNanoseconds,
                device: status.device, inode: status.inode)
    }
}
