/// A piece as BLAKE3 sees it: an aligned power-of-two run of chunks of one file (a *subtree*),
/// or a whole single-chunk file.
///
/// The tree over a file of `n` chunks is left-balanced, so every run of `2^k` chunks starting at
/// a multiple of `2^k` is a node of it, except the root. A subtree's partial is that node's
/// chaining value; the host merges partials into the root (see `BLAKE3FileAssembly`). A file of at
/// most one chunk is its own root: its partial is the state before the last compression.
extension Piece {
    /// Index of its first chunk in the file.
    public var firstChunk: UInt64 { fileOffset / UInt64(BLAKE3Reference.chunkLength) }
    /// Whether it is a whole file of 0…1024 bytes (then the root is its only chunk): under
    /// `BLAKE3PieceLayout`, only such a file is one piece.
    public var isRootChunk: Bool { isWholeFile }
    /// Number of chunks it covers (1 for an empty root chunk).
    public var chunkCount: Int { max(1, (length + BLAKE3Reference.chunkLength - 1) / BLAKE3Reference.chunkLength) }
}

/// BLAKE3's pieces: the subtrees of `BLAKE3Layout`.
public struct BLAKE3PieceLayout: PieceLayout {
    public init() {}

    public func pieceLength(at offset: UInt64, fileSize: UInt64) -> Int {
        let chunkLength = UInt64(BLAKE3Reference.chunkLength)
        let total = BLAKE3Layout.chunkCount(fileSize: fileSize)
        if total == 1 { return Int(fileSize) }
        let chunks = BLAKE3Layout.subtreeChunks(startingAt: offset / chunkLength, totalChunks: total)
        return Int(min(chunks * chunkLength, fileSize - offset))
    }
}

/// How a file is cut into subtrees.
public enum BLAKE3Layout {
    /// The largest subtree, in chunks, that one unit of work covers (64 KiB). Larger subtrees
    /// would leave more of the reduction to a single lane or work item; smaller ones give the
    /// host more parents to merge. A staging buffer's capacity is a multiple of this.
    public static let maxSubtreeChunks = 64
    /// `maxSubtreeChunks` in bytes.
    public static let maxSubtreeBytes = maxSubtreeChunks * BLAKE3Reference.chunkLength

    /// Chunks in a file of `size` bytes (an empty file has one, empty, chunk).
    public static func chunkCount(fileSize size: UInt64) -> UInt64 {
        max(1, (size + UInt64(BLAKE3Reference.chunkLength) - 1) / UInt64(BLAKE3Reference.chunkLength))
    }

    /// The length in chunks of the subtree that starts at chunk `start` of a file of `total`
    /// chunks: the largest power of two that is aligned at `start`, fits in the file, is at most
    /// `maxSubtreeChunks` and is smaller than the whole file (the root is finished on the host).
    public static func subtreeChunks(startingAt start: UInt64, totalChunks total: UInt64) -> UInt64 {
        precondition(total >= 2 && start < total)
        var size = UInt64(maxSubtreeChunks)
        while size > 1 && (start % size != 0 || start + size > total || size >= total) { size /= 2 }
        return size
    }
}
