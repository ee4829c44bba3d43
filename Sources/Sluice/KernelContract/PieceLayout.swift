/// How a kernel cuts a file into pieces.
public protocol PieceLayout: Sendable {
    /// The length of the piece that starts at `offset` (a piece boundary, below `fileSize`) of a
    /// file of `fileSize` bytes: at least 1, at most `Piece.maxBytes`, and never past the next
    /// multiple of `Piece.maxBytes`.
    func pieceLength(at offset: UInt64, fileSize: UInt64) -> Int
}

/// Walks the pieces of a file, or of one range of it, in file order.
public struct PieceCursor: Sendable {
    /// One piece's place in the file.
    public struct Step: Sendable, Hashable {
        public var fileOffset: UInt64
        public var length: Int
        /// Whether the piece is the whole file.
        public var isWholeFile: Bool
    }

    /// The file's size in bytes.
    public let fileSize: UInt64
    private let layout: any PieceLayout
    private var nextOffset: UInt64
    private let end: UInt64

    /// A cursor over every piece of a file of `fileSize` bytes (an empty file has none).
    public init(layout: any PieceLayout, fileSize: UInt64) {
        self.init(layout: layout, fileSize: fileSize, range: 0 ..< fileSize)
    }

    /// A cursor over the pieces of bytes `range` of the file, for ranges read by different
    /// readers: `range` starts at a multiple of `Piece.maxBytes` and ends at one or at the
    /// file's end, so adjacent ranges give exactly the pieces of one cursor over the file.
    public init(layout: any PieceLayout, fileSize: UInt64, range: Range<UInt64>) {
        let unit = UInt64(Piece.maxBytes)
        precondition(range.lowerBound % unit == 0 && (range.upperBound % unit == 0 || range.upperBound == fileSize)
                     && range.upperBound <= fileSize, "a range must be cut at piece boundaries")
        self.fileSize = fileSize
        self.layout = layout
        nextOffset = range.lowerBound
        end = range.upperBound
    }

    /// The next piece, or nil when the file (or the range) is covered.
    public mutating func next() -> Step? {
        guard nextOffset < end else { return nil }
        let length = layout.pieceLength(at: nextOffset, fileSize: fileSize)
        precondition(length > 0 && UInt64(length) <= end - nextOffset, "a piece must fit in the file")
        defer { nextOffset += UInt64(length) }
        return Step(fileOffset: nextOffset, length: length, isWholeFile: nextOffset == 0 && UInt64(length) == fileSize)
    }
}

/// The layout of kernels whose pieces are cut only where the file's 64 KiB units end (and,
/// with frames, where frames end): a piece never spans two units or two frames.
public struct UnitLayout: PieceLayout {
    /// Frame size in bytes, or nil for no frames.
    public let frameBytes: UInt64?

    public init(frameBytes: UInt64? = nil) {
        precondition(frameBytes.map { $0 > 0 } ?? true, "a frame has bytes")
        self.frameBytes = frameBytes
    }

    public func pieceLength(at offset: UInt64, fileSize: UInt64) -> Int {
        let unit = UInt64(Piece.maxBytes)
        var end = min(fileSize, (offset / unit + 1) * unit)
        if let frameBytes { end = min(end, (offset / frameBytes + 1) * frameBytes) }
        return Int(end - offset)
    }
}
