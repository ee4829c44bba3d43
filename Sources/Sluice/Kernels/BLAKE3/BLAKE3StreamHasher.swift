import SIMDKernels

/// BLAKE3 of a stream whose length is known only at its end (standard input, a FIFO, a
/// character device), in bounded memory, with the same SIMD executor as the file pipeline.
///
/// Bytes are cut into 64 KiB subtrees (`BLAKE3Layout.maxSubtreeBytes`), hashed several at a
/// time across the SIMD lanes. Every subtree but the last is full, so they merge on a stack of
/// chaining values exactly as chunks do in the BLAKE3 specification's incremental hasher: after
/// the `n`-th subtree, as many merges as `n` has trailing zero bits. A subtree is hashed only
/// once at least one more byte has arrived, so the last one, which the root depends on, waits
/// for `finalize`. Memory: one staging buffer and a stack of at most 64 chaining values.
public struct BLAKE3StreamHasher {
    private let mode: BLAKE3Mode
    private var executor: BLAKE3CPUExecutor
    /// Bytes not hashed yet, from the start of `pending`.
    private let pending: UnsafeMutableRawPointer
    private var pendingCount = 0
    private let capacity: Int
    /// Chaining values of complete subtrees (each a power of two of 64 KiB subtrees), left first.
    private var stack: [SIMD8<UInt32>] = []
    /// Full subtrees hashed so far.
    private var subtreesHashed: UInt64 = 0
    private var subtrees: [Piece] = []
    private var records: [UInt32] = []
    /// Bytes taken so far.
    public private(set) var count: UInt64 = 0

    /// - Parameter batchBytes: bytes hashed per executor call (a multiple of 64 KiB).
    public init(mode: BLAKE3Mode, isa: CPUVectorISA, batchBytes: Int = 1 << 20) {
        precondition(batchBytes > 0 && batchBytes % BLAKE3Layout.maxSubtreeBytes == 0)
        self.mode = mode
        executor = BLAKE3CPUExecutor(isa: isa)
        capacity = batchBytes + BLAKE3Layout.maxSubtreeBytes
        pending = .allocate(byteCount: capacity, alignment: 64)
    }

    /// Frees the staging buffer; the hasher is not used after.
    public func deallocate() { pending.deallocate() }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let taken = min(capacity - pendingCount, bytes.count - offset)
            (pending + pendingCount).copyMemory(from: bytes.baseAddress! + offset, byteCount: taken)
            pendingCount += taken
            offset += taken
            count += UInt64(taken)
            if pendingCount == capacity { hashFullSubtrees() }
        }
    }

    /// Hashes every full subtree that has at least one byte after it, and keeps the rest.
    private mutating func hashFullSubtrees() {
        let unit = BLAKE3Layout.maxSubtreeBytes
        let ready = (pendingCount - 1) / unit
        guard ready > 0 else { return }
        subtrees.removeAll(keepingCapacity: true)
        for index in 0..<ready {
            subtrees.append(Piece(bufferOffset: index * unit, length: unit,
                                  fileOffset: (subtreesHashed + UInt64(index)) * UInt64(unit),
                                  fileIndex: 0, isWholeFile: false))
        }
        executor.run(pieces: subtrees, buffer: UnsafeRawPointer(pending), mode: mode, records: &records)
        for index in 0..<ready { push(chainingValue(of: index)) }
        let kept = pendingCount - ready * unit
        pending.copyMemory(from: pending + ready * unit, byteCount: kept)
        pendingCount = kept
    }

    private func chainingValue(of subtree: Int) -> SIMD8<UInt32> {
        var cv = SIMD8<UInt32>()
        for word in 0..<8 { cv[word] = records[subtree * BLAKE3PartialRecords.stride + word] }
        return cv
    }

    /// Adds a full subtree's chaining value, merging the completed pairs below it.
    private mutating func push(_ value: SIMD8<UInt32>) {
        var cv = value
        subtreesHashed += 1
        var total = subtreesHashed
        while total & 1 == 0 {
            cv = BLAKE3FileAssembly.parent(stack.removeLast(), cv, key: mode.keyWords, flags: mode.flags.rawValue)
            total >>= 1
        }
        stack.append(cv)
    }

    /// The digest of everything added: `mode.outputLength` bytes.
    public mutating func finalize() -> [UInt8] {
        // What waits may still hold full subtrees before the last one.
        if pendingCount > 0 { hashFullSubtrees() }
        if stack.isEmpty {
            // At most 64 KiB in all: one message, hashed as the file pipeline hashes one.
            var hasher = BLAKE3BufferHasher(isa: executor.isa)
            return hasher.hash([Array(UnsafeRawBufferPointer(start: pending, count: pendingCount))], mode: mode)[0]
        }
        // The last 1 byte to 64 KiB, cut into aligned power-of-two subtrees as a file's tail is
        // (13 chunks: 8, 4 and 1). With the stack's nodes they are the tree's right edge, in
        // strictly falling sizes (two equal ones only when the last piece is a full 64 KiB that
        // pairs with the stack's last), so folding them from the right rebuilds the root.
        let chunkLength = UInt64(BLAKE3Reference.chunkLength)
        let first = subtreesHashed * UInt64(BLAKE3Layout.maxSubtreeChunks)
        let total = first + (UInt64(pendingCount) + chunkLength - 1) / chunkLength
        subtrees.removeAll(keepingCapacity: true)
        var chunk = first
        while chunk < total {
            let chunks = BLAKE3Layout.subtreeChunks(startingAt: chunk, totalChunks: total)
            let offset = Int((chunk - first) * chunkLength)
            subtrees.append(Piece(bufferOffset: offset, length: min(Int(chunks * chunkLength), pendingCount - offset),
                                  fileOffset: chunk * chunkLength, fileIndex: 0, isWholeFile: false))
            chunk += chunks
        }
        executor.run(pieces: subtrees, buffer: UnsafeRawPointer(pending), mode: mode, records: &records)
        stack += subtrees.indices.map { chainingValue(of: $0) }
        var right = stack.removeLast()
        let flags = mode.flags.rawValue
        while stack.count > 1 {
            right = BLAKE3FileAssembly.parent(stack.removeLast(), right, key: mode.keyWords, flags: flags)
        }
        let left = stack.removeLast()
        var block = [UInt32](repeating: 0, count: 16)
        for word in 0..<8 {
            block[word] = left[word]
            block[8 + word] = right[word]
        }
        return BLAKE3FileAssembly.rootBytes(
            chainingValue: mode.keyWords, block: block, blockLength: 64,
            flags: flags | BLAKE3Reference.Flags.parent.rawValue | BLAKE3Reference.Flags.root.rawValue,
            length: mode.outputLength)
    }
}
