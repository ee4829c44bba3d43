/// One unit of kernel work in a batch: a run of bytes of one file, at most `Piece.maxBytes`.
///
/// A kernel's `PieceLayout` says where a file's pieces start and end; every multiple of
/// `maxBytes` in the file is a piece boundary, so ranges of a file cut at those multiples (by
/// different readers, into different batches) give the same pieces as the file read whole.
public struct Piece: Sendable, Hashable {
    /// The largest piece, in bytes. Staging buffers, ranges of large files and lent ranges are
    /// multiples of it.
    public static let maxBytes = 64 << 10

    /// Where its bytes start in the batch's bytes.
    public var bufferOffset: Int
    /// Its length in bytes.
    public var length: Int
    /// Where its bytes start in the file.
    public var fileOffset: UInt64
    /// The file it belongs to (its position in the catalog stream).
    public var fileIndex: Int
    /// Whether it is the file's only piece (the layout made the whole file one piece).
    public var isWholeFile: Bool

    public init(bufferOffset: Int, length: Int, fileOffset: UInt64, fileIndex: Int, isWholeFile: Bool) {
        self.bufferOffset = bufferOffset
        self.length = length
        self.fileOffset = fileOffset
        self.fileIndex = fileIndex
        self.isWholeFile = isWholeFile
    }
}
