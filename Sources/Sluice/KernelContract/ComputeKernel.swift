/// A kernel: what a run computes over every file, in the terms the generic stages use.
///
/// The reader cuts each file into pieces (`layout`) and packs them into batches; a lane's
/// executor computes one partial (`partialWords` 32-bit words) per piece, on the CPU
/// (`makeCPUExecutor`) or on an OpenCL device (`makeDeviceExecutor`), and both must give the
/// same partials wherever the maths allows; the assembler adds a file's partials, in any order,
/// to its `Accumulator`, which turns them into the file's `KernelOutput` once every byte is in.
/// A stream, whose length is known only at its end, is computed whole by its reader
/// (`makeStreamComputation`). docs/kernels.md says how to add a kernel.
public protocol ComputeKernel: Sendable {
    associatedtype CPUExecutor: PieceExecutor
    associatedtype Accumulator: FileAccumulator

    /// The kernel's name, as `--kernel` and JSONL's `kernel` field spell it.
    var name: String { get }
    /// How a file is cut into pieces.
    var layout: any PieceLayout { get }
    /// Words (32-bit) in one piece's partial.
    var partialWords: Int { get }
    /// JSONL members that every line of the run carries (the kernel's parameters).
    var runMembers: [JSONMember] { get }
    /// About how many bytes one file's output holds (sizes the results queue).
    var outputBytes: Int { get }

    /// A CPU executor, one per worker thread (it may keep scratch storage between batches).
    func makeCPUExecutor(isa: CPUVectorISA) -> CPUExecutor
    /// An empty accumulator for one file.
    func makeAccumulator() -> Accumulator
    /// Computes one stream, in order, on this CPU.
    func makeStreamComputation(isa: CPUVectorISA) -> any StreamComputation

    /// The OpenCL program (`Kernels/NAME.cl`) and its build options; nil when the kernel has
    /// no OpenCL implementation.
    var openCLProgram: OpenCLProgramName? { get }
    /// Whether `device` can run the OpenCL implementation (some need float64).
    func supports(_ device: Device) -> Bool
    /// Device state for one submission in flight on `device` (queue, buffers, kernels).
    func makeDeviceExecutor(entry: ProgramCache.Entry, device: Device) throws -> any DevicePieceExecutor

    /// Runs the CPU code once on one thread before the workers start (first-use costs that
    /// would otherwise be paid by every worker at once); nothing by default.
    func warmUp(isa: CPUVectorISA)
}

extension ComputeKernel {
    public var runMembers: [JSONMember] { [] }
    public func supports(_ device: Device) -> Bool { openCLProgram != nil }
    public func warmUp(isa: CPUVectorISA) {}
}

/// Computes the partials of a batch's pieces on this CPU.
public protocol PieceExecutor {
    /// Replaces `partials` with one partial per piece, in the order of `pieces`
    /// (`ComputeKernel.partialWords` words each). `bytes` holds the batch's bytes.
    mutating func run(pieces: [Piece], bytes: UnsafeRawPointer, partials: inout [UInt32])
}

/// One file's partials, gathered in any order, and the output made from them.
public protocol FileAccumulator: Sendable {
    /// Adds the partial of `piece` (`ComputeKernel.partialWords` words at `partial`).
    mutating func add(_ piece: Piece, partial: UnsafePointer<UInt32>)
    /// The file's output, once the pieces of all `fileSize` bytes were added.
    mutating func finalize(fileSize: UInt64) -> any KernelOutput
}

/// A stream computed as it is read, in bounded memory.
public protocol StreamComputation: AnyObject {
    /// Bytes consumed so far.
    var count: UInt64 { get }
    /// Adds the stream's next bytes.
    func consume(_ bytes: UnsafeRawBufferPointer)
    /// The output of every byte consumed.
    func finish() -> any KernelOutput
}

/// One submission slot of a kernel on an OpenCL device: its queue, buffers and kernels.
public protocol DevicePieceExecutor: AnyObject {
    /// Enqueues the upload of `batches`, the kernels over all their pieces and the read-back of
    /// the partials; the event completes when the partials are on the host (`takePartials`).
    func submit(_ batches: [StagingBuffer]) throws -> Event
    /// The partials of the last completed submission, in the order of its batches' pieces.
    func takePartials(pieces: Int) -> [UInt32]
}

/// An embedded OpenCL program (`Kernels/NAME.cl`) and the options it is built with.
public struct OpenCLProgramName: Sendable, Hashable {
    public var name: String
    public var options: String

    public init(_ name: String, options: String = "") {
        self.name = name
        self.options = options
    }
}
