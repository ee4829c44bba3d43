/// One regular file to process, as the catalog found it, or a stream named as an argument.
///
/// The identity fields (device, inode, size, mtime) are taken when the file is listed; the
/// reader compares them with what it sees when it opens and finishes the file, so a file that
/// changed meanwhile is reported instead of silently hashed half-old, half-new. A file listed
/// by its directory entry alone (`statusAtOpen`) has them from the reader's `fstat` at open.
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
    /// Standard input (`-`), or a FIFO or character device named as an argument (a process
    /// substitution such as `<(cmd)` is a FIFO): read once, to its end, its length known only
    /// then (`size` is 0). Special files met while walking a directory are skipped instead.
    public var isStream: Bool
    /// Listed from its directory entry alone (`d_type` said regular file; no `stat`,
    /// `CatalogOptions.statusAtOpen`): `size` and `mtimeNanoseconds` are 0 and `inode` is the
    /// entry's `d_ino` until the reader opens the file; its `fstat` then gives the job it reads
    /// (`FileReader.job`), and the end-of-read check compares against that.
    public var statusAtOpen: Bool

    /// The path of standard input as arguments name it.
    public static let standardInputPath = RawPath("-")

    public init(index: Int, path: RawPath, size: UInt64, mtimeNanoseconds: Int64, device: UInt64, inode: UInt64,
                isStream: Bool = false, statusAtOpen: Bool = false) {
        self.isStream = isStream
        self.statusAtOpen = statusAtOpen
        self.index = index
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.device = device
        self.inode = inode
    }
}
