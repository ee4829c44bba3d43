import Foundation
import XCTest
@testable import Sluice
import CSluice

/// The reader: both strategies give the same bytes, and every way a file can change under it
/// becomes a `FileProblem`, never a crash.
final class ReaderTests: XCTestCase {
    private func job(_ path: RawPath) throws -> FileJob {
        try XCTUnwrap(Catalog.build([path]).jobs.first, "\(path) not listed")
    }

    /// Reads the whole file in slices of `slice` bytes through a reused buffer.
    private func readAll(_ reader: FileReader, slice: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: slice)
        var offset: UInt64 = 0
        while offset < reader.size {
            let count = Int(min(UInt64(slice), reader.size - offset))
            try buffer.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< count]), at: offset) }
            result += buffer[0 ..< count]
            offset += UInt64(count)
        }
        return result
    }

    private func assertProblem(_ kind: FileProblem.Kind, _ message: String, file: StaticString = #filePath, line: UInt = #line,
                               _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a \(kind) problem", file: file, line: line)
        } catch let problem as FileProblem {
            XCTAssertEqual(problem.kind, kind, "\(problem)", file: file, line: line)
            XCTAssertTrue(problem.message.hasPrefix(message), "\(problem.message)", file: file, line: line)
        } catch {
            XCTFail("expected a FileProblem, got \(error)", file: file, line: line)
        }
    }

    func testBoundarySizesReadIdenticallyWithPreadAndMmap() throws {
        let scratch = try ScratchDirectory()
        for size in [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 1] {
            let expected = ScratchDirectory.pattern(size, seed: UInt32(size))
            let path = try scratch.write(scratch.path("f\(size)"), expected)
            for strategy in [ReadStrategy.pread, .mmap] {
                for slice in [size, 4096 + 7, 1024] {
                    let reader = try FileReader(job: job(path), strategy: strategy, adviseWillNeed: true)
                    XCTAssertEqual(reader.strategy, strategy)
                    XCTAssertEqual(try readAll(reader, slice: slice), expected, "size \(size) \(strategy) slice \(slice)")
                    XCTAssertNoThrow(try reader.finish())
                }
            }
        }
    }

    func testAutomaticStrategyMapsOnlyFilesAtOrAboveTheThreshold() throws {
        let scratch = try ScratchDirectory()
        let saved = FileReader.mmapThreshold
        defer { FileReader.mmapThreshold = saved }
        FileReader.mmapThreshold = 8192
        let below = try FileReader(job: job(scratch.write("below", size: 8191)))
        let at = try FileReader(job: job(scratch.write("at", size: 8192)))
        XCTAssertEqual(below.strategy, .pread)
        XCTAssertEqual(at.strategy, .mmap)
        XCTAssertEqual(try readAll(at, slice: 3000), ScratchDirectory.pattern(8192))
    }

    func testEmptyFileIsNeverMappedAndFinishesCleanly() throws {
        let scratch = try ScratchDirectory()
        let empty = try job(scratch.write("empty", size: 0))
        for strategy in ReadStrategy.allCases {
            let reader = try FileReader(job: empty, strategy: strategy, adviseWillNeed: true)
            XCTAssertEqual(reader.strategy, .pread, "a 0-byte file is never mapped")
            XCTAssertNoThrow(try reader.read(into: UnsafeMutableRawBufferPointer(start: nil, count: 0), at: 0))
            XCTAssertNoThrow(try reader.finish())
        }
    }

    func testTruncatedFileIsChangedNotACrashOnBothStrategies() throws {
        let scratch = try ScratchDirectory()
        for strategy in [ReadStrategy.pread, .mmap] {
            let path = try scratch.write("big-\(strategy)", size: 1 << 20)
            let reader = try FileReader(job: job(path), strategy: strategy)
            XCTAssertEqual(reader.strategy, strategy)
            // Another thread truncates the file after it was opened (and mapped).
            let truncated = DispatchSemaphore(value: 0)
            let pathText = path.description
            Thread { _ = truncate(pathText, 4096); truncated.signal() }.start()
            truncated.wait()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            // The first page is still there on both paths.
            try buffer.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0 ..< 4096]), at: 0) }
            XCTAssertEqual(Array(buffer[0 ..< 4096]), Array(ScratchDirectory.pattern(4096)))
            assertProblem(.changed, "file shrank while being read") {
                try buffer.withUnsafeMutableBytes { raw in try reader.read(into: raw, at: 512 * 1024) }
            }
            assertProblem(.changed, "file changed while being read") { try reader.finish() }
        }
    }

    func testGuardedCopyReturnsAnErrorOnATruncatedMapping() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("mapped", size: 64 * 1024)
        let fd = path.withCString { open($0, O_RDWR) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: 64 * 1024))
        XCTAssertEqual(ftruncate(fd, 0), 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        buffer.withUnsafeMutableBytes { XCTAssertEqual(mapping.copy(into: $0, at: 8192), .shrank) }
        // The guard is per call: an ordinary copy afterwards still works.
        var source: [UInt8] = [1, 2, 3]
        var target: [UInt8] = [0, 0, 0]
        XCTAssertEqual(sluice_guarded_copy(&target, &source, 3), 0)
        XCTAssertEqual(target, [1, 2, 3])
    }

    func testWindowedMappingServesReadsAcrossWindows() throws {
        let scratch = try ScratchDirectory()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = 10 * page + 123
        let bytes = ScratchDirectory.pattern(size, seed: 7)
        let path = try scratch.write(scratch.path("windows"), bytes)
        let fd = path.withCString { open($0, O_RDONLY) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: UInt64(size), windowBytes: 2 * page))
        // Slices that start, end and straddle window edges, forwards and backwards.
        for (offset, count) in [(0, size), (page - 1, 3 * page + 2), (2 * page, 2 * page), (size - 5, 5), (3, 1), (9 * page, page + 123)] {
            var buffer = [UInt8](repeating: 0, count: count)
            let outcome = buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: offset) }
            XCTAssertEqual(outcome, .copied)
            XCTAssertEqual(buffer, Array(bytes[offset ..< offset + count]), "\(offset)+\(count)")
        }
    }

    func testTruncationBeforeALaterWindowIsMappedIsShrankNotACrash() throws {
        let scratch = try ScratchDirectory()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let path = try scratch.write("later", size: 16 * page)
        let fd = path.withCString { open($0, O_RDWR) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: UInt64(16 * page), windowBytes: 4 * page))
        var buffer = [UInt8](repeating: 0, count: page)
        XCTAssertEqual(buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: 0) }, .copied)
        XCTAssertEqual(ftruncate(fd, off_t(5 * page)), 0)
        // The second window is mapped over pages that partly no longer exist.
        XCTAssertEqual(buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: 4 * page) }, .copied)
        XCTAssertEqual(buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: 6 * page) }, .shrank)
        XCTAssertEqual(buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: 13 * page) }, .shrank)
    }

    func testProcFileListedAsEmptyIsReadToItsEnd() throws {
        let path = RawPath(bytes: Array("/proc/version".utf8))
        let listed = try job(path)
        XCTAssertEqual(listed.size, 0, "procfs lists its files as empty")
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/proc/version")))
        XCTAssertFalse(expected.isEmpty)
        for strategy in [ReadStrategy.pread, .mmap, .automatic] {
            let reader = try FileReader(job: listed, strategy: strategy)
            XCTAssertTrue(reader.readsToEnd)
            XCTAssertEqual(reader.size, UInt64(expected.count))
            XCTAssertEqual(try readAll(reader, slice: 7), expected)
            XCTAssertNoThrow(try reader.finish())
        }
    }

    func testSysfsFileListedAs4096BytesIsReadToItsEnd() throws {
        let name = "/sys/kernel/mm/transparent_hugepage/enabled"
        guard FileManager.default.isReadableFile(atPath: name) else { throw XCTSkip("\(name) is not here") }
        let listed = try job(RawPath(bytes: Array(name.utf8)))
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: name)))
        XCTAssertNotEqual(listed.size, UInt64(expected.count), "sysfs lists a size that is not the length")
        let reader = try FileReader(job: listed)
        XCTAssertEqual(reader.size, UInt64(expected.count))
        XCTAssertEqual(try readAll(reader, slice: 4096), expected)
        XCTAssertNoThrow(try reader.finish())
    }

    func testPseudoFileLongerThanTheLimitIsRefusedNotTruncated() throws {
        let listed = try job(RawPath(bytes: Array("/proc/version".utf8)))
        let saved = FileReader.readToEndLimit
        FileReader.readToEndLimit = 8
        defer { FileReader.readToEndLimit = saved }
        assertProblem(.error, "its listed size is not its length and it is longer than 8 B") { _ = try FileReader(job: listed) }
    }

    func testOrdinaryFilesAreNotReadToTheirEnd() throws {
        let scratch = try ScratchDirectory()
        for size in [0, 1, 4096, 1 << 20] {
            let reader = try FileReader(job: job(scratch.write("plain-\(size)", size: size)))
            XCTAssertFalse(reader.readsToEnd, "\(size)")
            XCTAssertEqual(reader.size, UInt64(size))
        }
    }

    func testFileGrownWhileOpenIsChangedAtFinish() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("growing", size: 10_000)
        for strategy in [ReadStrategy.pread, .mmap] {
            try scratch.write(path, ScratchDirectory.pattern(10_000))
            let reader = try FileReader(job: job(path), strategy: strategy)
            XCTAssertEqual(try readAll(reader, slice: 4096), ScratchDirectory.pattern(10_000))
            let fd = path.withCString { open($0, O_WRONLY | O_APPEND) }
            XCTAssertEqual(write(fd, "more", 4), 4)
            close(fd)
            assertProblem(.changed, "file changed while being read") { try reader.finish() }
        }
    }

    func testFileModifiedAfterListingIsChangedAtOpen() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("f", size: 100)
        let listed = try job(path)
        try scratch.write(path, ScratchDirectory.pattern(200))
        assertProblem(.changed, "file changed since it was listed") { _ = try FileReader(job: listed) }
    }

    func testFileReplacedAfterListingIsChanged() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("f", size: 100)
        let listed = try job(path)
        let other = try scratch.write("other", size: 100)
        XCTAssertEqual(rename(other.description, path.description), 0)
        assertProblem(.changed, "file replaced since it was listed") { _ = try FileReader(job: listed) }
    }

    func testFileDeletedBetweenListingAndOpenIsVanished() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("f", size: 100)
        let listed = try job(path)
        XCTAssertEqual(unlink(path.description), 0)
        assertProblem(.vanished, "No such file or directory (open)") { _ = try FileReader(job: listed) }
    }

    func testFIFOPutInAFilesPlaceIsSkippedWithoutBlocking() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("f", size: 100)
        let listed = try job(path)
        XCTAssertEqual(unlink(path.description), 0)
        try scratch.makeFIFO("f")
        let problem = withDeadline { () -> FileProblem? in
            do { _ = try FileReader(job: listed); return nil } catch { return error as? FileProblem }
        }
        XCTAssertEqual(problem??.kind, .skipped)
        XCTAssertEqual(problem??.message, "not a regular file (fifo)")
    }

    func testOpenErrorsCarryTheErrnoTextAndTheCall() throws {
        // Root bypasses EACCES; a path through a regular file fails for everyone (ENOTDIR).
        // The end-to-end EACCES case runs in the CLI tests as an unprivileged user (setpriv).
        let scratch = try ScratchDirectory()
        let file = try scratch.write("file", size: 1)
        var listed = try job(file)
        listed.path = scratch.path("file/child")
        assertProblem(.error, "Not a directory (open)") { _ = try FileReader(job: listed) }
    }

    func testReadOutsideTheListedSizeOrAfterFinishIsAnErrorNotACrash() throws {
        let scratch = try ScratchDirectory()
        for strategy in [ReadStrategy.pread, .mmap] {
            let reader = try FileReader(job: job(scratch.write("f", size: 100)), strategy: strategy)
            var buffer = [UInt8](repeating: 0, count: 64)
            assertProblem(.error, "read of 64 bytes at 50 is past the listed size 100") {
                try buffer.withUnsafeMutableBytes { raw in try reader.read(into: raw, at: 50) }
            }
            assertProblem(.error, "read of 64 bytes at 18446744073709551615") {
                try buffer.withUnsafeMutableBytes { raw in try reader.read(into: raw, at: .max) }
            }
            XCTAssertNoThrow(try reader.finish())
            XCTAssertNoThrow(try reader.finish(), "finish twice is harmless")
            assertProblem(.error, "read after finish") {
                try buffer.withUnsafeMutableBytes { raw in try reader.read(into: raw, at: 0) }
            }
        }
    }

    func testReaderDoesNotLeakDescriptors() throws {
        let scratch = try ScratchDirectory()
        let listed = try job(scratch.write("f", size: 1 << 20))
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for index in 0 ..< 200 {
            let reader = try FileReader(job: listed, strategy: index % 2 == 0 ? .pread : .mmap)
            if index % 3 == 0 { try reader.finish() }  // the rest are closed by deinit
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count, before)
    }
}
