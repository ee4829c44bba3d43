/// Typed statistics (`stats`): each file read as an array of one element type, and its count,
/// NaN count, minimum, maximum, sum, mean and standard deviation (`StatisticsFigures`), per file
/// and per frame.
///
/// Pieces are 64 KiB units, cut at frame boundaries too (`UnitLayout`); both are multiples of
/// the element size, so every piece starts on an element and only a file's last piece can end
/// inside one (those bytes are `trailing_bytes`). A piece's partial (`StatisticsPartial`) is its
/// counts, extremes, sum, mean and M2, computed on the CPU (`StatisticsPartial.compute`) or by
/// `stats_pieces` (`Kernels/stats.cl`, which needs float64: `supports(_:)`); the accumulator
/// merges a file's partials in file order (`StatisticsAccumulator`).
public struct StatisticsKernel: ComputeKernel {
    /// The element type every file is read as.
    public var dtype: ElementType
    /// Whether elements are big-endian (little-endian by default).
    public var bigEndian: Bool
    /// Frame size in bytes, or nil: figures per frame too.
    public var frameBytes: UInt64?

    /// - Precondition: `frameBytes`, when given, is a positive multiple of the element size (the
    ///   CLI checks it before a run).
    public init(dtype: ElementType, bigEndian: Bool = false, frameBytes: UInt64? = nil) {
        precondition(frameBytes.map { $0 > 0 && $0 % UInt64(dtype.byteSize) == 0 } ?? true,
                     "a frame holds whole elements")
        self.dtype = dtype
        self.bigEndian = bigEndian
        self.frameBytes = frameBytes
    }

    public var name: String { "stats" }
    public var layout: any PieceLayout { UnitLayout(frameBytes: frameBytes) }
    public var partialWords: Int { StatisticsPartial.words }
    public var runMembers: [JSONMember] {
        [JSONMember("dtype", .string(dtype.name)), JSONMember("endian", .string(bigEndian ? "big" : "little"))]
            + (frameBytes.map { [JSONMember("frame_size", .unsigned($0))] } ?? [])
    }
    public var outputBytes: Int { 256 }

    public func makeCPUExecutor(isa: CPUVectorISA) -> Executor { Executor(dtype: dtype, bigEndian: bigEndian, isa: isa) }
    public func makeAccumulator() -> StatisticsAccumulator { StatisticsAccumulator(frameBytes: frameBytes) }
    public func makeStreamComputation(isa: CPUVectorISA) -> any StreamComputation {
        PieceStreamComputation(kernel: self, isa: isa)
    }

    /// `Kernels/stats.cl`, built for the element type and byte order.
    public var openCLProgram: OpenCLProgramName? {
        OpenCLProgramName("stats", options: "-D \(dtype.openCLMacro) -D STATS_BIG_ENDIAN=\(bigEndian ? 1 : 0)")
    }

    /// Whether `device` has float64 (`CL_DEVICE_DOUBLE_FP_CONFIG` not 0, and `cl_khr_fp64`).
    public func supports(_ device: Device) -> Bool {
        guard let config = try? device.doubleFPConfig, config != 0,
              let extensions = try? device.extensions else { return false }
        return extensions.contains("cl_khr_fp64")
    }

    public func makeDeviceExecutor(entry: ProgramCache.Entry, device: Device) throws -> any DevicePieceExecutor {
        try PieceTableDeviceExecutor(entry: entry, device: device, kernelName: "stats_pieces",
                                     partialWords: StatisticsPartial.words)
    }

    /// Computes partials on this CPU.
    public struct Executor: PieceExecutor {
        let dtype: ElementType
        let bigEndian: Bool
        /// Which build of the passes runs (`StatisticsPasses`).
        let isa: CPUVectorISA

        public mutating func run(pieces: [Piece], bytes: UnsafeRawPointer, partials: inout [UInt32]) {
            partials.removeAll(keepingCapacity: true)
            partials.append(contentsOf: repeatElement(0, count: pieces.count * StatisticsPartial.words))
            partials.withUnsafeMutableBufferPointer { words in
                for (index, piece) in pieces.enumerated() {
                    let pieceBytes = UnsafeRawBufferPointer(start: bytes + piece.bufferOffset, count: piece.length)
                    StatisticsPartial.compute(pieceBytes, type: dtype, bigEndian: bigEndian, isa: isa)
                        .write(to: words.baseAddress! + index * StatisticsPartial.words)
                }
            }
        }
    }
}
