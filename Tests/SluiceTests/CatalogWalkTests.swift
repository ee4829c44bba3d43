import Foundation
import XCTest
@testable import Sluice

/// The directory walk: recursion, order, names, limits.
final class CatalogWalkTests: XCTestCase {
    private func names(_ catalog: Catalog, under scratch: ScratchDirectory) -> [String] {
        catalog.jobs.map { String(decoding: $0.path.bytes.dropFirst(scratch.root.bytes.count + 1), as: UTF8.self) }
    }

    func testWalkRecursesDepthFirstInNameOrderForGivenOrder() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("tree/b/z", size: 1)
        try scratch.write("tree/b/a/x", size: 2)
        try scratch.write("tree/a", size: 3)
        try scratch.write("tree/c", size: 4)
        try scratch.write("single", size: 5)
        let catalog = try Catalog.build([scratch.path("tree"), scratch.path("single")]) { $0.order = .given }
        XCTAssertEqual(names(catalog, under: scratch), ["tree/a", "tree/b/a/x", "tree/b/z", "tree/c", "single"])
        XCTAssertEqual(catalog.jobs.map(\.index), [0, 1, 2, 3, 4])
        XCTAssertEqual(catalog.jobs.map(\.size), [3, 2, 1, 4, 5])
        XCTAssertEqual(catalog.problems, [])
        XCTAssertEqual(catalog.totalBytes, 15)
    }

    func testSizeOrderIsLargestFirstWithTiesByPathAndIndexKeepsGivenPosition() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/small", size: 10)
        try scratch.write("d/big", size: 1000)
        try scratch.write("d/tie-b", size: 100)
        try scratch.write("d/tie-a", size: 100)
        let catalog = try Catalog.build([scratch.path("d")])
        XCTAssertEqual(names(catalog, under: scratch), ["d/big", "d/tie-a", "d/tie-b", "d/small"])
        // Given (walk) order is big, small, tie-a, tie-b.
        XCTAssertEqual(catalog.jobs.map(\.index), [0, 2, 3, 1])
    }

    func testPathOrderIsBytewise() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/b", size: 1)
        try scratch.write("d/B", size: 2)
        try scratch.write("d/a", size: 3)
        try scratch.write(scratch.path(bytes: Array("d/".utf8) + [0xC3, 0xA9]), [1])  // "é"
        let catalog = try Catalog.build([scratch.path("d/b"), scratch.path("d")]) { $0.order = .path }
        let tails = catalog.jobs.map { Array($0.path.bytes.suffix(from: scratch.root.bytes.count + 3)) }
        XCTAssertEqual(tails, [[0x42], [0x61], [0x62], [0x62], [0xC3, 0xA9]])
        // "d/b" named twice (argument, then walk): both kept, argument first.
        XCTAssertEqual(catalog.jobs.filter { $0.path == scratch.path("d/b") }.map(\.index), [0, 3])
    }

    func testNonUTF8NameKeepsItsExactBytes() throws {
        let scratch = try ScratchDirectory()
        try scratch.makeDirectory("d")
        let name: [UInt8] = Array("d/bad-".utf8) + [0xFF, 0xFE, 0x80] + Array(".bin".utf8)
        try scratch.write(scratch.path(bytes: name), [1, 2, 3])
        let catalog = try Catalog.build([scratch.path("d")])
        XCTAssertEqual(catalog.jobs.count, 1)
        XCTAssertEqual(catalog.jobs.first?.path.bytes, scratch.root.bytes + [0x2F] + name)
        XCTAssertEqual(catalog.jobs.first?.path.isValidUTF8, false)
        XCTAssertEqual(catalog.jobs.first?.size, 3)
    }

    func testNamesWithNewlineBackslashTabAndLeadingDashAreKept() throws {
        let scratch = try ScratchDirectory()
        let odd = ["new\nline", "back\\slash", "tab\there", "-leading-dash", " space "]
        for name in odd { try scratch.write("d/" + name, size: 1) }
        let catalog = try Catalog.build([scratch.path("d")]) { $0.order = .path }
        XCTAssertEqual(Set(names(catalog, under: scratch)), Set(odd.map { "d/" + $0 }))
        XCTAssertEqual(catalog.problems, [])
        // A leading dash given as an argument is a path, not an option.
        let direct = try Catalog.build([scratch.path("d/-leading-dash")])
        XCTAssertEqual(direct.jobs.count, 1)
    }

    func testHardLinksAndRepeatedPathsAreListedUnderEveryPath() throws {
        let scratch = try ScratchDirectory()
        let original = try scratch.write("d/original", size: 7)
        let linked = scratch.path("d/linked")
        XCTAssertEqual(original.withCString { source in linked.withCString { link(source, $0) } }, 0)
        let catalog = try Catalog.build([scratch.path("d"), original]) { $0.order = .given }
        XCTAssertEqual(names(catalog, under: scratch), ["d/linked", "d/original", "d/original"])
        XCTAssertEqual(Set(catalog.jobs.map(\.inode)).count, 1)
    }

    func testEmptyFileAndEmptyDirectoryAreFine() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("d/empty", size: 0)
        try scratch.makeDirectory("d/nothing")
        let catalog = try Catalog.build([scratch.path("d")])
        XCTAssertEqual(names(catalog, under: scratch), ["d/empty"])
        XCTAssertEqual(catalog.jobs.first?.size, 0)
        XCTAssertEqual(catalog.problems, [])
    }

    func testJobCarriesIdentityAndNanosecondMtime() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("f", size: 42)
        var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789), timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789)]
        XCTAssertEqual(file.withCString { utimensat(AT_FDCWD, $0, &times, 0) }, 0)
        var raw = stat()
        XCTAssertEqual(file.withCString { stat($0, &raw) }, 0)
        let job = try XCTUnwrap(Catalog.build([file]).jobs.first)
        XCTAssertEqual(job.mtimeNanoseconds, 1_700_000_000_123_456_789)
        XCTAssertEqual(job.device, UInt64(raw.st_dev))
        XCTAssertEqual(job.inode, UInt64(raw.st_ino))
        XCTAssertEqual(job.size, 42)
    }

    func testLowDescriptorLimitDoesNotBreakTheWalk() throws {
        let scratch = try ScratchDirectory()
        for a in 0 ..< 8 { for b in 0 ..< 8 { for c in 0 ..< 4 { try scratch.write("t/\(a)/\(b)/\(c)", size: c) } } }
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved), 0)
        var lowered = saved
        lowered.rlim_cur = 64
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered), 0)
        defer { XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved), 0) }
        let catalog = try Catalog.build([scratch.path("t")])
        XCTAssertEqual(catalog.jobs.count, 8 * 8 * 4)
        XCTAssertEqual(catalog.problems, [])
    }

    func testTwentyThousandFilesAreListedQuickly() throws {
        let scratch = try ScratchDirectory()
        let empty: [UInt8] = []
        for directory in 0 ..< 20 {
            try scratch.makeDirectory("many/\(directory)")
            for file in 0 ..< 1000 { try scratch.write(scratch.path("many/\(directory)/f\(file)"), empty) }
        }
        let start = DispatchTime.now()
        let catalog = try Catalog.build([scratch.path("many")])
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        XCTAssertEqual(catalog.jobs.count, 20000)
        // Release builds take a fraction of this (see docs); the bound leaves room for debug builds.
        XCTAssertLessThan(seconds, 2.0, "20000 files took \(seconds) s")
    }
}
