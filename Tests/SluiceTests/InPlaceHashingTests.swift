import Foundation
import XCTest
@testable import Sluice
import CSluice

/// Large files hashed in place from their mappings on CPU lanes: the same digests as b3sum, a
/// real SIGBUS when the file shrinks under the kernels (patched with a zero page, reported as
/// changed, never a crash), and resident memory that stays flat.
final class InPlaceHashingTests: XCTestCase {
    private func job(_ path: RawPath) throws -> FileJob {
        try XCTUnwrap(Catalog.build([path]).jobs.first, "\(path) not listed")
    }

    /// A file of `bytes` in `scratch` and a reader that maps it to lend its bytes in place.
    private func inPlaceReader(of bytes: [UInt8], named name: String, in scratch: ScratchDirectory,
                               file: StaticString = #filePath, line: UInt = #line) throws -> (RawPath, FileReader) {
        let path = try scratch.write(scratch.path(name), bytes)
        let reader = try FileReader(job: job(path), inPlace: true)
        XCTAssertTrue(reader.readsInPlace, file: file, line: line)
        return (path, reader)
    }

    /// Lent bytes of a file truncated after the loan: reading them raises SIGBUS, which maps a
    /// zero page in and flags the mapping; the read goes on and sees zeros past the new end.
    func testReadingLentBytesOfATruncatedFileSeesZerosAndFlagsTheMapping() throws {
        let scratch = try ScratchDirectory()
        let size = 4 << 20
        let bytes = randomBytes(size)
        let (path, reader) = try inPlaceReader(of: bytes, named: "lent", in: scratch)
        let lent = try reader.lend(0 ..< UInt64(size))
        XCTAssertFalse(reader.shrankWhileLent)
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: lent, count: size)), bytes, "the loan is the file's bytes")

        let patchedBefore = sluice_patched_pages()
        XCTAssertEqual(truncate(path.description, 8192), 0)
        // Every page past the new end is gone: each read of one raises a real SIGBUS.
        let seen = Array(UnsafeRawBufferPointer(start: lent, count: size))
        XCTAssertTrue(reader.shrankWhileLent, "the mapping is flagged")
        XCTAssertEqual(sluice_patched_pages() - patchedBefore, UInt64(size - 8192) / 4096, "one zero page per vanished page")
        XCTAssertEqual(Array(seen[0 ..< 8192]), Array(bytes[0 ..< 8192]), "the pages still in the file are unchanged")
        XCTAssertTrue(seen[8192...].allSatisfy { $0 == 0 }, "the vanished pages read as zeros")
        // A new loan of the range past the end fails at once.
        XCTAssertThrowsError(try reader.lend(1 << 20 ..< 2 << 20)) { error in
            XCTAssertEqual((error as? FileProblem)?.kind, .changed)
        }
        reader.giveBack(0 ..< UInt64(size))
        XCTAssertThrowsError(try reader.finish())
    }

    /// A loan made after the file shrank: mapping its pages in (one read per 64 KiB, from the
    /// lending thread) meets the SIGBUS itself, so the loan fails as "shrank while being read"
    /// and no kernel ever sees those bytes. A loan still inside the new end is lent as before.
    func testALoanPastTheNewEndFailsWhenItsPagesAreMappedIn() throws {
        let scratch = try ScratchDirectory()
        let bytes = randomBytes(4 << 20)
        let (path, reader) = try inPlaceReader(of: bytes, named: "shrunk", in: scratch)
        XCTAssertEqual(truncate(path.description, 1 << 20), 0)

        let inside = try reader.lend(0 ..< 1 << 20)
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: inside, count: 1 << 20)), Array(bytes[0 ..< 1 << 20]))
        XCTAssertFalse(reader.shrankWhileLent, "nothing past the new end was read yet")

        let patchedBefore = sluice_patched_pages()
        XCTAssertThrowsError(try reader.lend(2 << 20 ..< 3 << 20)) { error in
            XCTAssertEqual((error as? FileProblem)?.kind, .changed)
            XCTAssertEqual((error as? FileProblem)?.message, "file shrank while being read")
        }
        XCTAssertGreaterThan(sluice_patched_pages(), patchedBefore, "the pages were touched and met a real SIGBUS")
        reader.giveBack(0 ..< 1 << 20)
        XCTAssertThrowsError(try reader.finish())
    }

    /// A SIGBUS outside every registered mapping is not swallowed: the guard only patches pages
    /// of mappings read in place. Checked in a forked child (with the handler installed by a
    /// registration), which must die of SIGBUS when it reads a vanished page of a plain mapping.
    func testSigbusOutsideTheRegisteredMappingsStillKillsTheProcess() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.writeRandom("unguarded", size: 1 << 20)
        let fd = path.withCString { open($0, O_RDWR) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let guarded = try XCTUnwrap(FileMapping(fd: fd, length: 1 << 20, inPlace: true))
        XCTAssertTrue(guarded.inPlace)
        let plain = try XCTUnwrap(mmap(nil, 1 << 20, PROT_READ, MAP_SHARED, fd, 0))
        XCTAssertNotEqual(plain, MAP_FAILED)
        defer { munmap(plain, 1 << 20) }
        XCTAssertEqual(ftruncate(fd, 0), 0)
        let child = fork()
        if child == 0 {
            // Only system calls and a load here: the child of a threaded process. Its stderr
            // goes nowhere (the runtime's crash report is expected).
            let null = open("/dev/null", O_WRONLY)
            dup2(null, 2)
            let byte = UnsafeRawPointer(plain).load(fromByteOffset: 512 * 1024, as: UInt8.self)
            _exit(byte == 0 ? 0 : 1)
        }
        XCTAssertGreaterThan(child, 0)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(child, &status, 0), child)
        // WIFSIGNALED and WTERMSIG, which Swift does not import.
        XCTAssertEqual(status & 0x7f, SIGBUS, "the child died of SIGBUS (wait status \(status))")
        // The registered mapping, read in the same way in this process, is patched instead.
        XCTAssertEqual(guarded.bytes(at: 512 * 1024).load(as: UInt8.self), 0)
        XCTAssertTrue(guarded.faulted)
    }

    /// A backend that truncates one file just before its CPU worker hashes the file's last lent
    /// batch: the reader has lent every range by then (no later loan can see the truncation), so
    /// only the SIMD kernels' reads of the vanished pages (a real SIGBUS) can find it.
    private final class TruncatingBackend: ComputeBackend, @unchecked Sendable {
        let isa = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)
        let victim: RawPath
        let victimSize: Int
        let newSize: Int
        private(set) var truncatedBeforeHashing = false

        init(victim: RawPath, victimSize: Int, newSize: Int) {
            self.victim = victim
            self.victimSize = victimSize
            self.newSize = newSize
        }

        var deviceName: String { "cpu:\(isa.rawValue)" }
        var workerCount: Int { 1 }
        var preferredBatchBytes: Int { 1 << 20 }
        var isHostCPU: Bool { true }
        func makeStagingBuffer(capacity: Int) -> StagingBuffer { StagingBuffer(capacity: capacity) }

        func runWorker(index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>,
                       deliver: (ComputedBatch) -> Void, recycle: (StagingBuffer) -> Void, clock: StageClock) throws {
            var executor = kernel.makeCPUExecutor(isa: isa)
            while let batch = batches.pop() {
                let end = batch.pieces.last.map { Int($0.fileOffset) + $0.length }
                if batch.lender != nil, end == victimSize, !truncatedBeforeHashing {
                    XCTAssertEqual(truncate(victim.description, off_t(newSize)), 0)
                    truncatedBeforeHashing = true
                }
                var partials: [UInt32] = []
                executor.run(pieces: batch.pieces, bytes: UnsafeRawPointer(batch.bytes), partials: &partials)
                let computed = ComputedBatch(batch: batch, partials: partials)
                recycle(batch)
                deliver(computed)
            }
        }
    }

    func testFileTruncatedWhileItsLentBytesAreHashedIsChangedAndTheOthersAreRight() throws {
        let scratch = try ScratchDirectory()
        let others = try [0, 1, 5000, 1 << 20, (3 << 20) + 17].enumerated().map {
            try scratch.writeRandom("other-\($0.offset)", size: $0.element)
        }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(others.map(\.description)).stdout)
        let victimSize = (8 << 20) + 4099
        let victim = try scratch.writeRandom("victim", size: victimSize)
        let backend = TruncatingBackend(victim: victim, victimSize: victimSize, newSize: 4096)
        let patchedBefore = sluice_patched_pages()
        let (results, summary) = try runPipeline([victim] + others, backend: backend) { configuration in
            configuration.readers = 1
        }
        XCTAssertTrue(backend.truncatedBeforeHashing, "the file was truncated during the run")
        XCTAssertGreaterThan(sluice_patched_pages(), patchedBefore, "the kernels met a real SIGBUS")
        let failed = try XCTUnwrap(results.first { $0.path == victim })
        XCTAssertNil(failed.digest)
        XCTAssertEqual(failed.problem?.kind, .changed)
        XCTAssertEqual(failed.problem?.message, "file shrank while being hashed (SIGBUS on the mapping)")
        XCTAssertEqual(summary.filesFailed, 1)
        var digests: [String: String] = [:]
        for result in results where result.path != victim { digests[result.path.description] = result.hexDigest }
        XCTAssertEqual(digests, expected, "every other file's digest is b3sum's")
    }

    /// When no mapping can be registered (every SIGBUS slot taken), files meant to be hashed in
    /// place are copied with pread instead, whatever their size: the same digests.
    func testFilesWhoseMappingIsRefusedAreCopiedInstead() throws {
        let scratch = try ScratchDirectory()
        let files = try [1, 100, 70_000, (5 << 20) + 3].enumerated().map { try scratch.writeRandom("f\($0.offset)", size: $0.element) }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(files.map(\.description)).stdout)
        var taken: [Int32] = []
        var dummy: UInt8 = 0
        while true {
            let handle = sluice_guard_mapping(&dummy, 1)
            if handle < 0 { break }
            taken.append(handle)
        }
        defer { for handle in taken { sluice_unguard_mapping(handle) } }
        XCTAssertEqual(taken.count, Int(SLUICE_GUARDED_MAPPINGS), "this test took every slot")
        let (results, summary) = try runPipeline(files, backend: try TestBackendKind.cpu.make(batchBytes: 1 << 20)) {
            $0.readStrategy = .mmap
        }
        XCTAssertEqual(summary.filesFailed, 0)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: results.map { ($0.path.description, $0.hexDigest ?? "") }), expected)
    }

    /// Large files are lent, not copied: the run creates few staging buffers, and mapped pages
    /// leave the process's page tables as their batches finish.
    func testLargeFilesAreHashedInPlaceWithFlatResidentMemory() throws {
        let scratch = try ScratchDirectory()
        let files = try (0..<3).map { try scratch.writeRandom("large-\($0)", size: 96 << 20) }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(files.map(\.description)).stdout)
        let sampler = ResidentFileSampler()
        sampler.start()
        let (results, summary) = try runPipeline(files, backend: try TestBackendKind.cpu.make(batchBytes: 1 << 20))
        let peakKiB = sampler.stop()
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: results.map { ($0.path.description, $0.hexDigest ?? "") }), expected)
        // No staging buffer was needed for bytes that were never copied (one per reader is taken up front).
        XCTAssertLessThanOrEqual(summary.stagingBuffers, 2, "large files were copied into staging")
        // 288 MiB hashed; at most the lent batches in flight (every reader's and two per worker,
        // within the 192 MiB bound) are mapped at once, plus one range being populated.
        let readers = RunConfiguration().readers, workers = 2
        let range = ReaderStage.inPlaceRangeBytes(readers: readers, workers: workers)
        let lentBound = min(ReaderStage.lentBytesLimit, (readers + 2 * workers) * range) + range
        XCTAssertLessThan(lentBound, 288 << 20)
        XCTAssertLessThanOrEqual(peakKiB, lentBound >> 10, "file-backed RSS peaked at \(peakKiB) KiB")
    }
}

/// Samples `RssFile` of this process on a thread until stopped; reports the peak above the start.
private final class ResidentFileSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peak = 0
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    func start() {
        let base = (try? residentFileKiB()) ?? 0
        thread = Thread { [self] in
            while true {
                lock.lock()
                let keepGoing = running
                peak = max(peak, ((try? residentFileKiB()) ?? base) - base)
                lock.unlock()
                if !keepGoing { break }
                usleep(1000)
            }
            done.signal()
        }
        thread?.start()
    }

    func stop() -> Int {
        lock.lock()
        running = false
        lock.unlock()
        done.wait()
        return peak
    }
}
