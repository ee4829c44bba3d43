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
    ///
    /// The tables are sized first and then written through pointers: one pass over the
    /// subtrees for the chunk tables, one per level for the parents. A lent 16 MiB range is 256 subtrees of 64 chunks: 16 384 entries in
    /// each chunk table and 16 128 parents. Appending them through lazy `map`s took 4% of the CPU
    /// on 2 × 1 GiB (`perf`, eighth session); written this way they take well under 1%.
    public mutating func rebuild(for subtrees: [Piece]) {
        let chunkLength = BLAKE3Reference.chunkLength
        shortChunks.removeAll(keepingCapacity: true)
        rootChunkSubtrees.removeAll(keepingCapacity: true)
        subtreeSlots.removeAll(keepingCapacity: true)
        var slot = 0, fullChunks = 0, deepest = 0
        for (index, subtree) in subtrees.enumerated() {
            subtreeSlots.append(Int32(slot))
            if subtree.isRootChunk {
                rootChunkSubtrees.append(index)
                slot += 1
                continue
            }
            // All chunks but possibly the last are full.
            let chunks = subtree.chunkCount, full = subtree.length / chunkLength
            if full < chunks {
                shortChunks.append(ShortChunk(bufferOffset: subtree.bufferOffset + full * chunkLength,
                                              length: subtree.length - full * chunkLength,
                                              counter: subtree.firstChunk + UInt64(full), slot: Int32(slot + full)))
            }
            fullChunks += full
            deepest = max(deepest, chunks.trailingZeroBitCount)
            slot += chunks
        }
        slotCount = slot
        var parents = 0
        parentLevelStarts.removeAll(keepingCapacity: true)
        parentLevelStarts.append(0)
        if deepest > 0 {
            for level in 1 ... deepest {
                for subtree in subtrees where !subtree.isRootChunk { parents += subtree.chunkCount >> level }
                parentLevelStarts.append(parents)
            }
        }
        Self.resize(&fullChunkOffsets, to: fullChunks)
        Self.resize(&fullChunkCounters, to: fullChunks)
        Self.resize(&fullChunkSlots, to: fullChunks)
        Self.resize(&parentInputSlots, to: parents)
        Self.resize(&parentOutputSlots, to: parents)

        let firstSlots = subtreeSlots
        fullChunkOffsets.withUnsafeMutableBufferPointer { offsets in
            fullChunkCounters.withUnsafeMutableBufferPointer { counters in
                fullChunkSlots.withUnsafeMutableBufferPointer { slots in
                    var entry = 0
                    for (index, subtree) in subtrees.enumerated() where !subtree.isRootChunk {
                        let first = Int(firstSlots[index])
                        for chunk in 0 ..< subtree.length / chunkLength {
                            offsets[entry] = subtree.bufferOffset + chunk * chunkLength
                            counters[entry] = subtree.firstChunk + UInt64(chunk)
                            slots[entry] = Int32(first + chunk)
                            entry += 1
                        }
                    }
                }
            }
        }
        // Parents level by level, so that a level's inputs are complete before it runs.
        guard deepest > 0 else { return }
        parentInputSlots.withUnsafeMutableBufferPointer { inputs in
            parentOutputSlots.withUnsafeMutableBufferPointer { outputs in
                var entry = 0
                for level in 1 ... deepest {
                    for (index, subtree) in subtrees.enumerated() where !subtree.isRootChunk {
                        let first = Int(firstSlots[index])
                        for node in 0 ..< subtree.chunkCount >> level {
                            inputs[entry] = Int32(first + 2 * node)
                            outputs[entry] = Int32(first + node)
                            entry += 1
                        }
                    }
                }
            }
        }
    }

    /// Makes `table` `count` entries long, keeping its storage; the caller writes every entry.
    private static func resize<Entry: FixedWidthInteger>(_ table: inout [Entry], to count: Int) {
        if table.count > count {
            table.removeLast(table.count - count)
        } else if table.count < count {
            table.append(contentsOf: repeatElement(0, count: count - table.count))
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
