import Foundation
import XCTest
@testable import Sluice

/// Whole-pipeline BLAKE3 digests of real files against `b3sum`, on both backends, with batches
/// and a memory bound small enough that large files span many batches and the pool recycles.
final class PipelineDigestTests: XCTestCase {
    /// One run's settings: how files are read, staging buffer size and memory bound.
    private struct Setting: CustomStringConvertible {
        var read: ReadStrategy
        var batchBytes: Int?
        var memoryBytes: Int
        var readers = 2
        var description: String {
            "read=\(read.rawValue) batch=\(batchBytes.map(String.init) ?? "default") memory=\(memoryBytes) readers=\(readers)"
        }
    }

    /// Sizes around every boundary that matters: BLAKE3 blocks (64) and chunks (1024), every
    /// power of two from 2 KiB (two chunks) to 4 MiB (several 64 KiB subtrees and staging buffers).
    private static func boundarySizes(upToPower maxPower: Int) -> [Int] {
        var sizes = [0, 1, 63, 64, 65, 1023, 1024, 1025]
        for power in 11...maxPower {
            sizes += [(1 << power) - 1, 1 << power, (1 << power) + 1]
        }
        return sizes
    }

    /// Writes one random file per size (plus `extra` sizes) and returns their paths.
    private func writeCorpus(_ scratch: ScratchDirectory, sizes: [Int]) throws -> [RawPath] {
        // One random pool, sliced at different offsets: fast, and no two files share contents.
        let pool = randomBytes((sizes.max() ?? 0) + 4096)
        return try sizes.enumerated().map { number, size in
            let start = (number * 977) % 4096
            return try scratch.write(scratch.path("f\(number)-\(size).bin"), Array(pool[start..<(start + size)]))
        }
    }

    /// The single parameterised check: every file's digest from the pipeline (on `kind`, under
    /// each setting) equals b3sum's, and every file is hashed with nothing failed.
    private func assertPipelineMatchesB3sum(_ kind: TestBackendKind, paths: [RawPath], settings: [Setting],
                                            file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try Subprocess.b3sum(paths.map(\.description))
        let expected = ChecksumLines.digests(reference.stdout)
        XCTAssertEqual(expected.count, paths.count, "b3sum listed every file", file: file, line: line)
        for setting in settings {
            let backend = try kind.make(batchBytes: setting.batchBytes ?? (4 << 20))
            let (results, summary) = try runPipeline(paths, backend: backend) { configuration in
                configuration.readStrategy = setting.read
                configuration.batchBytes = setting.batchBytes
                configuration.memoryBytes = setting.memoryBytes
                configuration.readers = setting.readers
            }
            XCTAssertEqual(summary.filesHashed, paths.count, "\(kind) \(setting)", file: file, line: line)
            XCTAssertEqual(summary.filesFailed, 0, "\(kind) \(setting)", file: file, line: line)
            XCTAssertEqual(results.count, paths.count, "\(kind) \(setting): one result per file", file: file, line: line)
            XCTAssertEqual(Set(results.map(\.path)).count, paths.count, "\(kind) \(setting): no duplicates",
                           file: file, line: line)
            var mismatches: [String] = []
            for result in results {
                let want = expected[result.path.description]
                if result.hexDigest == nil || result.hexDigest != want {
                    mismatches.append("\(result.path) (size \(result.size)): sluice \(result.hexDigest ?? "\(result.problem.map(String.init(describing:)) ?? "nil")") b3sum \(want ?? "nil")")
                }
            }
            XCTAssertTrue(mismatches.isEmpty, "\(kind) \(setting): \(mismatches.count) digests differ from b3sum:\n"
                          + mismatches.prefix(20).joined(separator: "\n"), file: file, line: line)
            if let batchBytes = setting.batchBytes {
                XCTAssertEqual(summary.stagingBufferBytes, batchBytes, "\(kind) \(setting)", file: file, line: line)
                let created = summary.stagingBuffers * summary.stagingBufferBytes
                // The pool never grows past its bound (at least one buffer per reader and per batch a lane keeps in flight, +1).
                let floor = (setting.readers + backend.buffersInFlight(bufferBytes: batchBytes) + 1) * batchBytes
                XCTAssertLessThanOrEqual(created, max(setting.memoryBytes, floor), "\(kind) \(setting): memory bound",
                                         file: file, line: line)
            }
        }
    }

    // MARK: - Every size class

    func testEverySizeClassMatchesB3sumOnCPUWithSmallBatchesBothReadStrategies() throws {
        let scratch = try ScratchDirectory()
        // Up to 2^22 ± 1, one ~24 MiB file, all far larger than one 64–256 KiB staging buffer.
        let paths = try writeCorpus(scratch, sizes: Self.boundarySizes(upToPower: 22) + [24 << 20 | 12_345])
        try assertPipelineMatchesB3sum(.cpu, paths: paths, settings: [
            Setting(read: .pread, batchBytes: 64 << 10, memoryBytes: 1 << 20),
            Setting(read: .mmap, batchBytes: 256 << 10, memoryBytes: 1 << 20),
            Setting(read: .automatic, batchBytes: 128 << 10, memoryBytes: 1 << 20, readers: 1),
        ])
    }

