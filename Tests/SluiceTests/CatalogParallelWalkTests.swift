import Foundation
import XCTest
@testable import Sluice

/// The walk read on several threads (`CatalogOptions.walkThreads`) lists exactly what the serial
/// walk (`walkThreads` 1) lists: the same jobs and problems, byte for byte, in the same order,
/// built and streamed; it opens the same directories and no others, and stays within its bounds.
final class CatalogParallelWalkTests: XCTestCase {
    /// Thread counts compared with the serial walk.
    private static let threadCounts = [2, 3, 4, 8]

    // MARK: - Trees

    func testWideTreeListsTheSameInParallelAsSerially() throws {
        let scratch = try ScratchDirectory()
        var expected: [String] = []
        for folder in 0 ..< 120 {
            // Unpadded numbers, so name order is not numeric order.
            for file in 0 ..< folder % 5 { expected.append("wide/d\(folder)/f\(file)") }
            for sub in 0 ..< 3 where folder % 4 != 0 { expected.append("wide/d\(folder)/s\(sub)/x") }
        }
        for file in 0 ..< 700 { expected.append("wide/big/f\(file)") }  // above the chunking threshold
        expected.append("wide/a-b")
        expected.append("wide/a/z")
        for path in expected { try scratch.write(path, size: path.count % 7) }
        for folder in 0 ..< 10 { try scratch.makeDirectory("wide/empty\(folder)/inner") }
        let fifo = try scratch.makeFIFO("wide/d7/pipe")
        let link = try scratch.symlink("wide/d9/link", to: "../d10")
        let root = scratch.path("wide")

        let smallLookAheads = [WalkLookAhead(), WalkLookAhead(directories: 1, entries: 1 << 18),
                               WalkLookAhead(directories: 4096, entries: 8)]
        let serial = try assertSameAsSerial([root], lookAheads: smallLookAheads)
        // The serial walk itself is right: depth-first, bytewise name order ("a" < "a-b" < "big" < "d0" < "d1" < "d10").
        let order = expected.sorted { $0.split(separator: "/").lexicographicallyPrecedes($1.split(separator: "/")) { $0 < $1 } }
        XCTAssertEqual(serial.jobs.map(\.path), order.map { scratch.path($0) })
        XCTAssertEqual(serial.jobs.map(\.index), Array(0 ..< order.count))
        XCTAssertEqual(serial.problems, [
            FileProblem(path: fifo, kind: .skipped, message: "not a regular file (fifo)"),
            FileProblem(path: link, kind: .skipped, message: "symbolic link not followed"),
        ])
    }

    /// A long list of arguments (a `--files-from` list) has its `stat`s made in chunks ahead of
    /// the visits, shared with the helpers when there are several threads
    /// (`DirectoryWalker.visit(arguments:)`): the listing is the same, in argument order, with
    /// every kind of argument at its place, and the helpers were offered the work.
    func testLongArgumentListIsListedTheSameWhenItsStatsAreShared() throws {
        let scratch = try ScratchDirectory()
        var paths: [RawPath] = []
        var expectedJobs: [RawPath] = []
        var expectedProblems: [(RawPath, FileProblem.Kind)] = []
        // Past the first chunks (64, 128, 256) and the sharing threshold, with odd ones among them.
        for number in 0 ..< 700 {
            switch number {
            case 5:
                let directory = try scratch.makeDirectory("dir")
                for name in ["b", "a", "c"] { try scratch.write("dir/\(name)", size: 3) }
                paths.append(directory)
                expectedJobs += ["a", "b", "c"].map { scratch.path("dir/\($0)") }
            case 63, 64, 191:
                let missing = scratch.path("missing\(number)")
                paths.append(missing)
                expectedProblems.append((missing, .error))
            case 130:
                let link = try scratch.symlink("link", to: "file0")
                paths.append(link)
                expectedJobs.append(link)
            case 131:
                let dangling = try scratch.symlink("dangling", to: "nowhere")
                paths.append(dangling)
                expectedProblems.append((dangling, .error))
            case 320:
                let fifo = try scratch.makeFIFO("pipe")
                paths.append(fifo)
                expectedProblems.append((fifo, .skipped))
            case 321:
                let withNUL = RawPath(bytes: scratch.path("file1").bytes + [0, 0x78])
                paths.append(withNUL)
                expectedProblems.append((withNUL, .error))
            case 400:
                paths.append(scratch.path("file2"))  // listed twice: two jobs
                expectedJobs.append(scratch.path("file2"))
            default:
                let file = try scratch.write("file\(number)", size: number % 5)
                paths.append(file)
                expectedJobs.append(file)
            }
        }
        let serial = try assertSameAsSerial(paths)
        XCTAssertEqual(serial.jobs.map(\.path), expectedJobs)
        XCTAssertEqual(serial.problems.map(\.path), expectedProblems.map(\.0))
        XCTAssertEqual(serial.problems.map(\.kind), expectedProblems.map(\.1), "\(serial.problems)")

        let shared = try XCTUnwrap(onWalkThread { [self] () -> Int in
            var walker = walker(threads: 2)
            walker.visit(arguments: paths)
            let helpers = walker.pool?.helpersStarted ?? 0
            _ = walker.finishReading()
            return helpers
        })
        XCTAssertEqual(shared, 1, "the stats of a long list were offered to the helper")
    }

