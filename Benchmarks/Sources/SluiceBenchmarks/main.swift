import Benchmark
import Foundation
import Sluice

// MARK: Throughput columns
//
// Each benchmark stores what one iteration processes in its counters ("bytes", and "files" where
// per-file cost matters). The columns below divide those by the median iteration time, so the
// table shows GB/s (bytes per nanosecond) and ns per file next to swift-benchmark's own columns.

/// Median of the measured iteration times in ns (swift-benchmark's own `median` is internal).
func medianNanoseconds(_ result: BenchmarkResult) -> Double {
    let sorted = result.measurements.sorted()
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

BenchmarkColumn.registry["GB/s"] = BenchmarkColumn(
    name: "GB/s",
    value: { result in
        let median = medianNanoseconds(result)
        guard let bytes = result.counters["bytes"], median > 0 else { return 0 }
        return bytes / median  // bytes per ns == GB/s (measurements are ns)
    },
    formatter: { value, _ in String(format: "%.3f", value) })
BenchmarkColumn.registry["ns/file"] = BenchmarkColumn(
    name: "ns/file",
    value: { result in
        guard let files = result.counters["files"], files > 0 else { return 0 }
        return medianNanoseconds(result) / files
    },
    formatter: { value, _ in value == 0 ? "-" : String(format: "%.0f", value) })

// MARK: Inputs

/// Deterministic incompressible-looking bytes (xorshift64*).
func makeBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { raw in
        var index = 0
        while index < count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            var word = state &* 0x2545_F491_4F6C_DD1D
            for _ in 0..<8 where index < count {
                raw[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
    }
    return out
}

/// Notes go to stderr, next to swift-benchmark's progress lines (stdout is buffered).
func note(_ line: String) { FileHandle.standardError.write(Data(("note: " + line + "\n").utf8)) }

/// Keeps a result alive so the optimiser cannot drop the work that produced it.
@inline(never)
func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

/// `BLAKE3BufferHasher.hash` is mutating; the benchmark closures share one hasher through this box.
final class HasherBox {
    var hasher: BLAKE3BufferHasher
    init(isa: CPUVectorISA) { hasher = BLAKE3BufferHasher(isa: isa, batchCapacity: 4 << 20) }
}

let bigMessage = makeBytes(16 << 20, seed: 1)
let tinyMessages: [[UInt8]] = (0..<4096).map { makeBytes(4 << 10, seed: UInt64($0) + 2) }
let referenceMessage = makeBytes(1 << 20, seed: 3)
let expectedBig = BLAKE3Reference.hash(bigMessage)
let expectedTinyFirst = BLAKE3Reference.hash(tinyMessages[0])

let isas = CPUVectorISA.allCases.filter { $0 <= .detected }

// MARK: 1. CPU kernel per instruction set, one 16 MiB message

let kernels = BenchmarkSuite(name: "blake3-cpu") { suite in
    for isa in isas {
        let box = HasherBox(isa: isa)
        precondition(box.hasher.hash([bigMessage], mode: .hash()) == [expectedBig], "\(isa) digest mismatch")
        suite.benchmark("16MiB \(isa.rawValue)") { state in
            state.counters["bytes"] = Double(bigMessage.count)
            var digests: [[UInt8]] = []
            try state.measure { digests = box.hasher.hash([bigMessage], mode: .hash()) }
            consume(digests)
        }
    }
}

// MARK: 2. Cost per file: 4096 messages of 4 KiB

let tiny = BenchmarkSuite(name: "blake3-cpu") { suite in
    let box = HasherBox(isa: .detected)
    precondition(box.hasher.hash(tinyMessages, mode: .hash()).first == expectedTinyFirst, "tiny digest mismatch")
    suite.benchmark("4096x4KiB \(CPUVectorISA.detected.rawValue)") { state in
        state.counters["bytes"] = Double(tinyMessages.count * (4 << 10))
        state.counters["files"] = Double(tinyMessages.count)
        var digests: [[UInt8]] = []
        try state.measure { digests = box.hasher.hash(tinyMessages, mode: .hash()) }
        consume(digests)
    }
}

// MARK: 3. Library pipeline on one 4 MiB batch (64 files x 64 KiB), OpenCL vs CPU

let corpusFiles = 64
let corpusFileBytes = 64 << 10
let corpusDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("sluice-bench-\(ProcessInfo.processInfo.processIdentifier)")
try! FileManager.default.createDirectory(at: corpusDirectory, withIntermediateDirectories: true)
var corpusDigests: [String: [UInt8]] = [:]
for index in 0..<corpusFiles {
    let bytes = makeBytes(corpusFileBytes, seed: UInt64(index) + 10_000)
    let url = corpusDirectory.appendingPathComponent(String(format: "f%03d.bin", index))
    try! Data(bytes).write(to: url)
    corpusDigests[url.lastPathComponent] = BLAKE3Reference.hash(bytes)
}
let catalog = try! Catalog.build(paths: [RawPath(corpusDirectory.path)], options: CatalogOptions())
precondition(catalog.jobs.count == corpusFiles, "catalog found \(catalog.jobs.count) files")

/// One pipeline run over the corpus; checks every digest so a broken backend cannot look fast.
func runPipeline(_ backend: ComputeBackend) throws -> Int {
    let sink = CollectingSink()
    let summary = try Pipeline(catalog: catalog, backend: backend, configuration: RunConfiguration(), sink: sink).run()
    return summary.filesHashed + sink.results.count
}

func verify(_ backend: ComputeBackend) throws {
    let sink = CollectingSink()
    let summary = try Pipeline(catalog: catalog, backend: backend, configuration: RunConfiguration(), sink: sink).run()
    note("check run, \(backend.deviceName):\n" + summary.text)
    precondition(sink.results.count == corpusFiles, "\(backend.deviceName): \(sink.results.count) results")
    for result in sink.results {
        let name = String(result.path.description.split(separator: "/").last ?? "")
        precondition(result.digest == corpusDigests[name], "\(backend.deviceName): wrong digest for \(name)")
    }
}

let pipeline = BenchmarkSuite(name: "pipeline") { suite in
    func add(_ name: String, _ backend: ComputeBackend) {
        try! verify(backend)  // also warms up: program build, first enqueue, page cache
        suite.benchmark(name) { state in
            state.counters["bytes"] = Double(corpusFiles * corpusFileBytes)
            state.counters["files"] = Double(corpusFiles)
            var hashed = 0
            var failure: Error?
            try state.measure {
                do { hashed = try runPipeline(backend) } catch { failure = error }
            }
            if let failure { throw failure }
            consume(hashed)
        }
    }

    if let device = DeviceInventory.current().openCL.first?.device {
        // The first program build takes seconds: done here, once, outside the timed region.
        do {
            let backend = try OpenCLBackend(device: device)
            note("OpenCL device \(backend.deviceName)")
            add("64x64KiB opencl", backend)
        } catch {
            note("skipping the OpenCL pipeline benchmark: \(error)")
        }
    } else {
        note("skipping the OpenCL pipeline benchmark: no OpenCL device")
    }
    add("64x64KiB cpu-\(CPUVectorISA.detected.rawValue)x2", CPUBackend(isa: .detected, workers: 2))
}

// MARK: 4. Scalar reference, 1 MiB

let reference = BenchmarkSuite(name: "blake3-reference") { suite in
    precondition(BLAKE3Reference.hash(referenceMessage).count == 32)
    suite.benchmark("1MiB scalar") { state in
        state.counters["bytes"] = Double(referenceMessage.count)
        var digest: [UInt8] = []
        try state.measure { digest = BLAKE3Reference.hash(referenceMessage) }
        consume(digest)
    }
}

// MARK: 5. Typed statistics on the CPU, one 64 MiB buffer of each element type's pieces

/// 64 MiB of `type` elements, little-endian: an offset plus a spread for floats, random integers.
func statisticsBytes(_ type: ElementType) -> [UInt8] {
    var generator = SplitMix64(seed: 0x57A7)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(64 << 20)
    while bytes.count < 64 << 20 {
        let unit = Double(generator.next() >> 11) / Double(1 << 52) - 1
        switch type {
        case .f32: withUnsafeBytes(of: Float(3.25 + 1000 * unit).bitPattern.littleEndian) { bytes += $0 }
        case .f64: withUnsafeBytes(of: (3.25 + 1000 * unit).bitPattern.littleEndian) { bytes += $0 }
        default: withUnsafeBytes(of: generator.next().littleEndian) { bytes += $0.prefix(type.byteSize) }
        }
    }
    return bytes
}
let statisticsPieces = (0..<((64 << 20) / Piece.maxBytes)).map {
    Piece(bufferOffset: $0 * Piece.maxBytes, length: Piece.maxBytes, fileOffset: UInt64($0 * Piece.maxBytes),
          fileIndex: 0, isWholeFile: false)
}

let statistics = BenchmarkSuite(name: "stats-cpu") { suite in
    for type in [ElementType.f32, .f64, .i16] {
        let bytes = statisticsBytes(type)
        let kernel = StatisticsKernel(dtype: type)
        var executor = kernel.makeCPUExecutor(isa: .detected)
        var partials: [UInt32] = []
        func compute() -> StatisticsFigures {
            bytes.withUnsafeBytes { executor.run(pieces: statisticsPieces, bytes: $0.baseAddress!, partials: &partials) }
            var accumulator = kernel.makeAccumulator()
            partials.withUnsafeBufferPointer { words in
                for (index, piece) in statisticsPieces.enumerated() {
                    accumulator.add(piece, partial: words.baseAddress! + index * StatisticsPartial.words)
                }
            }
            return (accumulator.finalize(fileSize: UInt64(bytes.count)) as! StatisticsOutput).file
        }
        // Checked against the scalar reference before timing (1e-12 relative).
        let expected = bytes.withUnsafeBytes { StatisticsReference.figures($0, type: type, bigEndian: false) }
        let got = compute()
        precondition(got.count == expected.count && got.min == expected.min && got.max == expected.max
                     && abs(got.std! - expected.std!) <= 1e-12 * abs(expected.std!), "\(type.name): figures differ")
        suite.benchmark("64MiB \(type.name)") { state in
            state.counters["bytes"] = Double(bytes.count)
            var figures = got
            try state.measure { figures = compute() }
            consume(figures)
        }
    }
}

// Modest run times: each benchmark stops after 1 s of measurements or 200 iterations; command-line
// flags (--min-time, --max-iterations, --iterations, --filter, --columns ...) override these.
Benchmark.main(
    [kernels, tiny, pipeline, reference, statistics],
    customDefaults: defaultSettings + [
        MinTime(seconds: 1.0),
        MaxIterations(200),
        WarmupIterations(2),
        Columns(["name", "time", "std", "max", "iterations", "GB/s", "ns/file"]),
    ])

try? FileManager.default.removeItem(at: corpusDirectory)
