/// One unit of BLAKE3 work in a batch: an aligned power-of-two run of chunks of one file, or a
/// whole single-chunk file.
///
/// The tree over a file of `n` chunks is left-balanced, so every run of `2^k` chunks starting at
/// a multiple of `2^k` is a node of it, except the root. A subtree's partial is that node's
/// chaining value; the host merges partials into the root (see `BLAKE3FileAssembly`). A file of at
/// most one chunk is its own root: its partial is the state before the last compression.
public struct BLAKE3Subtree: Sendable, Hashable {
    /// Where its bytes start in the staging buffer.
    public var bufferOffset: Int
    /// Its length in bytes (its last chunk may be short only if it is the file's last).
    public var length: Int
    /// Index of its first chunk in the file.
    public var firstChunk: UInt64
    /// The file it belongs to (a `FileJob.index`).
    public var fileIndex: Int
    /// Whether it is a whole file of 1…1024 bytes (then the root is its only chunk).
    public var isRootChunk: Bool

    public init(bufferOffset: Int, length: Int, firstChunk: UInt64, fileIndex: Int, isRootChunk: Bool) {
        self.bufferOffset = bufferOffset
        self.length = length
        self.firstChunk = firstChunk
        self.fileIndex = fileIndex
        self.isRootChunk = isRootChunk
    }

    /// Number of chunks it covers (1 for an empty root chunk).
    public var chunkCount: Int { max(1, (length + BLAKE3Reference.chunkLength - 1) / BLAKE3Reference.chunkLength) }
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

    /// Number of subtrees a file of `size` bytes is cut into (0 for an empty file).
    public static func subtreeCount(fileSize size: UInt64) -> Int {
        if size == 0 { return 0 }
        let total = chunkCount(fileSize: size)
        if total == 1 { return 1 }
        var count = 0
        var start: UInt64 = 0
        while start < total {
            start += subtreeChunks(startingAt: start, totalChunks: total)
            count += 1
        }
        return count
    }
}
