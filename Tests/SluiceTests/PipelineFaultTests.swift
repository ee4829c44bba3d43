import Foundation
import XCTest
@testable import Sluice

/// Files that change under the pipeline: truncated mid-read, removed or grown after listing.
/// Each is a result for that file alone; the run survives and every other file hashes right.
final class PipelineFaultTests: XCTestCase {
    /// A backend wrapper that holds the compute stage at a gate, so the reader stalls on the
    /// exhausted buffer pool in the middle of a large file; it reports when the pool has created
    /// `readyAfterBuffers` buffers (the reader is then past the file's first batches).
    /// This makes "truncate while the file is being read" deterministic, without sleeps.
    private final class GatedBackend: ForwardingLane, @unchecked Sendable {
        let readyAfterBuffers: Int
        let ready = DispatchSemaphore(value: 0)
        private let condition = NSCondition()
        private var open = false
        private var created = 0

        init(_ inner: ComputeBackend, readyAfterBuffers: Int) {
            self.readyAfterBuffers = readyAfterBuffers
            super.init(inner)
        }

        // Not a host-CPU lane, even around the CPU backend: bytes are then copied into staging
        // (through the mapping's guarded copy under `.mmap`), never hashed in place, so the
        // reader stalls on the pool. In-place hashing has its own tests (InPlaceHashingTests).
        override var isHostCPU: Bool { false }
        override var readsLentBytes: Bool { false }
        // The pool makes its buffers here, whatever the wrapped lane is.
        override var providesStaging: Bool { true }

        override func makeStagingBuffer(capacity: Int) -> StagingBuffer {
            condition.lock()
            created += 1
            let signal = created == readyAfterBuffers
            condition.unlock()
            if signal { ready.signal() }
            return inner.makeStagingBuffer(capacity: capacity)
        }

        func openGate() {
            condition.lock()
            open = true
            condition.broadcast()
            condition.unlock()
        }

        override func runWorker(index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>,
                                deliver: (ComputedBatch) -> Void, recycle: (StagingBuffer) -> Void, clock: StageClock) throws {
            condition.lock()
            while !open { condition.wait() }
            condition.unlock()
            try inner.runWorker(index: index, kernel: kernel, batches: batches, deliver: deliver, recycle: recycle, clock: clock)
        }
    }

    private func assertTruncatedFileIsAProblem(_ kind: TestBackendKind, read: ReadStrategy,
                                               file: StaticString = #filePath, line: UInt = #line) throws {
        let scratch = try ScratchDirectory()
        let bigSize = 64 << 20
        // Sparse: instant to create, and reads like any other file.
        let big = scratch.path("big.bin")
        try scratch.write(big, [])
        XCTAssertEqual(truncate(big.description, off_t(bigSize)), 0)
        var small: [RawPath] = []
        for number in 0..<6 {
            small.append(try scratch.writeRandom("small\(number).bin", size: [0, 1, 1025, 70_000, 300_000, 1 << 20][number]))
        }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(small.map(\.description)).stdout)

        let batchBytes = 64 << 10
        let backend = GatedBackend(try kind.make(batchBytes: batchBytes), readyAfterBuffers: 3)
        // The truncation runs on its own thread: the pipeline blocks this one until the end.
        let truncated = DispatchSemaphore(value: 0)
        let sawReaderMidFile = ResultFlag()
        let truncator = Thread {
            // 3 buffers created: the single reader has filled two 64 KiB batches of the 64 MiB
            // file (largest first) and cannot go past 16 (the 1 MiB pool) while compute is held.
            if backend.ready.wait(timeout: .now() + 20) == .success { sawReaderMidFile.set() }
            _ = truncate(big.description, off_t(bigSize / 2 + 4321))
            truncated.signal()
            backend.openGate()
        }
        truncator.start()

        let (results, summary) = try runPipeline([big] + small, backend: backend) { configuration in
            configuration.batchBytes = batchBytes
            configuration.memoryBytes = 1 << 20
            configuration.readers = 1
            configuration.readStrategy = read
        }
        XCTAssertEqual(truncated.wait(timeout: .now() + 5), .success, file: file, line: line)
        XCTAssertTrue(sawReaderMidFile.isSet, "\(kind) \(read): the reader never reached the third buffer",
                      file: file, line: line)

