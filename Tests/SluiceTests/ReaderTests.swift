import Foundation
import XCTest
@testable import Sluice
import CSluice

/// The reader: both strategies give the same bytes, and every way a file can change under it
/// becomes a `FileProblem`, never a crash.
final class ReaderTests: XCTestCase {
    /// A counter that several threads bump.
    final class ManagedCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

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

    func testMappingServesDisjointRangesToSeveralThreadsAtOnce() throws {
        let scratch = try ScratchDirectory()
        let unit = BLAKE3Layout.maxSubtreeBytes
        let size = 64 * unit + 123
        let bytes = randomBytes(size)
        let path = try scratch.write(scratch.path("shared"), bytes)
        let fd = path.withCString { open($0, O_RDONLY) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: UInt64(size)))
        // Eight threads copy interleaved 64 KiB ranges (the last one short) into one result.
        let result = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { result.deallocate() }
        let ranges = stride(from: 0, to: size, by: unit).map { $0 ..< min(size, $0 + unit) }
        let failures = ManagedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for range in ranges.enumerated().filter({ $0.offset % 8 == thread }).map(\.element) {
                let target = UnsafeMutableRawBufferPointer(rebasing: result[range])
                if mapping.copy(into: target, at: range.lowerBound) != .copied { failures.increment() }
            }
        }
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(Array(result), bytes)
    }

    func testCopiedPagesLeaveTheProcessResidentMemory() throws {
        let scratch = try ScratchDirectory()
        let size = 96 << 20
        let path = try scratch.writeRandom("large", size: size)
        let fd = path.withCString { open($0, O_RDONLY) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: UInt64(size)))
        let before = try residentFileKiB()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var peak = before
        for offset in stride(from: 0, to: size, by: 1 << 20) {
            XCTAssertEqual(mapping.copy(into: buffer, at: offset), .copied)
            if offset % (16 << 20) == 0 { peak = max(peak, try residentFileKiB()) }
        }
        peak = max(peak, try residentFileKiB())
        // Without the release every copied page would stay mapped: 96 MiB more.
        XCTAssertLessThan(peak - before, 8 << 10, "file-backed RSS grew by \(peak - before) KiB")
    }

    func testTruncationBeforeALaterRangeIsCopiedIsShrankNotACrash() throws {
        let scratch = try ScratchDirectory()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let path = try scratch.write("later", size: 16 * page)
        let fd = path.withCString { open($0, O_RDWR) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let mapping = try XCTUnwrap(FileMapping(fd: fd, length: UInt64(16 * page)))
        var buffer = [UInt8](repeating: 0, count: page)
        XCTAssertEqual(buffer.withUnsafeMutableBytes { mapping.copy(into: $0, at: 0) }, .copied)
        XCTAssertEqual(ftruncate(fd, off_t(5 * page)), 0)
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

    /// A reader that checks only at finish (one `fstat` per small file) still catches every
    /// change: the bytes it read from another file are never used.
    func testCheckingOnlyAtFinishStillCatchesReplacedModifiedAndSpecialFiles() throws {
        let scratch = try ScratchDirectory()
        var buffer = [UInt8](repeating: 0, count: 100)
        // Replaced by another file of the same size: read fine, refused at finish.
        let replaced = try scratch.write("replaced", size: 100)
        let replacedJob = try job(replaced)
        let other = try scratch.write("other", size: 100)
        XCTAssertEqual(rename(other.description, replaced.description), 0)
        let first = try FileReader(job: replacedJob, checksOnlyAtFinish: true)
        try buffer.withUnsafeMutableBytes { try first.read(into: $0, at: 0) }
        assertProblem(.changed, "file replaced since it was listed") { try first.finish() }
        // Modified in place (same size, new mtime).
        let modified = try scratch.write("modified", size: 100)
        let modifiedJob = try job(modified)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, modified.description, &times, 0), 0)
        let second = try FileReader(job: modifiedJob, checksOnlyAtFinish: true)
        try buffer.withUnsafeMutableBytes { try second.read(into: $0, at: 0) }
        assertProblem(.changed, "file changed since it was listed") { try second.finish() }
        // A FIFO in its place: the read fails at once (never blocks) and says what it is.
        let special = try scratch.write("special", size: 100)
        let specialJob = try job(special)
        XCTAssertEqual(unlink(special.description), 0)
        try scratch.makeFIFO("special")
        let third = try FileReader(job: specialJob, checksOnlyAtFinish: true)
        assertProblem(.skipped, "not a regular file (fifo)") {
            try buffer.withUnsafeMutableBytes { try third.read(into: $0, at: 0) }
        }
        // A shorter file in its place: the replacement is named, not a shrink.
        let shorter = try scratch.write("shorter", size: 100)
        let shorterJob = try job(shorter)
        let small = try scratch.write("small", size: 10)
        XCTAssertEqual(rename(small.description, shorter.description), 0)
        let fourth = try FileReader(job: shorterJob, checksOnlyAtFinish: true)
        assertProblem(.changed, "file replaced since it was listed") {
            try buffer.withUnsafeMutableBytes { try fourth.read(into: $0, at: 0) }
        }
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

/// Ranges of one file read by different readers: their pieces together are exactly the
/// pieces of the whole file, in order, for BLAKE3's subtrees and for 64 KiB units with frames.
final class ReadPlanTests: XCTestCase {
    func testRangeCursorsTogetherGiveTheWholeFilesPieces() {
        let unit = UInt64(Piece.maxBytes)
        let layouts: [(String, any PieceLayout)] = [("blake3", BLAKE3PieceLayout()), ("units", UnitLayout()),
                                                   ("frames of 1000", UnitLayout(frameBytes: 1000)),
                                                   ("frames of 3 × 64 KiB + 8", UnitLayout(frameBytes: 3 * unit + 8))]
        var checked = 0
        for (name, layout) in layouts {
            for size in [1, 1024, unit + 1, 2 * unit, 2 * unit + 1, 7 * unit - 1, 64 * unit, 100 * unit + 1023, 100 * unit + 1025] {
                var whole = PieceCursor(layout: layout, fileSize: size)
                var expected: [PieceCursor.Step] = []
                while let step = whole.next() { expected.append(step) }
                XCTAssertEqual(expected.reduce(0) { $0 + UInt64($1.length) }, size, "\(name), size \(size)")
                XCTAssertTrue(expected.allSatisfy { $0.length <= Piece.maxBytes }, "\(name), size \(size)")
                for rangeUnits: UInt64 in [1, 2, 3, 8] {
                    var pieces: [PieceCursor.Step] = []
                    var start: UInt64 = 0
                    while start < size {
                        let end = min(size, start + rangeUnits * unit)
                        var cursor = PieceCursor(layout: layout, fileSize: size, range: start ..< end)
                        while let step = cursor.next() { pieces.append(step) }
                        start = end
                    }
                    XCTAssertEqual(pieces, expected, "\(name), size \(size), ranges of \(rangeUnits) × 64 KiB")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 4 * 9 * 4)
    }

    func testFramesCutPiecesAtEveryFrameBoundary() {
        var cursor = PieceCursor(layout: UnitLayout(frameBytes: 40_000), fileSize: 150_000)
        var ends: [UInt64] = []
        while let step = cursor.next() { ends.append(step.fileOffset + UInt64(step.length)) }
        XCTAssertEqual(ends, [40_000, 65_536, 80_000, 120_000, 131_072, 150_000])
    }

    func testPlanCutsLargeFilesIntoRangesAndKeepsSmallOnesWhole() throws {
        let unit = BLAKE3Layout.maxSubtreeBytes
        let sizes: [UInt64] = [0, 10, UInt64(2 * unit), UInt64(2 * unit + 1), UInt64(5 * unit)]
        let jobs = sizes.enumerated().map { FileJob(index: $0.offset, path: RawPath(bytes: Array("f\($0.offset)".utf8)),
                                                     size: $0.element, mtimeNanoseconds: 0, device: 0, inode: UInt64($0.offset)) }
        let plan = ReadPlan(stream: CatalogStream(catalog: Catalog(jobs: jobs, problems: [])), rangeBytes: 2 * unit)
        var tasks: [(Int, Range<UInt64>?)] = []
        var files: [Int: SharedFile] = [:]
        while let task = plan.next() {
            tasks.append((task.position, task.range))
            if let file = task.file {
                XCTAssertTrue(files[task.position].map { $0 === file } ?? true, "one shared state per file")
                files[task.position] = file
            }
        }
        let u = UInt64(unit)
        XCTAssertEqual(tasks.map(\.0), [0, 1, 2, 3, 3, 4, 4, 4])
        XCTAssertEqual(tasks.map(\.1), [nil, nil, nil, 0 ..< 2 * u, 2 * u ..< 2 * u + 1, 0 ..< 2 * u, 2 * u ..< 4 * u, 4 * u ..< 5 * u])
        XCTAssertEqual(Set(files.keys), [3, 4])
        // The last range to finish ends the file, once.
        let file = try XCTUnwrap(files[4])
        XCTAssertNil(file.rangeFinished())
        XCTAssertNil(file.rangeFinished())
        let outcome = file.rangeFinished()
        XCTAssertNotNil(outcome)
        XCTAssertNil(outcome!, "no reader was opened and no range failed")
    }
}
