/// A batch after the compute stage: its subtrees and one partial record per subtree
/// (`BLAKE3PartialRecords.stride` words each, in the same order).
public struct ComputedBatch: Sendable {
    public var subtrees: [BLAKE3Subtree]
    public var records: [UInt32]

    public init(subtrees: [BLAKE3Subtree], records: [UInt32]) {
        self.subtrees = subtrees
        self.records = records
    }
}

/// Runs the kernel over batches: the compute stage of the pipeline.
///
/// The pipeline starts `workerCount` threads, each calling `runWorker`; a worker pops batches
/// until the queue is closed and drained, hands each result to `deliver` and each buffer back
/// to `recycle` as soon as the device no longer needs its bytes.
public protocol ComputeBackend: AnyObject, Sendable {
    /// What runs the kernel, for summaries and JSON results (e.g. "cpu:avx2").
    var deviceName: String { get }
    /// Compute threads to start.
    var workerCount: Int { get }
    /// Staging buffer size that suits this backend (a multiple of `BLAKE3Layout.maxSubtreeBytes`).
    var preferredBatchBytes: Int { get }
    /// Creates one staging buffer (ordinary memory, or pinned memory the device reads directly).
    func makeStagingBuffer(capacity: Int) -> StagingBuffer
    /// One worker's loop. Throws only for device faults that end the backend.
    func runWorker(
        index: Int, mode: BLAKE3Mode, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) throws
}
