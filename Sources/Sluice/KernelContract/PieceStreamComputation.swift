/// A stream computed piece by piece with a kernel's CPU executor and accumulator, for kernels
/// whose pieces do not depend on the file's length (`UnitLayout`): the pieces of a stream are
/// then those of a file of the same bytes.
public final class PieceStreamComputation<Kernel: ComputeKernel>: StreamComputation {
    private let kernel: Kernel
    private var executor: Kernel.CPUExecutor
    private var accumulator: Kernel.Accumulator
    /// Bytes not computed yet: less than one 64 KiB unit, starting at a unit boundary.
    private let pending: UnsafeMutableRawPointer
    private var pendingCount = 0
    /// Bytes computed so far (`count` adds those pending).
    private var computed: UInt64 = 0
    public var count: UInt64 { computed + UInt64(pendingCount) }
    private var partials: [UInt32] = []
    private var pieces: [Piece] = []

    public init(kernel: Kernel, isa: CPUVectorISA) {
        self.kernel = kernel
        executor = kernel.makeCPUExecutor(isa: isa)
        accumulator = kernel.makeAccumulator()
        pending = .allocate(byteCount: Piece.maxBytes, alignment: 64)
    }

    deinit { pending.deallocate() }

    public func consume(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let take = min(Piece.maxBytes - pendingCount, bytes.count - offset)
            (pending + pendingCount).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            pendingCount += take
            offset += take
            if pendingCount == Piece.maxBytes { computePending() }
        }
    }

    public func finish() -> any KernelOutput {
        computePending()
        return accumulator.finalize(fileSize: computed)
    }

    /// Computes the pieces of the pending unit (cut as in a file that goes on past it).
    private func computePending() {
        guard pendingCount > 0 else { return }
        let unitStart = computed
        let unitEnd = unitStart + UInt64(pendingCount)
        pieces.removeAll(keepingCapacity: true)
        var offset = unitStart
        while offset < unitEnd {
            let length = min(kernel.layout.pieceLength(at: offset, fileSize: .max), Int(unitEnd - offset))
            pieces.append(Piece(bufferOffset: Int(offset - unitStart), length: length, fileOffset: offset, fileIndex: 0,
                                isWholeFile: false))
            offset += UInt64(length)
        }
        executor.run(pieces: pieces, bytes: UnsafeRawPointer(pending), partials: &partials)
        partials.withUnsafeBufferPointer { words in
            for (index, piece) in pieces.enumerated() {
                accumulator.add(piece, partial: words.baseAddress! + index * kernel.partialWords)
            }
        }
        computed = unitEnd
        pendingCount = 0
    }
}