    func testDeepTreeIsListedInParallelWithoutOverflowAndWithOneDescriptorPerThread() throws {
        let scratch = try ScratchDirectory()
        let root = try scratch.makeDirectory("deep")
        // Each level is `d/` and holds a file `f`: past PATH_MAX (4096 bytes) a directory can no
        // longer be opened by its path, which ends the walk down there with one problem.
        let depth = (4096 - root.bytes.count) / 2 + 20
        try makeChain(under: root, depth: depth)
        let openable = (0 ... depth).filter { root.bytes.count + 2 * $0 < 4096 }.count

        // On a small stack (`onWalkThread`): a recursion per level would overflow it. Few thread
        // counts: opening a path of 2000 levels costs the kernel about 1 ms.
        let counts = [1, 2, 8]
        let listings = try onWalkThread { try counts.map { try self.listing([root], threads: $0) } }
        let serial = try XCTUnwrap(listings?.first)
        XCTAssertEqual(serial.catalog.jobs.count, openable)
        XCTAssertEqual(serial.catalog.problems.map(\.message), ["File name too long (open)"])
        XCTAssertEqual(serial.catalog.problems.first?.path.bytes.count, root.bytes.count + 2 * openable)
        for (threads, parallel) in zip(counts, listings ?? []) { assertSame(parallel, serial, "\(threads) threads") }

        // At most one directory open per reading thread, counted in /proc/self/fd at every open.
        for threads in [2, 8] {
            let peak = Peak()
            var walker = walker(threads: threads)
            walker.beforeOpeningDirectory = { _ in peak.record(openDescriptors(under: scratch.root)) }
            walker = try visited(walker, [root])
            XCTAssertEqual(walker.files.count, openable, "\(threads) threads")
            XCTAssertLessThanOrEqual(peak.value, threads, "\(threads) threads")
            XCTAssertLessThanOrEqual(walker.pool?.peaks.reads ?? 1, threads, "\(threads) threads")
        }
    }

    func testFollowedLinksAndLoopsListTheSameInParallel() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("links/a/file", size: 1)
        try scratch.write("links/a/sub/file", size: 2)
        try scratch.symlink("links/a/up", to: "..")                    // an ancestor: a loop
        try scratch.symlink("links/b", to: "a")                        // a again, under links/b
        try scratch.symlink("links/c", to: "b")
        try scratch.symlink("links/cycle1", to: "cycle2")              // ELOOP
        try scratch.symlink("links/cycle2", to: "cycle1")
        try scratch.symlink("links/dangling", to: "nowhere")
        try scratch.symlink("links/file-link", to: "a/file")
        try scratch.write("links/deep/x/y/z/file", size: 3)
        try scratch.symlink("links/deep/x/y/z/back", to: "../../..")   // links/deep: a loop
        try scratch.symlink("links/deep/x/y/z/side", to: "../../../../a")
        // A ring of folders each linking to the next: every folder is walked again under each
        // chain of links until the chain comes back to a folder it is inside.
        for ring in 0 ..< 8 {
            try scratch.write("links/ring/r\(ring)/file", size: ring)
            try scratch.symlink("links/ring/r\(ring)/next", to: "../r\((ring + 1) % 8)")
        }
        let root = scratch.path("links")

