import Foundation

/// BLAKE3 as a `ComputeKernel`: b3sum's digests, in the hash, keyed and derive-key modes.
///
/// Pieces are the file's subtrees (`BLAKE3PieceLayout`), partials the 26-word records of
/// `BLAKE3PartialRecords`, merged into the root by `BLAKE3FileAssembly`; the CPU runs
/// `BLAKE3CPUExecutor`, OpenCL devices `Kernels/blake3.cl` (`BLAKE3DeviceExecutor`), and a
/// stream is hashed by a `BLAKE3StreamHasher`.
public struct BLAKE3Kernel: ComputeKernel {
    /// What to hash.
    public var mode: BLAKE3Mode
    /// Full chunks per OpenCL work-item: 1 (GPUs) or 8 (vector lanes, CPU devices); nil
    /// chooses by device type. Tests force each variant.
    public var fullChunksPerWorkItem: Int?

    public init(mode: BLAKE3Mode = .hash(), fullChunksPerWorkItem: Int? = nil) {
        precondition(fullChunksPerWorkItem.map { [1, 8].contains($0) } ?? true, "fullChunksPerWorkItem must be 1 or 8")
        self.mode = mode
        self.fullChunksPerWorkItem = fullChunksPerWorkItem
    }

    public var name: String { "blake3" }
    public var layout: any PieceLayout { BLAKE3PieceLayout() }
    public var partialWords: Int { BLAKE3PartialRecords.stride }
    public var runMembers: [JSONMember] {
        [JSONMember("mode", .string(mode.name)), JSONMember("length", .integer(Int64(mode.outputLength)))]
    }
    public var outputBytes: Int { mode.outputLength }

    public func makeCPUExecutor(isa: CPUVectorISA) -> Executor { Executor(inner: BLAKE3CPUExecutor(isa: isa), mode: mode) }
    public func makeAccumulator() -> Accumulator { Accumulator(mode: mode) }
    public func makeStreamComputation(isa: CPUVectorISA) -> any StreamComputation { Stream(mode: mode, isa: isa) }

    public var openCLProgram: OpenCLProgramName? { OpenCLProgramName("blake3") }
    public func makeDeviceExecutor(entry: ProgramCache.Entry, device: Device) throws -> any DevicePieceExecutor {
        let perItem = try fullChunksPerWorkItem ?? (device.isGPUOrAccelerator ? 1 : 8)
        return try BLAKE3DeviceExecutor(entry: entry, device: device, fullChunksPerWorkItem: perItem, mode: mode)
    }

    public func warmUp(isa: CPUVectorISA) { BLAKE3Warmup.run(isa: isa) }

    /// The CPU executor of one worker.
    public struct Executor: PieceExecutor {
        var inner: BLAKE3CPUExecutor
        let mode: BLAKE3Mode

        public mutating func run(pieces: [Piece], bytes: UnsafeRawPointer, partials: inout [UInt32]) {
            inner.run(pieces: pieces, buffer: bytes, mode: mode, records: &partials)
        }
    }

    /// One file's subtrees.
    public struct Accumulator: FileAccumulator {
        var assembly = BLAKE3FileAssembly()
        let mode: BLAKE3Mode

        public mutating func add(_ piece: Piece, partial: UnsafePointer<UInt32>) { assembly.add(piece, record: partial) }

        public mutating func finalize(fileSize: UInt64) -> any KernelOutput {
            BLAKE3Digest(bytes: assembly.finalize(fileSize: fileSize, mode: mode))
        }
    }

    /// A stream, hashed as it is read.
    final class Stream: StreamComputation {
        private var hasher: BLAKE3StreamHasher

        init(mode: BLAKE3Mode, isa: CPUVectorISA) { hasher = BLAKE3StreamHasher(mode: mode, isa: isa) }

        deinit { hasher.deallocate() }

        var count: UInt64 { hasher.count }
        func consume(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }
        func finish() -> any KernelOutput { BLAKE3Digest(bytes: hasher.finalize()) }
    }
}

/// A BLAKE3 digest: b3sum's line, JSONL's `digest`.
public struct BLAKE3Digest: KernelOutput, Equatable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var digest: [UInt8]? { bytes }
    public var members: [JSONMember] { [JSONMember("digest", .string(Hex.lowercase(bytes)))] }
}