        XCTAssertEqual(results.count, small.count + 1, "\(kind) \(read): one result per file", file: file, line: line)
        let bigResult = try XCTUnwrap(results.first { $0.path == big }, file: file, line: line)
        XCTAssertNil(bigResult.digest, "\(kind) \(read): a truncated file must not get a digest", file: file, line: line)
        let problem = try XCTUnwrap(bigResult.problem, file: file, line: line)
        XCTAssertTrue(problem.kind == .changed || problem.kind == .error, "\(kind) \(read): \(problem)",
                      file: file, line: line)
        XCTAssertTrue(problem.isFailure, file: file, line: line)
        XCTAssertTrue(problem.message.contains("shrank") || problem.message.contains("changed"), "\(kind) \(read): \(problem)",
                      file: file, line: line)
        XCTAssertEqual(summary.filesFailed, 1, file: file, line: line)
        XCTAssertEqual(summary.filesHashed, small.count, file: file, line: line)
        XCTAssertEqual(summary.exitCode, 1, file: file, line: line)
        for result in results where result.path != big {
            XCTAssertEqual(result.hexDigest, expected[result.path.description], "\(kind) \(read): \(result.path)",
                           file: file, line: line)
        }
    }

    func testTruncatedFileIsAChangedResultNotACrashWithPreadOnCPU() throws {
        try assertTruncatedFileIsAProblem(.cpu, read: .pread)
    }

    func testTruncatedFileIsAChangedResultNotACrashWithMmapOnCPU() throws {
        // Touching the vanished pages raises SIGBUS: the guarded copy must turn it into a result.
        try assertTruncatedFileIsAProblem(.cpu, read: .mmap)
    }

    func testTruncatedFileIsAChangedResultNotACrashWithPreadOnOpenCL() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        try assertTruncatedFileIsAProblem(.opencl, read: .pread)
    }

    func testTruncatedFileIsAChangedResultNotACrashWithMmapOnOpenCL() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        try assertTruncatedFileIsAProblem(.opencl, read: .mmap)
    }

    // MARK: - Changes between listing and reading

    func testFileRemovedAfterListingIsVanishedAndDoesNotFailTheRun() throws {
        for kind in TestBackendKind.allCases where kind.isAvailable {
            let scratch = try ScratchDirectory()
            let keep = try scratch.writeRandom("keep.bin", size: 5000)
            let gone = try scratch.writeRandom("gone.bin", size: 5000)
            let catalog = try Catalog.build([keep, gone])
            XCTAssertEqual(unlink(gone.description), 0)
            let sink = CollectingSink()
            let summary = try Pipeline(catalog: catalog, backend: try kind.make(), configuration: RunConfiguration(),
                                       sink: sink).run()
            let goneResult = try XCTUnwrap(sink.results.first { $0.path == gone })
            XCTAssertEqual(goneResult.problem?.kind, .vanished, "\(kind)")
            XCTAssertNil(goneResult.digest)
            XCTAssertEqual(summary.filesFailed, 0, "\(kind): vanished is a warning, not a failure")
            XCTAssertEqual(summary.filesSkipped, 1, "\(kind)")
            XCTAssertEqual(summary.exitCode, 0, "\(kind)")
            let expected = ChecksumLines.digests(try Subprocess.b3sum([keep.description]).stdout)
            XCTAssertEqual(sink.results.first { $0.path == keep }?.hexDigest, expected[keep.description], "\(kind)")
        }
    }

    func testFileGrownAfterListingIsChangedNeverASilentDigest() throws {
        for kind in TestBackendKind.allCases where kind.isAvailable {
            let scratch = try ScratchDirectory()
            let grown = try scratch.writeRandom("grown.bin", size: 100_000)
            let catalog = try Catalog.build([grown])
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: grown.description))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(repeating: 7, count: 3))
            try handle.close()
            let sink = CollectingSink()
            let summary = try Pipeline(catalog: catalog, backend: try kind.make(), configuration: RunConfiguration(),
                                       sink: sink).run()
            XCTAssertEqual(sink.results.count, 1)
            XCTAssertNil(sink.results.first?.digest, "\(kind): a grown file must not get the old size's digest")
            XCTAssertEqual(sink.results.first?.problem?.kind, .changed, "\(kind)")
            XCTAssertEqual(summary.exitCode, 1, "\(kind)")
        }
    }
}

/// A flag set on one thread and read on another after a semaphore handshake.
final class ResultFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
