/// Hashes in-memory messages through the same layout, plan, executor and assembly as the file
/// pipeline, several messages per batch. Used by tests (against the reference and the official
/// vectors) and by the kernel micro-benchmarks.
public struct BLAKE3BufferHasher {
    /// The CPU executor (and so the instruction set) in use.
    public private(set) var executor: BLAKE3CPUExecutor
    /// Staging capacity per batch in bytes (a multiple of `BLAKE3Layout.maxSubtreeBytes`).
    public let batchCapacity: Int

    public init(isa: CPUVectorISA, batchCapacity: Int = 1 << 20) {
        precondition(batchCapacity % BLAKE3Layout.maxSubtreeBytes == 0)
        executor = BLAKE3CPUExecutor(isa: isa)
        self.batchCapacity = batchCapacity
    }

    /// The digests of `messages`, in order.
    public mutating func hash(_ messages: [[UInt8]], mode: BLAKE3Mode) -> [[UInt8]] {
        var assemblies = messages.map { BLAKE3FileAssembly(fileSize: UInt64($0.count)) }
        let staging = UnsafeMutableRawPointer.allocate(byteCount: batchCapacity, alignment: 64)
        defer { staging.deallocate() }
        var subtrees: [BLAKE3Subtree] = []
        var records: [UInt32] = []
        var used = 0

        func flush() {
            guard !subtrees.isEmpty else { return }
            executor.run(subtrees: subtrees, buffer: UnsafeRawPointer(staging), mode: mode, records: &records)
            records.withUnsafeBufferPointer { records in
                for (index, subtree) in subtrees.enumerated() {
                    assemblies[subtree.fileIndex].add(
                        subtree, record: records.baseAddress! + index * BLAKE3PartialRecords.stride)
                }
            }
            subtrees.removeAll(keepingCapacity: true)
            used = 0
        }

        for (fileIndex, message) in messages.enumerated() {
            var cursor = BLAKE3SubtreeCursor(fileSize: UInt64(message.count))
            while let next = cursor.next() {
                if used + next.length > batchCapacity { flush() }
                message.withUnsafeBytes { bytes in
                    (staging + used).copyMemory(from: bytes.baseAddress! + Int(next.fileOffset), byteCount: next.length)
                }
                subtrees.append(BLAKE3Subtree(bufferOffset: used, length: next.length, firstChunk: next.firstChunk,
                                              fileIndex: fileIndex, isRootChunk: next.isRootChunk))
                used += next.length
            }
        }
        flush()
        return assemblies.indices.map { assemblies[$0].finalize(mode: mode) }
    }
}

/// Walks a file's subtrees in order: where each starts in the file and how long it is.
public struct BLAKE3SubtreeCursor: Sendable {
    /// The file's size in bytes.
    public let fileSize: UInt64
    private let totalChunks: UInt64
    private var nextChunk: UInt64 = 0

    /// One subtree's place in the file.
    public struct Step: Sendable, Hashable {
        public var fileOffset: UInt64
        public var length: Int
        public var firstChunk: UInt64
        public var isRootChunk: Bool
    }

    /// Chunk after the last one this cursor covers.
    private let endChunk: UInt64

    public init(fileSize: UInt64) {
        self.fileSize = fileSize
        totalChunks = BLAKE3Layout.chunkCount(fileSize: fileSize)
        endChunk = totalChunks
    }

    /// A cursor over the subtrees of bytes `range` of the file only, for ranges of one file read
    /// by different readers. `range` must start at a multiple of `BLAKE3Layout.maxSubtreeBytes`
    /// and end at one or at the file's end, and the file must be larger than one such subtree:
    /// subtree boundaries then fall on those multiples, so the cursors of adjacent ranges give
    /// exactly the subtrees one cursor over the whole file gives.
    public init(fileSize: UInt64, range: Range<UInt64>) {
        let unit = UInt64(BLAKE3Layout.maxSubtreeBytes)
        precondition(fileSize > unit && range.lowerBound % unit == 0
                     && (range.upperBound % unit == 0 || range.upperBound == fileSize) && range.upperBound <= fileSize,
                     "a range must be cut at subtree boundaries")
        self.fileSize = fileSize
        totalChunks = BLAKE3Layout.chunkCount(fileSize: fileSize)
        let chunkLength = UInt64(BLAKE3Reference.chunkLength)
        nextChunk = range.lowerBound / chunkLength
        endChunk = min(totalChunks, (range.upperBound + chunkLength - 1) / chunkLength)
    }

    /// The next subtree, or nil when the file (or the range) is covered (an empty file has none).
    public mutating func next() -> Step? {
        guard fileSize > 0, nextChunk < endChunk else { return nil }
        let chunkLength = UInt64(BLAKE3Reference.chunkLength)
        if totalChunks == 1 {
            nextChunk = 1
            return Step(fileOffset: 0, length: Int(fileSize), firstChunk: 0, isRootChunk: true)
        }
        let chunks = BLAKE3Layout.subtreeChunks(startingAt: nextChunk, totalChunks: totalChunks)
        let offset = nextChunk * chunkLength
        let length = min(chunks * chunkLength, fileSize - offset)
        defer { nextChunk += chunks }
        return Step(fileOffset: offset, length: Int(length), firstChunk: nextChunk, isRootChunk: false)
    }
}
