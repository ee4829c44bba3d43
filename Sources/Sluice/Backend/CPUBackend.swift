/// The native CPU backend: one worker thread per core, each with its own SIMD executor,
/// all taking batches from the one shared queue so no worker idles while batches wait.
public final class CPUBackend: ComputeBackend {
    /// The instruction set whose kernels run.
    public let isa: CPUVectorISA
    public let workerCount: Int
    public let preferredBatchBytes: Int

    /// - Parameters:
    ///   - workers: compute threads (default: one per core).
    ///   - batchBytes: staging buffer size; 512 KiB batches in a small pool stay in the caches
    ///     between the reader's copy and the kernel's read (measured against 1–4 MiB,
    ///     docs/performance.md), and still hold 128 files of 4 KiB.
    public init(isa: CPUVectorISA, workers: Int, batchBytes: Int = CPUBackend.defaultBatchBytes) {
        self.isa = isa
        self.workerCount = max(1, workers)
        self.preferredBatchBytes = batchBytes
    }

    public var deviceName: String { "cpu:\(isa.rawValue)" }

    /// The CPU lane's batch size unless `--batch-size` says otherwise.
    public static let defaultBatchBytes = 512 << 10

    public func makeStagingBuffer(capacity: Int) -> StagingBuffer { StagingBuffer(capacity: capacity) }

    public func runWorker(
        index: Int, mode: BLAKE3Mode, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) {
        var executor = BLAKE3CPUExecutor(isa: isa)
        while let batch = batches.pop() {
            let started = StageClock.now()
            var records: [UInt32] = []
            executor.run(subtrees: batch.subtrees, buffer: UnsafeRawPointer(batch.bytes), mode: mode, records: &records)
            let subtrees = batch.subtrees
            let bytes = UInt64(batch.used)
            clock.record(since: started, items: 1, bytes: bytes)
            recycle(batch)
            deliver(ComputedBatch(subtrees: subtrees, records: records))
        }
    }
}

extension CPUBackend: ComputeLaneShape {
    public var isHostCPU: Bool { true }
    public var providesStaging: Bool { false }
    public func buffersInFlight(bufferBytes: Int) -> Int { workerCount }
    public func setOtherLanesRemain(_ others: Bool) {}
}
