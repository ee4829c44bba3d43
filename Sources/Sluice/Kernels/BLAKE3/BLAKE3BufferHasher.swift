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
        var assemblies = messages.map { _ in BLAKE3FileAssembly() }
        let staging = UnsafeMutableRawPointer.allocate(byteCount: batchCapacity, alignment: 64)
        defer { staging.deallocate() }
        var subtrees: [Piece] = []
        var records: [UInt32] = []
        var used = 0

        func flush() {
            guard !subtrees.isEmpty else { return }
            executor.run(pieces: subtrees, buffer: UnsafeRawPointer(staging), mode: mode, records: &records)
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
            var cursor = PieceCursor(layout: BLAKE3PieceLayout(), fileSize: UInt64(message.count))
            while let next = cursor.next() {
                if used + next.length > batchCapacity { flush() }
                message.withUnsafeBytes { bytes in
                    (staging + used).copyMemory(from: bytes.baseAddress! + Int(next.fileOffset), byteCount: next.length)
                }
                subtrees.append(Piece(bufferOffset: used, length: next.length, fileOffset: next.fileOffset,
                                      fileIndex: fileIndex, isWholeFile: next.isWholeFile))
                used += next.length
            }
        }
        flush()
        return assemblies.indices.map { assemblies[$0].finalize(fileSize: UInt64(messages[$0].count), mode: mode) }
    }
}

