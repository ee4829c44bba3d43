import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `fstatat` found one directory entry, before the walk's rules decide what it means.
enum EntryClass {
    /// `fstatat` succeeded; `viaSymlink` when the entry is a symbolic link that was followed.
    case found(FileStatus, viaSymlink: Bool)
    /// Already a problem (vanished, dangling link, …): reported when the walk reaches it.
    case problem(FileProblem.Kind, String)
    /// A regular file by its entry's `d_type`, not `stat`-ed (`WalkRules.statusAtOpen`); `inode`
    /// is the entry's `d_ino`.
    case regularEntry(inode: UInt64)
}

/// The test seam `DirectoryWalker.beforeOpeningDirectory`, carried to the threads that read
/// ahead of the walk (it is called on the thread that opens the directory).
final class OpeningSeam: @unchecked Sendable {
    let body: (RawPath) -> Void
    init(_ body: @escaping (RawPath) -> Void) { self.body = body }
}

/// Reads one directory into a `DirectoryListing`: opens it, checks it is still the directory
/// that was listed, reads it to the end, `fstatat`s each entry relative to its descriptor (but
/// the regular files, by their `d_type`, under `WalkRules.statusAtOpen`), closes it, and turns
/// each entry into a `WalkStep` by the walk's rules. Only directories are ever
/// opened, so a FIFO, socket or device is reported and never touched; the descriptor is closed
/// before the listing is returned, so each reading thread holds at most one.
///
/// A value: the walk thread and the threads reading ahead of it share one.
struct DirectoryReader: Sendable {
    /// What entries mean (excludes, links, file systems, loops).
    let rules: WalkRules
    /// Called with the directory's path just before it is opened (tests).
    let beforeOpening: OpeningSeam?

    /// `fstatat`s `names` (each NUL-terminated) relative to the open `directory` and returns
    /// their classes in the same order: on the calling thread, or shared with others.
    typealias Classifier = (_ names: [[UInt8]], _ directory: Int32) -> [EntryClass]

    /// Directories with at least this many entries have their entries classified on more than
    /// one thread: `fstatat` costs about 2 µs on the development VM, and listing std8k's 8000
    /// files (40 folders of 200) went from 0.038 to 0.024 s on two (docs/performance.md).
    static let parallelClassificationThreshold = 128

    /// File systems (`f_type`) whose directory entries carry the file's own inode number as
    /// `d_ino` for regular files, so that an entry can be matched against `excludedFiles`
    /// without a `stat`: ext2/3/4, XFS, Btrfs, tmpfs, overlayfs (its documentation's inode table:
    /// `d_ino` is `st_ino` for non-directories in every configuration), F2FS and ZFS. On others
    /// (FUSE, NFS, CIFS: what they report is up to the server or the daemon) every entry is
    /// `stat`-ed as without `statusAtOpen`. Asked once per device (`FileSystemType`).
    static let entryInodeFileSystems: Set<UInt64> = [
        0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0x794C_7630, 0xF2F5_2010, 0x2FC1_2FC1,
    ]

    /// One entry as `readdir` gave it.
    private struct Entry {
        /// The name, NUL-terminated.
        var name: [UInt8]
        var type: UInt8
        var inode: UInt64
    }

