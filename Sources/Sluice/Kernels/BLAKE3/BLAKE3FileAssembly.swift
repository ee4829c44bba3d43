import SIMDKernels

/// One file's BLAKE3 partials, gathered as batches finish, and the root computed from them.
///
/// Subtrees may arrive in any order (batches finish out of order); the merge puts them back in
/// chunk order and rebuilds the left-balanced tree above them: a node over `n > 1` chunks has a
/// left child over the largest power of two smaller than `n`. The top node is compressed with
/// ROOT, once per 64 output bytes.
public struct BLAKE3FileAssembly: Sendable {
    private var subtrees: [(firstChunk: UInt64, chunks: UInt64, chainingValue: SIMD8<UInt32>)] = []
    private var rootChunk: [UInt32]?

    public init() {}

    /// Records a subtree's partial (`BLAKE3PartialRecords.stride` words at `record`).
    public mutating func add(_ subtree: Piece, record: UnsafePointer<UInt32>) {
        if subtree.isRootChunk {
            rootChunk = Array(UnsafeBufferPointer(start: record, count: BLAKE3PartialRecords.stride))
            return
        }
        var cv = SIMD8<UInt32>()
        for word in 0..<8 { cv[word] = record[word] }
        subtrees.append((subtree.firstChunk, UInt64(subtree.chunkCount), cv))
    }

    /// The digest of the file of `fileSize` bytes whose every subtree was added: `mode.outputLength` bytes.
    public mutating func finalize(fileSize: UInt64, mode: BLAKE3Mode) -> [UInt8] {
        let flags = mode.flags.rawValue
        var block = [UInt32](repeating: 0, count: 16)
        var chainingValue = mode.keyWords
        var blockLength: UInt32 = 64
        var rootFlags = flags
        if fileSize == 0 {
            // One empty chunk: a single empty block that starts and ends it.
            blockLength = 0
            rootFlags |= BLAKE3Reference.Flags.chunkStart.rawValue | BLAKE3Reference.Flags.chunkEnd.rawValue
        } else if let record = rootChunk {
            chainingValue = Array(record[0..<8])
            block = Array(record[8..<24])
            blockLength = record[24]
            rootFlags = record[25]
        } else {
            subtrees.sort { $0.firstChunk < $1.firstChunk }
            let total = BLAKE3Layout.chunkCount(fileSize: fileSize)
            var cursor = 0
            let split = Self.leftChunks(total)
            let left = node(first: 0, chunks: split, cursor: &cursor, key: mode.keyWords, flags: flags)
            let right = node(first: split, chunks: total - split, cursor: &cursor, key: mode.keyWords, flags: flags)
            for word in 0..<8 {
                block[word] = left[word]
                block[8 + word] = right[word]
            }
            rootFlags |= BLAKE3Reference.Flags.parent.rawValue
        }
        return Self.rootBytes(chainingValue: chainingValue, block: block, blockLength: blockLength,
                              flags: rootFlags | BLAKE3Reference.Flags.root.rawValue, length: mode.outputLength)
    }

    /// Chunks under the left child of a node over `total > 1` chunks.
    static func leftChunks(_ total: UInt64) -> UInt64 {
        var left: UInt64 = 1
        while left * 2 < total { left *= 2 }
        return left
    }

    private func node(first: UInt64, chunks: UInt64, cursor: inout Int, key: [UInt32], flags: UInt32) -> SIMD8<UInt32> {
        let next = subtrees[cursor]
        if next.firstChunk == first && next.chunks == chunks {
            cursor += 1
            return next.chainingValue
        }
        precondition(chunks > 1 && next.firstChunk >= first, "subtrees do not tile the file")
        let split = Self.leftChunks(chunks)
        let left = node(first: first, chunks: split, cursor: &cursor, key: key, flags: flags)
        let right = node(first: first + split, chunks: chunks - split, cursor: &cursor, key: key, flags: flags)
        return Self.parent(left, right, key: key, flags: flags)
    }

    /// The chaining value of the parent of two nodes.
    static func parent(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>, key: [UInt32], flags: UInt32) -> SIMD8<UInt32> {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 32) { scratch in
            let block = scratch.baseAddress!
            for word in 0..<8 {
                block[word] = left[word]
                block[8 + word] = right[word]
            }
            key.withUnsafeBufferPointer { key in
                BLAKE3Single.compress(chainingValue: key.baseAddress!, block: block, counter: 0, blockLength: 64,
                                      flags: flags | BLAKE3Reference.Flags.parent.rawValue, output: block + 16)
            }
            var cv = SIMD8<UInt32>()
            for word in 0..<8 { cv[word] = block[16 + word] }
            return cv
        }
    }

    /// `length` bytes of root output: the root node compressed with output block counters 0, 1, ….
    static func rootBytes(chainingValue: [UInt32], block: [UInt32], blockLength: UInt32, flags: UInt32, length: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        var output = [UInt32](repeating: 0, count: 16)
        var counter: UInt64 = 0
        while bytes.count < length {
            BLAKE3Single.compress(chainingValue: chainingValue, block: block, counter: counter,
                                  blockLength: blockLength, flags: flags, output: &output)
            for word in output {
                for shift in stride(from: UInt32(0), to: 32, by: 8) where bytes.count < length {
                    bytes.append(UInt8(truncatingIfNeeded: word >> shift))
                }
            }
            counter += 1
        }
        return bytes
    }
}
