import Foundation

/// The byte-histogram kernels: `histogram` (the 256 byte counts of each file, and its entropy)
/// and `entropy` (the figures `ent` reports: entropy, chi-square, mean, serial correlation).
///
/// Pieces are 64 KiB units (cut at frame boundaries too, with `--frame`); a piece's partial is
/// its counts and the sums for the serial correlation (`BytePiecePartial`), all exact integers,
/// computed on the CPU or by `histogram_pieces` (`Kernels/histogram.cl`). The figures are computed
/// on the host from the merged counts, so they are bit-identical across devices and batchings.
public struct ByteHistogramKernel: ComputeKernel {
    /// What each file's line carries.
    public enum Figures: String, Sendable, CaseIterable {
        /// The 256 counts (`histogram`) and `entropy`.
        case histogram
        /// `entropy`, `chi_square`, `mean`, `serial_correlation`.
        case entropy
    }

    public var figures: Figures
    /// Frame size in bytes, or nil: figures per frame too.
    public var frameBytes: UInt64?

    public init(figures: Figures, frameBytes: UInt64? = nil) {
        self.figures = figures
        self.frameBytes = frameBytes
    }

    public var name: String { figures.rawValue }
    public var layout: any PieceLayout { UnitLayout(frameBytes: frameBytes) }
    public var partialWords: Int { BytePiecePartial.words }
    public var runMembers: [JSONMember] { frameBytes.map { [JSONMember("frame_size", .unsigned($0))] } ?? [] }
    public var outputBytes: Int { figures == .histogram ? 2048 : 128 }

    public func makeCPUExecutor(isa: CPUVectorISA) -> Executor { Executor(isa: isa) }
    public func makeAccumulator() -> Accumulator { Accumulator(figures: figures, frameBytes: frameBytes) }
    public func makeStreamComputation(isa: CPUVectorISA) -> any StreamComputation {
        PieceStreamComputation(kernel: self, isa: isa)
    }

    public var openCLProgram: OpenCLProgramName? { OpenCLProgramName("histogram") }
    public func makeDeviceExecutor(entry: ProgramCache.Entry, device: Device) throws -> any DevicePieceExecutor {
        try PieceTableDeviceExecutor(entry: entry, device: device, kernelName: "histogram_pieces",
                                     partialWords: BytePiecePartial.words)
    }

    /// Counts on this CPU.
    public struct Executor: PieceExecutor {
        /// The instruction set of the adjacent-byte products (the counting is scalar).
        let isa: CPUVectorISA

        public mutating func run(pieces: [Piece], bytes: UnsafeRawPointer, partials: inout [UInt32]) {
            partials.removeAll(keepingCapacity: true)
            partials.append(contentsOf: repeatElement(0, count: pieces.count * BytePiecePartial.words))
            partials.withUnsafeMutableBufferPointer { words in
                for (index, piece) in pieces.enumerated() {
                    BytePiecePartial.compute(UnsafeRawBufferPointer(start: bytes + piece.bufferOffset, count: piece.length),
                                             into: words.baseAddress! + index * BytePiecePartial.words, isa: isa)
                }
            }
        }
    }

    /// One file's counts, and its frames' with `--frame`.
    public struct Accumulator: FileAccumulator {
        let figures: Figures
        let frameBytes: UInt64?
        var file = ByteTally()
        var frames: [Int: ByteTally] = [:]

        public mutating func add(_ piece: Piece, partial: UnsafePointer<UInt32>) {
            file.add(piece, partial: partial)
            if let frameBytes {
                let frame = Int(piece.fileOffset / frameBytes)
                frames[frame, default: ByteTally()].add(piece, partial: partial)
            }
        }

        public mutating func finalize(fileSize: UInt64) -> any KernelOutput {
            var output = ByteFiguresOutput(members: members(of: file))
            if let frameBytes {
                output.frames = frames.keys.sorted().map { index in
                    let offset = UInt64(index) * frameBytes
                    return FrameOutput(index: index, offset: offset, length: min(frameBytes, fileSize - offset),
                                       members: members(of: frames[index]!))
                }
            }
            return output
        }

        private func members(of tally: ByteTally) -> [JSONMember] {
            func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
            switch figures {
            case .histogram:
                return [JSONMember("histogram", .unsignedArray(tally.counts)), JSONMember("entropy", .number(tally.entropy))]
            case .entropy:
                return [JSONMember("entropy", .number(tally.entropy)), JSONMember("chi_square", number(tally.chiSquare)),
                        JSONMember("mean", number(tally.mean)),
                        JSONMember("serial_correlation", number(tally.serialCorrelation))]
            }
        }
    }
}

/// Figures of a file (and its frames) from a kernel that computes no digest.
public struct ByteFiguresOutput: KernelOutput {
    public var members: [JSONMember]
    public var frames: [FrameOutput] = []
}