    /// The listing of `node`'s directory; its problems when it cannot be read.
    func read(_ node: DirectoryNode, classifyingWith classifyAll: Classifier) -> DirectoryListing {
        let path = node.path
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (node.followLastLink ? 0 : O_NOFOLLOW)
        beforeOpening?.body(path)
        let fd: Int32
        do {
            fd = try SystemCall.open(path, flags: flags)
        } catch {
            return DirectoryListing(problems: [error.problem(for: path)], steps: nil)
        }
        guard let directory = fdopendir(fd) else {
            let problem = SystemCallError.current("fdopendir").problem(for: path)
            SystemCall.close(fd)
            return DirectoryListing(problems: [problem], steps: nil)
        }
        var problems: [FileProblem] = []
        let names: [[UInt8]]
        let classes: [EntryClass]
        do {
            defer { closedir(directory) }
            do {
                guard try SystemCall.status(of: fd).identity == node.identity else {
                    return DirectoryListing(problems: [FileProblem(path: path, kind: .changed, message: "directory replaced during the walk")],
                                            steps: nil)
                }
            } catch {
                return DirectoryListing(problems: [error.problem(for: path)], steps: nil)
            }
            var read: [Entry] = []
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
                read.append(Entry(name: name + [0], type: record.pointee.d_type, inode: UInt64(record.pointee.d_ino)))
            }
            // Name order, NUL included: "a\0" sorts before "ab\0" as "a" before "ab".
            read.sort { $0.name.lexicographicallyPrecedes($1.name) }
            names = read.map(\.name)
            classes = classify(read, in: fd, device: node.identity.device, classifyingWith: classifyAll)
        }
        return DirectoryListing(problems: problems, steps: steps(names, classes, in: node))
    }

    /// What the walk does at each entry, last entry first. Entries left out get no step.
    private func steps(_ names: [[UInt8]], _ classes: [EntryClass], in node: DirectoryNode) -> [WalkStep] {
        var steps: [WalkStep] = []
        steps.reserveCapacity(names.count)
        for (ordinal, (name, entryClass)) in zip(names, classes).enumerated() {
            let path = node.path.appending(Array(name.dropLast()))
            if rules.isExcluded(name: name, path: path) { continue }
            switch entryClass {
            case .regularEntry(let inode):
                steps.append(.file(FileJob(index: 0, path: path, size: 0, mtimeNanoseconds: 0, device: node.identity.device,
                                           inode: inode, statusAtOpen: true)))
            case .problem(let kind, let message):
                steps.append(.problem(FileProblem(path: path, kind: kind, message: message)))
            case .found(let status, let viaSymlink):
                switch status.type {
                case .regular:
                    if !rules.excludedFiles.contains(status.identity) { steps.append(.file(DirectoryReader.job(path, status))) }
                case .directory:
                    if rules.oneFileSystem && status.device != node.rootDevice {
                        // A mount point: not entered, like `find -xdev`.
                        continue
                    } else if node.isOnPath(status.identity) {
                        // A link (or bind mount) back to a directory the walk is inside: stop here.
                        let message = viaSymlink ? "symlink loop" : "directory loop"
                        steps.append(.problem(FileProblem(path: path, kind: .skipped, message: message)))
                    } else {
                        steps.append(.enter(DirectoryNode(path: path, identity: status.identity, viaSymlink: viaSymlink,
                                                          parent: node, ordinal: ordinal)))
                    }
                case .symbolicLink:
                    steps.append(.problem(FileProblem(path: path, kind: .skipped, message: "symbolic link not followed")))
                default:
                    steps.append(.problem(FileProblem(path: path, kind: .skipped, message: status.notRegularMessage)))
                }
            }
        }
        steps.reverse()
        return steps
    }

    /// The classes of `entries` (in name order): under `statusAtOpen`, on a file system listed
    /// in `entryInodeFileSystems`, a regular file by its `d_type` is a `regularEntry` unless its
    /// `d_ino` is that of an excluded file; every other entry goes to `classifyAll`.
    private func classify(_ entries: [Entry], in directory: Int32, device: UInt64,
                          classifyingWith classifyAll: Classifier) -> [EntryClass] {
        guard rules.statusAtOpen, entries.contains(where: { $0.type == UInt8(DT_REG) }),
              let type = FileSystemType.of(device: device, fd: directory), Self.entryInodeFileSystems.contains(type) else {
            return classifyAll(entries.map(\.name), directory)
        }
        let byEntry = entries.map { $0.type == UInt8(DT_REG) && !rules.excludedInodes.contains($0.inode) }
        var statted = classifyAll(zip(entries, byEntry).compactMap { $1 ? nil : $0.name }, directory).makeIterator()
        return zip(entries, byEntry).map { entry, byEntry in byEntry ? .regularEntry(inode: entry.inode) : statted.next()! }
    }

    /// The classifier of a serial walk: on the calling thread, large directories on two (the
    /// classes do not depend on the order in which the entries are examined).
    func classifyOnTwoThreads(_ names: [[UInt8]], in directory: Int32) -> [EntryClass] {
        guard names.count >= Self.parallelClassificationThreshold else {
            return names.map { classify($0, in: directory) }
        }
        var classes = [EntryClass?](repeating: nil, count: names.count)
        classes.withUnsafeMutableBufferPointer { slots in
            let parts = 2
            let slots = slots
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (names.count * part / parts) ..< (names.count * (part + 1) / parts)
                for index in range { slots[index] = classify(names[index], in: directory) }
            }
        }
        return classes.map { $0! }
    }

    /// `lstat`s one entry (and `stat`s it when it is a link to follow).
    func classify(_ terminatedName: [UInt8], in directory: Int32) -> EntryClass {
        terminatedName.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { name in
                switch SystemCall.status(of: name.baseAddress!, relativeTo: directory, follow: false) {
                case .failure(let error):
                    return .problem(error.code == ENOENT ? .vanished : .error, error.description)
                case .success(let status) where status.type == .symbolicLink && rules.follow:
                    switch SystemCall.status(of: name.baseAddress!, relativeTo: directory, follow: true) {
                    case .success(let target): return .found(target, viaSymlink: true)
                    case .failure(let error):
                        // `lstat` just found a link, so ENOENT here means its target is missing.
                        let (kind, message) = DirectoryReader.unresolvable(error, isLink: true)
                        return .problem(kind, message)
                    }
                case .success(let status):
                    return .found(status, viaSymlink: false)
                }
            }
        }
    }

    /// Kind and message when `stat` failed: a link cycle (ELOOP) and a link whose target is
    /// missing get their own messages; anything else is the errno text.
    static func unresolvable(_ error: SystemCallError, isLink: Bool) -> (FileProblem.Kind, String) {
        if error.code == ELOOP { return (.error, "symlink loop (\(error))") }
        if error.code == ENOENT, isLink { return (.error, "dangling symbolic link") }
        return (.error, error.description)
    }

    /// The job of a regular file found at `path`.
    static func job(_ path: RawPath, _ status: FileStatus) -> FileJob {
        FileJob(index: 0, path: path, size: status.size, mtimeNanoseconds: status.mtimeNanoseconds,
                device: status.device, inode: status.inode)
    }
}
