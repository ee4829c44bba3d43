/// The native CPU backend: one worker thread per core, each with its own SIMD executor,
/// all taking batches from the one shared queue so no worker idles while batches wait.
public final class CPUBackend: ComputeBackend {
    /// The instruction set whose kernels run.
    public let isa: CPUVectorISA
    public let workerCount: Int
    public let preferredBatchBytes: Int

    /// - Parameters:
    ///   - workers: compute threads (default: one per core).
    ///   - batchBytes: staging buffer size (see `defaultBatchBytes`).
    public init(isa: CPUVectorISA, workers: Int, batchBytes: Int = CPUBackend.defaultBatchBytes) {
        self.isa = isa
        self.workerCount = max(1, workers)
        self.preferredBatchBytes = batchBytes
    }

    public var deviceName: String { "cpu:\(isa.rawValue)" }

    /// The CPU lane's batch size unless `--batch-size` says otherwise: 1 MiB. Measured on the
    /// 2-core AMD EPYC (release, hot cache, 5 interleaved runs each, 2026-12-01), once ranges of
    /// a large file went to every reader and hand-offs were grouped: huge 0.47–0.49 s with 1 MiB
    /// against 0.49–0.61 s with 512 KiB (0.45–0.47 with 2 MiB, 0.49–0.54 with 4 MiB); std8k
    /// 0.34–0.35 against 0.37 (2 MiB the same, 4 MiB 0.37–0.39); tiny 0.15–0.16 against 0.16.
    /// Fewer, larger batches halve the hand-offs; beyond 2 MiB the copy no longer stays in the
    /// caches before the kernel reads it. (512 KiB had won when one reader read a whole file.)
    public static let defaultBatchBytes = 1 << 20

    public func makeStagingBuffer(capacity: Int) -> StagingBuffer { StagingBuffer(capacity: capacity) }

    public func runWorker(
        index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) {
        var executor = kernel.makeCPUExecutor(isa: isa)
        while let batch = batches.pop() {
            let started = StageClock.now()
            var partials: [UInt32] = []
            executor.run(pieces: batch.pieces, bytes: UnsafeRawPointer(batch.bytes), partials: &partials)
            let computed = ComputedBatch(batch: batch, partials: partials)
            clock.record(since: started, items: 1, bytes: UInt64(batch.used))
            recycle(batch)
            deliver(computed)
        }
    }
}

extension CPUBackend {
    public var isHostCPU: Bool { true }
}