    func testEverySizeClassMatchesB3sumOnOpenCLWithSmallBatchesBothReadStrategies() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        let scratch = try ScratchDirectory()
        // PoCL is slow: up to 2^20 ± 1 and one 5 MiB file (about 11 MiB per run, two runs).
        let paths = try writeCorpus(scratch, sizes: Self.boundarySizes(upToPower: 20) + [5 << 20 | 777])
        try assertPipelineMatchesB3sum(.opencl, paths: paths, settings: [
            Setting(read: .pread, batchBytes: 64 << 10, memoryBytes: 1 << 20),
            Setting(read: .mmap, batchBytes: 256 << 10, memoryBytes: 1 << 20),
        ])
    }

    func testLargestBoundarySizesMatchB3sumOnOpenCL() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        let scratch = try ScratchDirectory()
        // 2^22 − 1, 2^22, 2^22 + 1 on the device too (12 MiB, one run, default batch of the device).
        let power = 22
        let paths = try writeCorpus(scratch, sizes: [(1 << power) - 1, 1 << power, (1 << power) + 1])
        try assertPipelineMatchesB3sum(.opencl, paths: paths, settings: [
            Setting(read: .automatic, batchBytes: 1 << 20, memoryBytes: 4 << 20),
        ])
    }

    // MARK: - One large file read by every reader

    private func assertOneLargeFileIsSpreadOverEveryReader(_ kind: TestBackendKind) throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.writeRandom("large", size: 24 << 20 | 4321)
        let expected = ChecksumLines.digests(try Subprocess.b3sum([path.description]).stdout)[path.description]
        for read in [ReadStrategy.pread, .mmap] {
            let backend = try kind.make(batchBytes: 256 << 10)
            let (results, summary) = try runPipeline([path], backend: backend) { configuration in
                configuration.batchBytes = 256 << 10
                configuration.memoryBytes = 4 << 20
                configuration.readers = 4
                configuration.readStrategy = read
            }
            XCTAssertEqual(results.first?.hexDigest, expected, "\(kind) \(read)")
            let perThread = try XCTUnwrap(summary.stages.first { $0.name == "read" }?.bytesPerThread)
            XCTAssertEqual(perThread.count, 4, "\(kind) \(read)")
            XCTAssertEqual(perThread.reduce(0, +), UInt64(24 << 20 | 4321), "\(kind) \(read)")
            XCTAssertTrue(perThread.allSatisfy { $0 > 0 }, "\(kind) \(read): every reader read part of the file: \(perThread)")
        }
    }

    func testOneLargeFileIsSpreadOverEveryReaderOnCPU() throws {
        try assertOneLargeFileIsSpreadOverEveryReader(.cpu)
    }

    func testOneLargeFileIsSpreadOverEveryReaderOnOpenCL() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        try assertOneLargeFileIsSpreadOverEveryReader(.opencl)
    }

    // MARK: - Many tiny files in one batch

    private func assertThousandsOfTinyFilesShareOneBatch(_ kind: TestBackendKind) throws {
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("tiny")
        let pool = randomBytes(8192)
        var generator = SystemRandomNumberGenerator()
        var total = 0
        for number in 0..<3000 {
            let size = Int.random(in: 0...4096, using: &generator)
            let start = Int.random(in: 0...4096, using: &generator)
            total += size
            try scratch.write(scratch.path("tiny/t\(number)"), Array(pool[start..<(start + size)]))
        }
        // Each file starts 64-byte aligned in the buffer: 3000 × (4 KiB + 64) < 16 MiB.
        let batchBytes = 16 << 20
        XCTAssertLessThan(total + 3000 * 64, batchBytes)
        let expected = ChecksumLines.digests(try Subprocess.b3sum(["--num-threads", "1"]
            + (0..<3000).map { scratch.path("tiny/t\($0)").description }).stdout)
        XCTAssertEqual(expected.count, 3000)

        let backend = try kind.make(batchBytes: batchBytes)
        let (results, summary) = try runPipeline([directory], backend: backend) { configuration in
            configuration.batchBytes = batchBytes
            configuration.memoryBytes = batchBytes
            configuration.readers = 1
            configuration.readStrategy = .pread
        }
        XCTAssertEqual(summary.filesHashed, 3000)
        XCTAssertEqual(results.count, 3000)
        let compute = try XCTUnwrap(summary.stages.first { $0.name == "compute" })
        XCTAssertEqual(compute.items, 1, "\(kind): all 3000 files travel in one batch")
        let wrong = results.filter { $0.hexDigest != expected[$0.path.description] }
        XCTAssertTrue(wrong.isEmpty, "\(kind): \(wrong.count) of 3000 digests differ from b3sum, e.g. \(wrong.first.map { "\($0.path)" } ?? "")")
    }

    func testThreeThousandTinyFilesInOneBatchMatchB3sumOnCPU() throws {
        try assertThousandsOfTinyFilesShareOneBatch(.cpu)
    }

    func testThreeThousandTinyFilesInOneBatchMatchB3sumOnOpenCL() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        try assertThousandsOfTinyFilesShareOneBatch(.opencl)
    }
}
