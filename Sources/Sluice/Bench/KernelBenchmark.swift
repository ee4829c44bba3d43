import Foundation

/// In-memory throughput of the CPU kernels without I/O: BLAKE3 per instruction set on one large
/// message (lanes over the chunks of one file) and many 4 KiB messages (lanes across files); the
/// other kernels' CPU executors on the large message.
public enum KernelBenchmark {
    /// One measurement.
    public struct Result: Sendable, Codable {
        public var isa: String
        public var workload: String
        public var bytes: Int
        public var bestSeconds: Double
        public var gigabytesPerSecond: Double { Double(bytes) / bestSeconds / 1e9 }
    }

    /// Runs every ISA this CPU has over both workloads, best of `repetitions`, on one thread.
    public static func run(largeBytes: Int = 64 << 20, smallCount: Int = 8192, repetitions: Int = 5) -> [Result] {
        var generator = SplitMix64(seed: 0x5EED)
        let large = [(0..<largeBytes).map { _ in UInt8(truncatingIfNeeded: generator.next()) }]
        let small = (0..<smallCount).map { _ in (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        var results: [Result] = []
        for isa in CPUVectorISA.allCases where isa <= CPUVectorISA.detected {
            for (name, messages) in [("large", large), ("4KiB", small)] {
                var hasher = BLAKE3BufferHasher(isa: isa, batchCapacity: 4 << 20)
                var best = Double.infinity
                for _ in 0..<repetitions {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = hasher.hash(messages, mode: .hash())
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                results.append(Result(isa: isa.rawValue, workload: name, bytes: messages.reduce(0) { $0 + $1.count },
                                      bestSeconds: best))
            }
        }
        for kernel in pieceKernels {
            results.append(measure(kernel, bytes: large[0], repetitions: repetitions))
        }
        return results
    }

    /// The kernels other than BLAKE3 that `run` times on the large message.
    public static let pieceKernels: [any ComputeKernel] = [ByteHistogramKernel(figures: .entropy), StatisticsKernel(dtype: .f32)]

    /// `kernel`'s CPU executor over `bytes`, cut into the kernel's pieces and run in 1 MiB
    /// batches, as a CPU worker runs them (no assembly). Its workload is the kernel's name.
    public static func measure(_ kernel: any ComputeKernel, bytes: [UInt8], repetitions: Int) -> Result {
        let isa = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)
        var executor = kernel.makeCPUExecutor(isa: isa)
        let batchBytes = 1 << 20
        var batches: [[Piece]] = []
        var cursor = PieceCursor(layout: kernel.layout, fileSize: UInt64(bytes.count))
        var current: [Piece] = []
        var batchStart: UInt64 = 0
        while let step = cursor.next() {
            if step.fileOffset + UInt64(step.length) - batchStart > UInt64(batchBytes) {
                batches.append(current)
                current = []
                batchStart = step.fileOffset
            }
            current.append(Piece(bufferOffset: Int(step.fileOffset), length: step.length, fileOffset: step.fileOffset,
                                 fileIndex: 0, isWholeFile: step.isWholeFile))
        }
        batches.append(current)
        var partials: [UInt32] = []
        var best = Double.infinity
        bytes.withUnsafeBytes { buffer in
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                for batch in batches { executor.run(pieces: batch, bytes: buffer.baseAddress!, partials: &partials) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        return Result(isa: isa.rawValue, workload: kernel.name, bytes: bytes.count, bestSeconds: best)
    }
}

/// A small deterministic generator (SplitMix64): the same bytes on every run and machine.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
