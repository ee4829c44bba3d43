#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields of `struct stat` that sluice uses, with the file type decoded.
struct FileStatus: Sendable, Hashable {
    /// The file type bits of `st_mode`.
    enum FileType: String, Sendable {
        case regular, directory, symbolicLink = "symbolic link", fifo, socket
        case characterDevice = "character device", blockDevice = "block device", unknown
    }

    var type: FileType
    var size: UInt64
    var mtimeNanoseconds: Int64
    var device: UInt64
    var inode: UInt64

    /// The (device, inode) pair that identifies a file or directory on this machine.
    var identity: FileIdentity { FileIdentity(device: device, inode: inode) }

    init(_ raw: stat) {
        switch raw.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symbolicLink
        case S_IFIFO: type = .fifo
        case S_IFSOCK: type = .socket
        case S_IFCHR: type = .characterDevice
        case S_IFBLK: type = .blockDevice
        default: type = .unknown
        }
        size = UInt64(max(0, raw.st_size))
        mtimeNanoseconds = Int64(raw.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(raw.st_mtim.tv_nsec)
        device = UInt64(raw.st_dev)
        inode = UInt64(raw.st_ino)
    }

    /// The message for a file the tools will not read, e.g. "not a regular file (fifo)".
    var notRegularMessage: String { "not a regular file (\(type.rawValue))" }
}

/// A file's identity on this machine: `st_dev` and `st_ino`.
public struct FileIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path` (following links), or nil when it cannot be stat-ed.
    public init?(path: RawPath) {
        guard case .success(let status) = SystemCall.status(of: path, follow: true) else { return nil }
        self = status.identity
    }
}
