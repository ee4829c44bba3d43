/// The work of one batch of BLAKE3 subtrees, laid out as flat tables that both backends execute:
/// the CPU backend feeds them to SIMD lanes, the OpenCL backend uploads them to the device.
///
/// Every chunk gets a slot (8 words) in a chaining-value array; subtree `s` owns the slots
/// `subtreeSlots[s] ..< subtreeSlots[s] + chunkCount`. Full chunks are hashed in lanes, short
/// chunks one by one; then each level of parents is reduced in place (slot `first + k` from
/// slots `first + 2k`, `first + 2k + 1`) until each subtree's chaining value sits in its first slot.
public struct BLAKE3BatchPlan: Sendable {
    /// Buffer offset of each full (1024-byte, non-root) chunk.
    public private(set) var fullChunkOffsets: [Int] = []
    /// Chunk index within its file of each full chunk.
    public private(set) var fullChunkCounters: [UInt64] = []
    /// Output slot of each full chunk.
    public private(set) var fullChunkSlots: [Int32] = []
    /// Short chunks (the last of a file) that are not roots.
    public private(set) var shortChunks: [ShortChunk] = []
    /// Indices (into the subtree list) of whole single-chunk files.
    public private(set) var rootChunkSubtrees: [Int] = []
    /// Parent reductions, all levels concatenated: input slot (left child; right is the next).
    public private(set) var parentInputSlots: [Int32] = []
    /// Parent reductions: output slot.
    public private(set) var parentOutputSlots: [Int32] = []
    /// `parentLevelStarts[l] ..< parentLevelStarts[l + 1]` are the parents of level `l + 1`.
    public private(set) var parentLevelStarts: [Int] = [0]
    /// First slot of each subtree.
    public private(set) var subtreeSlots: [Int32] = []
    /// Total slots (chunks) in the batch.
    public private(set) var slotCount = 0

    /// A chunk shorter than 1024 bytes that is not a whole file.
    public struct ShortChunk: Sendable, Hashable {
        public var bufferOffset: Int
        public var length: Int
        public var counter: UInt64
        public var slot: Int32
    }

    public init() {}

    /// Rebuilds the tables for `subtrees`, reusing their storage.
    public mutating func rebuild(for subtrees: [Piece]) {
        fullChunkOffsets.removeAll(keepingCapacity: true)
        fullChunkCounters.removeAll(keepingCapacity: true)
        fullChunkSlots.removeAll(keepingCapacity: true)
        shortChunks.removeAll(keepingCapacity: true)
        rootChunkSubtrees.removeAll(keepingCapacity: true)
        parentInputSlots.removeAll(keepingCapacity: true)
        parentOutputSlots.removeAll(keepingCapacity: true)
        parentLevelStarts.removeAll(keepingCapacity: true)
        parentLevelStarts.append(0)
        subtreeSlots.removeAll(keepingCapacity: true)

        let chunkLength = BLAKE3Reference.chunkLength
        var slot = 0
        var deepest = 0
        for (index, subtree) in subtrees.enumerated() {
            subtreeSlots.append(Int32(slot))
            if subtree.isRootChunk {
                rootChunkSubtrees.append(index)
                slot += 1
                continue
            }
            let chunks = subtree.chunkCount
            // All chunks but possibly the last are full; each table grows once per subtree, not
            // once per chunk (per-chunk appends: 3.7% of the CPU on one 1 GiB file, 2.8% since).
            // `firstSlot`: the closures escape, so they must not capture the mutable `slot`.
            let full = subtree.length / chunkLength
            let base = subtree.bufferOffset, firstChunk = subtree.firstChunk, firstSlot = slot
            fullChunkOffsets.append(contentsOf: (0..<full).lazy.map { base + $0 * chunkLength })
            fullChunkCounters.append(contentsOf: (0..<full).lazy.map { firstChunk + UInt64($0) })
            fullChunkSlots.append(contentsOf: (0..<full).lazy.map { Int32(firstSlot + $0) })
            if full < chunks {
                shortChunks.append(ShortChunk(bufferOffset: base + full * chunkLength,
                                              length: subtree.length - full * chunkLength,
                                              counter: firstChunk + UInt64(full), slot: Int32(firstSlot + full)))
            }
            deepest = max(deepest, chunks.trailingZeroBitCount)
            slot += chunks
        }
        slotCount = slot
        // Level by level, so that a level's inputs are complete before it runs.
        if deepest > 0 {
            for level in 1...deepest {
                for (index, subtree) in subtrees.enumerated() where !subtree.isRootChunk {
                    let nodes = subtree.chunkCount >> level
                    guard nodes > 0 else { continue }
                    let first = Int(subtreeSlots[index])
                    parentInputSlots.append(contentsOf: (0..<nodes).lazy.map { Int32(first + 2 * $0) })
                    parentOutputSlots.append(contentsOf: (0..<nodes).lazy.map { Int32(first + $0) })
                }
                parentLevelStarts.append(parentInputSlots.count)
            }
        }
    }
}

/// Per-subtree results of a batch: `BLAKE3PartialRecords.stride` words per subtree.
///
/// For an ordinary subtree, words 0..<8 are its chaining value. For a single-chunk file, words
/// 0..<8 are the chaining value entering its last block, 8..<24 that block, 24 its length and
/// 25 its flags: the root is compressed from them on the host (ROOT flag, extended output).
public enum BLAKE3PartialRecords {
    /// Words per record.
    public static let stride = 26
}
