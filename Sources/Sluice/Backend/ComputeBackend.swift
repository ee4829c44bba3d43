/// A batch after the compute stage: its pieces and one partial per piece
/// (`ComputeKernel.partialWords` words each, in the same order).
public struct ComputedBatch: Sendable {
    public var pieces: [Piece]
    public var partials: [UInt32]
    /// Files wholly in this batch (`WholeFile`), not finalized yet.
    public var wholeFiles: [WholeFile]
    /// Results of whole files finalized on the compute thread (`finishingWholeFiles`).
    public var results: [FileResult] = []

    public init(pieces: [Piece], partials: [UInt32], wholeFiles: [WholeFile] = []) {
        self.pieces = pieces
        self.partials = partials
        self.wholeFiles = wholeFiles
    }

    /// The partials of `batch`'s pieces (its whole files come along).
    public init(batch: StagingBuffer, partials: [UInt32]) {
        self.init(pieces: batch.pieces, partials: partials, wholeFiles: batch.wholeFiles)
    }

    /// The partials of `group`, batches computed together (their pieces in group order).
    public init(group: [StagingBuffer], partials: [UInt32]) {
        var pieces: [Piece] = []
        var wholeFiles: [WholeFile] = []
        for batch in group {
            let base = pieces.count
            wholeFiles += batch.wholeFiles.map { file in
                var file = file
                file.pieces = base + file.pieces.lowerBound ..< base + file.pieces.upperBound
                return file
            }
            pieces += batch.pieces
        }
        self.init(pieces: pieces, partials: partials, wholeFiles: wholeFiles)
    }
}

/// One compute lane: a device with its executor, threads and staging shape, running the run's
/// kernel over batches it takes from the queue all lanes of a run share. A lane knows nothing of
/// any one kernel: it asks the kernel for executors (`ComputeKernel`).
///
/// The pipeline starts `workerCount` threads, each calling `runWorker`; a worker pops batches
/// until the queue is closed and drained, hands each result to `deliver` and each buffer back
/// to `recycle` as soon as the device no longer needs its bytes. Lanes of different speeds
/// share work by taking batches when they are free: a faster lane takes more.
public protocol ComputeBackend: AnyObject, Sendable {
    /// What runs the kernel, for summaries and JSON results (e.g. "cpu:avx2").
    var deviceName: String { get }
    /// Compute threads to start.
    var workerCount: Int { get }
    /// Staging buffer size that suits this backend (a multiple of `Piece.maxBytes`).
    var preferredBatchBytes: Int { get }
    /// Creates one staging buffer (ordinary memory, or pinned memory the device reads directly).
    func makeStagingBuffer(capacity: Int) -> StagingBuffer
    /// Whether the lane computes on the host's cores (the CPU SIMD backend): its small batches
    /// then set the run's batch size.
    var isHostCPU: Bool { get }
    /// Whether the lane's own staging buffers (e.g. pinned OpenCL memory) should be the pool's.
    var providesStaging: Bool { get }
    /// Whether the lane computes batches lent from a file's mapping (hashed in place) as well as
    /// staged ones: the host CPU lane, and a CPU-type OpenCL device (PoCL), which reads host
    /// memory either way. A GPU wants pinned staging for its DMA: while one is among the lanes,
    /// nothing is lent (`ReaderStage.stopLending`).
    var readsLentBytes: Bool { get }
    /// Staging buffers of `bufferBytes` the lane keeps busy at once (the pool's size adds them up).
    func buffersInFlight(bufferBytes: Int) -> Int
    /// Tells the lane whether other lanes run beside it: a lane whose device fails then leaves
    /// the run (the others take the remaining batches) instead of computing them itself on the CPU.
    func setOtherLanesRemain(_ others: Bool)
    /// Whether the lane can run `kernel` (an OpenCL device needs the kernel's program, and some
    /// kernels need float64); a run leaves out the lanes that cannot.
    func supports(_ kernel: any ComputeKernel) -> Bool
    /// One worker's loop. Throws only for device faults that end the backend.
    func runWorker(
        index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) throws
}

extension ComputeBackend {
    // Defaults of the lane-shape requirements: a lane that computes off the host's cores with
    // ordinary staging, one buffer per worker, and nothing to change beside other lanes.
    public var isHostCPU: Bool { false }
    public var providesStaging: Bool { false }
    public var readsLentBytes: Bool { isHostCPU }
    public func buffersInFlight(bufferBytes: Int) -> Int { workerCount }
    public func setOtherLanesRemain(_ others: Bool) {}
    public func supports(_ kernel: any ComputeKernel) -> Bool { true }
}
