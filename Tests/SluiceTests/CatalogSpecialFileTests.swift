import Foundation
import XCTest
@testable import Sluice

/// Special files, symbolic links, loops and paths that fail: reported, never opened, never fatal.
final class CatalogSpecialFileTests: XCTestCase {
    func testFIFOInsideTheTreeIsSkippedAndTheWalkDoesNotBlock() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/a", size: 1)
        let fifo = try scratch.makeFIFO("d/pipe")
        try scratch.write("d/z", size: 1)
        let root = scratch.path("d")
        let catalog = withDeadline { try Catalog.build([root]) }
        XCTAssertEqual(catalog?.jobs.count, 2)
        XCTAssertEqual(catalog?.problems, [FileProblem(path: fifo, kind: .skipped, message: "not a regular file (fifo)")])
    }

    func testFIFOGivenExplicitlyIsSkippedAndNotOpenedUnlessStreamsAreRead() throws {
        let scratch = try ScratchDirectory()
        let fifo = try scratch.makeFIFO("pipe")
        let catalog = withDeadline { try Catalog.build([fifo]) }
        XCTAssertEqual(catalog?.jobs, [])
        XCTAssertEqual(catalog?.problems, [FileProblem(path: fifo, kind: .skipped, message: "not a regular file (fifo)")])
        // As `sluice run` lists it: a stream job (listing never opens it either).
        let streams = withDeadline { try Catalog.build([fifo, RawPath("-")]) { $0.readsStreams = true; $0.order = .given } }
        XCTAssertEqual(streams?.jobs.map(\.isStream), [true, true])
        XCTAssertEqual(streams?.jobs.map(\.path), [fifo, RawPath("-")])
        XCTAssertEqual(streams?.problems, [])
    }

    func testSocketIsSkipped() throws {
        let scratch = try ScratchDirectory()
        try scratch.makeDirectory("d")
        let fd = try scratch.makeSocket("d/sock")
        defer { close(fd) }
        let catalog = try Catalog.build([scratch.path("d")])
        XCTAssertEqual(catalog.jobs, [])
        XCTAssertEqual(catalog.problems.map(\.message), ["not a regular file (socket)"])
        XCTAssertEqual(catalog.problems.map(\.kind), [.skipped])
    }

    func testDevZeroGivenExplicitlyIsSkippedUnlessStreamsAreRead() throws {
        let catalog = withDeadline { try Catalog.build([RawPath("/dev/zero"), RawPath("/dev/null")]) }
        XCTAssertEqual(catalog?.jobs, [])
        XCTAssertEqual(catalog?.problems.map(\.message), ["not a regular file (character device)", "not a regular file (character device)"])
        XCTAssertEqual(catalog?.problems.map(\.kind), [.skipped, .skipped])
        let streams = withDeadline { try Catalog.build([RawPath("/dev/null")]) { $0.readsStreams = true } }
        XCTAssertEqual(streams?.jobs.map(\.isStream), [true])
    }

    func testSymlinksInsideTheWalkAreNotFollowedByDefault() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("target/file", size: 3)
        try scratch.write("d/real", size: 1)
        try scratch.symlink("d/to-dir", to: "../target")
        try scratch.symlink("d/to-file", to: "../target/file")
        let catalog = try Catalog.build([scratch.path("d")]) { $0.order = .given }
        XCTAssertEqual(catalog.jobs.map(\.path), [scratch.path("d/real")])
        XCTAssertEqual(catalog.problems, [
            FileProblem(path: scratch.path("d/to-dir"), kind: .skipped, message: "symbolic link not followed"),
            FileProblem(path: scratch.path("d/to-file"), kind: .skipped, message: "symbolic link not followed"),
        ])
    }

    func testSymlinksAreFollowedWithFollowAndWhenNamed() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("target/file", size: 3)
        try scratch.makeDirectory("d")
        try scratch.symlink("d/to-dir", to: "../target")
        let named = try scratch.symlink("named", to: "target/file")
        let followed = try Catalog.build([scratch.path("d")]) { $0.follow = true }
        XCTAssertEqual(followed.jobs.map(\.path), [scratch.path("d/to-dir/file")])
        XCTAssertEqual(followed.problems, [])
        let direct = try Catalog.build([named])
        XCTAssertEqual(direct.jobs.map(\.path), [named])
        XCTAssertEqual(direct.jobs.first?.size, 3)
    }

    func testSymlinkLoopWithFollowIsFiniteAndReportedOnce() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("top/file", size: 1)
        try scratch.write("top/sub/inner", size: 1)
        try scratch.symlink("top/sub/up", to: "..")          // link to an ancestor
        try scratch.symlink("top/a", to: "b")                // a → b → a
        try scratch.symlink("top/b", to: "a")
        let root = scratch.path("top")
        let catalog = withDeadline { try Catalog.build([root]) { $0.follow = true; $0.order = .path } }
        XCTAssertEqual(catalog?.jobs.map(\.path), [scratch.path("top/file"), scratch.path("top/sub/inner")])
        let problems = catalog?.problems ?? []
        XCTAssertEqual(problems.map(\.path), [scratch.path("top/a"), scratch.path("top/b"), scratch.path("top/sub/up")])
        XCTAssertEqual(problems.map(\.kind), [.error, .error, .skipped])
        XCTAssertTrue(problems.allSatisfy { $0.message.hasPrefix("symlink loop") }, "\(problems)")
    }

    func testDanglingSymlinkIsReportedAndNotFollowed() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/ok", size: 1)
        let dangling = try scratch.symlink("d/dangling", to: "does-not-exist")
        let walked = try Catalog.build([scratch.path("d")]) { $0.follow = true }
        XCTAssertEqual(walked.jobs.map(\.path), [scratch.path("d/ok")])
        XCTAssertEqual(walked.problems, [FileProblem(path: dangling, kind: .error, message: "dangling symbolic link")])
        let named = try Catalog.build([dangling])
        XCTAssertEqual(named.jobs, [])
        XCTAssertEqual(named.problems, [FileProblem(path: dangling, kind: .error, message: "dangling symbolic link")])
    }

    func testMissingArgumentAndPathThroughAFileAreErrorsWithErrnoText() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("file", size: 1)
        let missing = scratch.path("missing")
        let throughFile = scratch.path("file/child")
        let catalog = try Catalog.build([missing, throughFile, file]) { $0.order = .given }
        XCTAssertEqual(catalog.jobs.map(\.path), [file])
        XCTAssertEqual(catalog.problems, [
            FileProblem(path: missing, kind: .error, message: "No such file or directory (stat)"),
            FileProblem(path: throughFile, kind: .error, message: "Not a directory (stat)"),
        ])
    }

    func testUnopenableDirectoryIsReportedByNameAndSiblingsAreStillWalked() throws {
        // Root bypasses permission bits, so an unreadable directory is simulated with the seam:
        // it is replaced by a file just before it is opened (ENOTDIR, like EACCES an open error).
        // The end-to-end EACCES case runs in the CLI tests as an unprivileged user (setpriv).
        let scratch = try ScratchDirectory()
        try scratch.write("d/a/one", size: 1)
        try scratch.write("d/b/two", size: 1)
        try scratch.write("d/c/three", size: 1)
        let victim = scratch.path("d/b")
        var walker = DirectoryWalker(follow: false)
        walker.beforeOpeningDirectory = { path in
            guard path == victim else { return }
            _ = try? FileManager.default.removeItem(atPath: victim.description)
            _ = try? scratch.write(victim, [1])
        }
        walker.visit(argument: scratch.path("d"))
        XCTAssertEqual(walker.files.map(\.path), [scratch.path("d/a/one"), scratch.path("d/c/three")])
        XCTAssertEqual(walker.problems, [FileProblem(path: victim, kind: .error, message: "Not a directory (open)")])
    }

    func testDirectoryRemovedMidWalkIsVanishedAndTheWalkGoesOn() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/a/one", size: 1)
        try scratch.write("d/b/two", size: 1)
        try scratch.write("d/c/three", size: 1)
        let victim = scratch.path("d/b")
        var walker = DirectoryWalker(follow: false)
        walker.beforeOpeningDirectory = { path in
            if path == victim { _ = try? FileManager.default.removeItem(atPath: victim.description) }
        }
        walker.visit(argument: scratch.path("d"))
        XCTAssertEqual(walker.files.map(\.path), [scratch.path("d/a/one"), scratch.path("d/c/three")])
        XCTAssertEqual(walker.problems, [FileProblem(path: victim, kind: .vanished, message: "No such file or directory (open)")])
    }

    func testDirectoryReplacedMidWalkIsChanged() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/b/two", size: 1)
        try scratch.write("elsewhere/other", size: 1)
        let victim = scratch.path("d/b")
        var walker = DirectoryWalker(follow: false)
        walker.beforeOpeningDirectory = { path in
            guard path == victim else { return }
            _ = try? FileManager.default.removeItem(atPath: victim.description)
            _ = rename(scratch.path("elsewhere").description, victim.description)
        }
        walker.visit(argument: scratch.path("d"))
        XCTAssertEqual(walker.files, [])
        XCTAssertEqual(walker.problems, [FileProblem(path: victim, kind: .changed, message: "directory replaced during the walk")])
    }
}
