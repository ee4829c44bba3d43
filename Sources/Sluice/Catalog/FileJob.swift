/// One regular file to process, as the catalog found it.
///
/// The identity fields (device, inode, size, mtime) are taken when the file is listed; the
/// reader compares them with what it sees when it opens and finishes the file, so a file that
/// changed meanwhile is reported instead of silently hashed half-old, half-new.
public struct FileJob: Sendable, Hashable {
    /// Position in the catalog's given (argument/walk) order; results can be put back in it.
    public var index: Int
    /// The path as it is printed and as it is opened.
    public var path: RawPath
    /// Size in bytes when listed.
    public var size: UInt64
    /// Modification time in nanoseconds since the epoch when listed.
    public var mtimeNanoseconds: Int64
    /// `st_dev` of the file.
    public var device: UInt64
    /// `st_ino` of the file.
    public var inode: UInt64

    public init(index: Int, path: RawPath, size: UInt64, mtimeNanoseconds: Int64, device: UInt64, inode: UInt64) {
        self.index = index
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.device = device
        self.inode = inode
    }
}