        let followed = try assertSameAsSerial([root]) { $0.follow = true }
        // r0/file is listed once directly and once under each of the 7 other folders' chains.
        let ringFile = try XCTUnwrap(followed.jobs.first { $0.path == scratch.path("links/ring/r0/file") })
        XCTAssertEqual(followed.jobs.filter { $0.inode == ringFile.inode }.count, 8)
        XCTAssertEqual(followed.jobs.count, 2 * 3 + 1 + 2 + 1 + 8 * 8)
        // a/up, b/up, c/up, z/back, z/side/up, and each ring walk back at its start.
        let loops = followed.problems.filter { $0.message == "symlink loop" }
        XCTAssertEqual(loops.count, 5 + 8, "\(followed.problems)")
        XCTAssertEqual(followed.problems.filter { $0.message.hasPrefix("symlink loop (") }.map(\.path),
                       [scratch.path("links/cycle1"), scratch.path("links/cycle2")])
        XCTAssertEqual(followed.problems.filter { $0.message == "dangling symbolic link" }.map(\.path), [scratch.path("links/dangling")])

        let plain = try assertSameAsSerial([root])
        XCTAssertEqual(plain.jobs.count, 3 + 8)
        XCTAssertTrue(plain.problems.allSatisfy { $0.message == "symbolic link not followed" }, "\(plain.problems)")
    }

    func testExcludesAndOtherFileSystemsListTheSameInParallelAndPrunedFoldersAreNeverOpened() throws {
        let scratch = try ScratchDirectory()
        for folder in 0 ..< 30 {
            try scratch.write("tree/d\(folder)/keep", size: 1)
            try scratch.write("tree/d\(folder)/drop.tmp", size: 1)
            try scratch.write("tree/d\(folder)/skipped/inner", size: 1)
            try scratch.write("tree/d\(folder)/pruned/inner", size: 1)
        }
        // A folder on another file system, reached through a followed link.
        let other = try otherFileSystemFolder()
        defer { if let other { _ = try? FileManager.default.removeItem(atPath: other) } }
        if let other {
            try scratch.write(RawPath(other).appending(Array("elsewhere".utf8)), [1, 2])
            try scratch.symlink("tree/d3/mounted", to: other)
        }
        let root = scratch.path("tree")
        let configure: (inout CatalogOptions) -> Void = {
            $0.exclude = ["*.tmp", "skip*", "*/d1?/pruned"]
            $0.follow = true
            $0.oneFileSystem = true
        }
        let catalog = try assertSameAsSerial([root], configure)
        let names = catalog.jobs.map { String(decoding: $0.path.bytes.dropFirst(root.bytes.count + 1), as: UTF8.self) }
        XCTAssertEqual(names.filter { $0.hasSuffix("/keep") }.count, 30)
        XCTAssertEqual(names.filter { $0.contains("pruned") }.count, 20)
        XCTAssertFalse(names.contains { $0.contains(".tmp") || $0.contains("skipped") || $0.contains("elsewhere") })
        XCTAssertEqual(catalog.problems, [])
        if other != nil {
            let crossing = try Catalog.build(paths: [root], options: { var options = CatalogOptions(); options.follow = true; return options }())
            XCTAssertEqual(crossing.jobs.filter { $0.path.description.hasSuffix("mounted/elsewhere") }.count, 1,
                           "without -x the other file system is walked")
        }
        // Neither walk opens an excluded folder or one on the other file system.
        for threads in [1] + Self.threadCounts {
            let opened = try opening(root, threads: threads, configure)
            XCTAssertEqual(opened.count, 1 + 30 + 20, "\(threads) threads: \(opened)")
            XCTAssertFalse(opened.contains { $0.contains("skipped") || $0.contains("mounted") }, "\(threads) threads")
        }
    }

    func testUnreadableFoldersAreReportedTheSameInParallel() throws {
        // Root reads every folder whatever its mode, so the walk runs on a thread whose file
        // system user is nobody (`setfsuid`, inherited by the threads it starts): the locked
        // folders then fail to open with EACCES as they would for a user.
        let scratch = try ScratchDirectory()
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        for folder in 0 ..< 40 {
            try scratch.write("tree/d\(folder)/file", size: 1)
            try scratch.write("tree/d\(folder)/sub/file", size: 1)
        }
        var locked: [RawPath] = []
        for folder in stride(from: 3, to: 40, by: 7) {
            locked.append(scratch.path("tree/d\(folder)"))
            locked.append(scratch.path("tree/d\(folder + 1)/sub"))
        }
        for folder in try FileManager.default.subpathsOfDirectory(atPath: scratch.path("tree").description) {
            XCTAssertEqual(chmod(scratch.path("tree/" + folder).description, 0o755), 0)
        }
        XCTAssertEqual(chmod(scratch.path("tree").description, 0o755), 0)
        for folder in locked { XCTAssertEqual(chmod(folder.description, 0o700), 0) }
        let root = scratch.path("tree")

        let listings = try asNobody { try ([1] + Self.threadCounts).map { try self.listing([root], threads: $0) } }
        let serial = try XCTUnwrap(listings?.first)
        XCTAssertEqual(serial.catalog.problems, locked.sorted().map { FileProblem(path: $0, kind: .error, message: "Permission denied (open)") })
        XCTAssertEqual(serial.catalog.jobs.count, 80 - 6 * 2 - 6)
        for (threads, parallel) in zip([1] + Self.threadCounts, listings ?? []) { assertSame(parallel, serial, "\(threads) threads") }
    }

    func testFoldersRemovedOrReplacedWhenOpenedAreReportedTheSameInParallel() throws {
        // The seam runs on the thread that opens the folder, which may be reading ahead.
        func outcome(threads: Int) throws -> (files: [FileJob], problems: [FileProblem]) {
            let scratch = try ScratchDirectory()
            for folder in 0 ..< 12 { try scratch.write("d/f\(folder)/one", size: 1) }
            try scratch.write("elsewhere/other", size: 1)
            let removed = scratch.path("d/f3"), replaced = scratch.path("d/f5"), byFile = scratch.path("d/f8")
            var walker = walker(threads: threads)
            walker.beforeOpeningDirectory = { path in
                if path == removed { _ = try? FileManager.default.removeItem(atPath: removed.description) }
                if path == replaced {
                    _ = try? FileManager.default.removeItem(atPath: replaced.description)
                    _ = rename(scratch.path("elsewhere").description, replaced.description)
                }
                if path == byFile {
                    _ = try? FileManager.default.removeItem(atPath: byFile.description)
                    _ = try? scratch.write(byFile, [1])
                }
            }
            walker = try visited(walker, [scratch.path("d")])
            // Paths relative to the scratch folder, which differs from run to run.
            let strip = { (path: RawPath) in RawPath(bytes: path.bytes.dropFirst(scratch.root.bytes.count)) }
            let files = walker.files.map { FileJob(index: 0, path: strip($0.path), size: $0.size, mtimeNanoseconds: 0, device: 0, inode: 0) }
            let problems = walker.problems.map { FileProblem(path: strip($0.path), kind: $0.kind, message: $0.message) }
            return (files, problems)
        }
        let serial = try outcome(threads: 1)
        XCTAssertEqual(serial.files.map(\.path.description), (0 ..< 12).filter { ![3, 5, 8].contains($0) }.map { "/d/f\($0)/one" }.sorted())
        XCTAssertEqual(serial.problems, [
            FileProblem(path: RawPath("/d/f3"), kind: .vanished, message: "No such file or directory (open)"),
            FileProblem(path: RawPath("/d/f5"), kind: .changed, message: "directory replaced during the walk"),
            FileProblem(path: RawPath("/d/f8"), kind: .error, message: "Not a directory (open)"),
        ])
        for threads in Self.threadCounts {
            let parallel = try outcome(threads: threads)
            XCTAssertEqual(parallel.files, serial.files, "\(threads) threads")
            XCTAssertEqual(parallel.problems, serial.problems, "\(threads) threads")
        }
    }

    // MARK: - Bounds and the fast path

    func testReadingAheadStaysWithinItsBound() throws {
        let scratch = try ScratchDirectory()
        for folder in 0 ..< 200 { for file in 0 ..< 3 { try scratch.write("t/d\(String(format: "%03d", folder))/f\(file)", size: 1) } }
        let root = scratch.path("t")
        for bound in [1, 4, 16] {
            for threads in [2, 4] {
                // Folders opened so far, against folders the stream has been given (3 files each).
                let stream = CatalogStream()
                let opened = Peak(), ahead = Peak(), descriptors = Peak()
                var walker = walker(threads: threads, lookAhead: WalkLookAhead(directories: bound, entries: 1 << 18))
                walker.stream = stream
                walker.beforeOpeningDirectory = { path in
                    descriptors.record(openDescriptors(under: root))
                    guard path != root else { return }
                    let count = opened.increment()
                    ahead.record(count - stream.snapshot.count / 3)
                }
                walker = try visited(walker, [root])
                XCTAssertEqual(stream.snapshot.count, 600)
                XCTAssertLessThanOrEqual(walker.pool?.peaks.directoriesAhead ?? .max, bound, "bound \(bound), \(threads) threads")
                // Read ahead, plus the one the walk reads itself, plus the one it is handing out.
                XCTAssertLessThanOrEqual(ahead.value, bound + 2, "bound \(bound), \(threads) threads")
                // At most one directory open per reading thread.
                XCTAssertLessThanOrEqual(descriptors.value, threads, "\(threads) threads")
            }
        }
    }

    func testAFileASmallFlatFolderOrAChainStartsNoThread() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("file", size: 1)
        for entry in 0 ..< 50 { try scratch.write("flat/f\(entry)", size: 1) }
        try scratch.write("chain/sub/f", size: 1)
        try scratch.write("nested/sub/f", size: 1)
        try scratch.write("nested/sub2/f", size: 1)
        var walker = walker(threads: 4)
        walker = try visited(walker, [file])
        XCTAssertNil(walker.pool)
        walker = try visited(walker, [scratch.path("flat")])
        XCTAssertEqual(walker.pool?.helpersStarted, 0)
        XCTAssertEqual(walker.files.count, 51)
        walker = try visited(walker, [scratch.path("chain")])
        XCTAssertEqual(walker.pool?.helpersStarted, 0, "one subfolder: the walk enters it next itself")
        walker = try visited(walker, [scratch.path("nested")])
        XCTAssertEqual(walker.pool?.helpersStarted, 3, "two subfolders to read: the helpers start")
        XCTAssertEqual(walker.files.count, 54)
    }

    func testDefaultThreadCountIsOnePerCoreUpToEight() {
        XCTAssertEqual(CatalogOptions.defaultWalkThreads(cores: 1), 1)
        XCTAssertEqual(CatalogOptions.defaultWalkThreads(cores: 2), 2)
        XCTAssertEqual(CatalogOptions.defaultWalkThreads(cores: 16), 8)
        XCTAssertEqual(CatalogOptions().walkThreads, CatalogOptions.defaultWalkThreads(cores: ProcessInfo.processInfo.activeProcessorCount))
    }

    // MARK: - Helpers

    /// A catalog built, and the same paths streamed.
    private struct Listing {
        var catalog: Catalog
        var streamedJobs: [FileJob]
        var streamedProblems: [FileProblem]
    }

    /// Lists `paths` in given order with `threads` reading threads, through `Catalog.build` and
    /// streamed through `Catalog.walk` (assertions stay on the test's thread: `assertSame`).
    private func listing(_ paths: [RawPath], threads: Int, lookAhead: WalkLookAhead = WalkLookAhead(),
                         _ configure: (inout CatalogOptions) -> Void = { _ in }) throws -> Listing {
        var options = CatalogOptions()
        configure(&options)
        options.order = .given
        options.walkThreads = threads
        options.walkLookAhead = lookAhead
        let built = try Catalog.build(paths: paths, options: options)
        let stream = CatalogStream()
        try Catalog.walk(paths: paths, options: options, into: stream)()
        var streamed: [FileProblem] = []
        while let problem = stream.nextProblem() { streamed.append(problem) }
        return Listing(catalog: built, streamedJobs: stream.jobsSoFar, streamedProblems: streamed)
    }

    /// `listing` is the same as `serial`, built and streamed.
    private func assertSame(_ listing: Listing, _ serial: Listing, _ label: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(serial.streamedJobs, serial.catalog.jobs, "serial, streamed and built", file: file, line: line)
        XCTAssertEqual(serial.streamedProblems, serial.catalog.problems, "serial, streamed and built", file: file, line: line)
        XCTAssertEqual(listing.catalog.jobs, serial.catalog.jobs, "built, \(label)", file: file, line: line)
        XCTAssertEqual(listing.catalog.problems, serial.catalog.problems, "built, \(label)", file: file, line: line)
        XCTAssertEqual(listing.streamedJobs, serial.catalog.jobs, "streamed, \(label)", file: file, line: line)
        XCTAssertEqual(listing.streamedProblems, serial.catalog.problems, "streamed, \(label)", file: file, line: line)
    }

    /// The serial catalog of `paths`, after checking that every parallel listing is the same.
    @discardableResult
    private func assertSameAsSerial(_ paths: [RawPath], lookAheads: [WalkLookAhead] = [WalkLookAhead()],
                                    file: StaticString = #filePath, line: UInt = #line,
                                    _ configure: @escaping (inout CatalogOptions) -> Void = { _ in }) throws -> Catalog {
        let serial = try XCTUnwrap(onWalkThread { try self.listing(paths, threads: 1, configure) }, file: file, line: line)
        for threads in Self.threadCounts {
            for lookAhead in lookAheads {
                let parallel = try XCTUnwrap(onWalkThread { try self.listing(paths, threads: threads, lookAhead: lookAhead, configure) },
                                             file: file, line: line)
                assertSame(parallel, serial, "\(threads) threads, \(lookAhead)", file: file, line: line)
            }
        }
        return serial.catalog
    }

    private func walker(threads: Int, lookAhead: WalkLookAhead = WalkLookAhead(),
                        _ configure: (inout CatalogOptions) -> Void = { _ in }) -> DirectoryWalker {
        var options = CatalogOptions()
        configure(&options)
        options.walkThreads = threads
        options.walkLookAhead = lookAhead
        return DirectoryWalker(options: options)
    }

    /// The folders a walk of `root` opens, as paths relative to it, sorted.
    private func opening(_ root: RawPath, threads: Int, _ configure: (inout CatalogOptions) -> Void) throws -> [String] {
        let opened = Locked<[String]>([])
        var walker = walker(threads: threads, configure)
        walker.beforeOpeningDirectory = { path in
            let relative = String(decoding: path.bytes.dropFirst(root.bytes.count), as: UTF8.self)
            opened.update { $0.append(relative) }
        }
        _ = try visited(walker, [root])
        return opened.value.sorted()
    }

    /// `depth` nested folders `d` under `root`, each (and `root`) holding a file `f`; made with
    /// `mkdirat`/`openat` from each parent, since the deepest paths are too long to name.
    private func makeChain(under root: RawPath, depth: Int) throws {
        var parent = try SystemCall.open(root, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        for level in 0 ... depth {
            let file = openat(parent, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard file >= 0 else { throw SystemCallError.current("openat") }
            close(file)
            if level == depth { break }
            guard mkdirat(parent, "d", 0o755) == 0 else { throw SystemCallError.current("mkdirat") }
            let child = openat(parent, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard child >= 0 else { throw SystemCallError.current("openat") }
            close(parent)
            parent = child
        }
        close(parent)
    }

    /// A fresh folder on another file system than the scratch folders (`/dev/shm`), or nil.
    private func otherFileSystemFolder() throws -> String? {
        var scratchStatus = stat(), shmStatus = stat()
        guard stat("/tmp", &scratchStatus) == 0, stat("/dev/shm", &shmStatus) == 0,
              scratchStatus.st_dev != shmStatus.st_dev else { return nil }
        var template = Array("/dev/shm/sluice-test-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        return String(cString: template)
    }

    /// Runs `body` on a thread of its own with a 128 KiB stack (a recursion per level of a deep
    /// tree would overflow it) and returns its result; fails the test and returns nil when it
    /// has not finished within `seconds` (a lost wake-up would hang the walk).
    private func onWalkThread<T>(seconds: Double = 120, file: StaticString = #filePath, line: UInt = #line,
                                 _ body: @escaping () throws -> T) throws -> T? {
        let result = Locked<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let outcome = Result { try body() }
            result.update { $0 = outcome }
            done.signal()
        }
        thread.stackSize = 128 << 10
        thread.start()
        guard done.wait(timeout: .now() + seconds) == .success else {
            XCTFail("the walk did not finish within \(seconds) s", file: file, line: line)
            return nil
        }
        return try result.value?.get()
    }

    /// `walker` after visiting `paths` (and handing what it found to its stream, if any), on a walk thread.
    private func visited(_ walker: DirectoryWalker, _ paths: [RawPath], file: StaticString = #filePath, line: UInt = #line) throws -> DirectoryWalker {
        try XCTUnwrap(onWalkThread(file: file, line: line) {
            var walker = walker
            for path in paths { walker.visit(argument: path) }
            walker.flush()
            return walker
        }, file: file, line: line)
    }

    /// Runs `body` on a thread whose file system user and group are nobody's, or skips the test
    /// when this process cannot switch (then it is not root, and permissions bite anyway).
    private func asNobody<T>(_ body: @escaping () throws -> T) throws -> T? {
        typealias SetFileSystemID = @convention(c) (UInt32) -> Int32
        let process = dlopen(nil, RTLD_NOW)
        guard let setfsuid = dlsym(process, "setfsuid"), let setfsgid = dlsym(process, "setfsgid") else {
            throw XCTSkip("no setfsuid")
        }
        let setUser = unsafeBitCast(setfsuid, to: SetFileSystemID.self)
        let setGroup = unsafeBitCast(setfsgid, to: SetFileSystemID.self)
        return try onWalkThread {
            _ = setGroup(65534)
            _ = setUser(65534)
            // Asking again returns the current value without changing it.
            guard setUser(65534) == 65534 else { throw XCTSkip("setfsuid had no effect") }
            return try body()
        }
    }
}

/// The largest value seen (thread-safe), and a counter.
private final class Peak: @unchecked Sendable {
    private let lock = NSLock()
    private var largest = 0
    private var count = 0
    var value: Int { lock.withLock { largest } }
    func record(_ value: Int) { lock.withLock { largest = max(largest, value) } }
    func increment() -> Int { lock.withLock { count += 1; return count } }
}

/// Descriptors of this process open on something under `root` (readlink of /proc/self/fd).
private func openDescriptors(under root: RawPath) -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    var target = [CChar](repeating: 0, count: 8192)
    while let record = readdir(directory) {
        let name = withUnsafeBytes(of: &record.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard Int(name) != nil else { continue }
        let length = readlink("/proc/self/fd/" + name, &target, target.count)
        guard length > 0 else { continue }
        let bytes = target[0 ..< length].map { UInt8(bitPattern: $0) }
        if bytes.starts(with: root.bytes + [0x2F]) || bytes == root.bytes { count += 1 }
    }
    return count
}
