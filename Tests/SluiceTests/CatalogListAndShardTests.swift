import Foundation
import XCTest
@testable import Sluice

/// `--files-from` lists and `--shard K/N`.
final class CatalogListAndShardTests: XCTestCase {
    func testNewlineListEntriesBehaveLikeArgumentsAfterThem() throws {
        let scratch = try ScratchDirectory()
        let first = try scratch.write("first", size: 1)
        let listed = try scratch.write("listed", size: 2)
        try scratch.write("dir/inside", size: 3)
        let text = "\(listed)\n\n\(scratch.path("dir"))\n\(scratch.path("missing"))\n"
        let list = try scratch.write(scratch.path("list.txt"), Array(text.utf8))
        let catalog = try Catalog.build([first]) { $0.filesFrom = list; $0.order = .given }
        XCTAssertEqual(catalog.jobs.map(\.path), [first, listed, scratch.path("dir/inside")])
        XCTAssertEqual(catalog.jobs.map(\.index), [0, 1, 2])
        XCTAssertEqual(catalog.problems.map(\.path), [scratch.path("missing")])
    }

    func testNulListKeepsNewlinesAndOtherBytesInNames() throws {
        let scratch = try ScratchDirectory()
        let odd = try scratch.write(scratch.path(bytes: Array("new\nline".utf8) + [0xFF]), [1])
        let plain = try scratch.write("plain", size: 4)
        let list = try scratch.write(scratch.path("list0"), odd.bytes + [0, 0] + plain.bytes + [0])
        let catalog = try Catalog.build([]) { $0.filesFrom = list; $0.filesFromNulSeparated = true; $0.order = .given }
        XCTAssertEqual(catalog.jobs.map(\.path), [odd, plain])
        XCTAssertEqual(catalog.problems, [])
    }

    func testListSplittingDropsEmptyEntriesOnly() {
        XCTAssertEqual(FilesFromList.split(Array("a\n\nb c\n\\d\r\n".utf8), nulSeparated: false),
                       [RawPath("a"), RawPath("b c"), RawPath("\\d\r")])
        XCTAssertEqual(FilesFromList.split([0x61, 0x0A, 0x62, 0, 0, 0x63], nulSeparated: true),
                       [RawPath("a\nb"), RawPath("c")])
        XCTAssertEqual(FilesFromList.split([], nulSeparated: false), [])
    }

    func testUnreadableListIsASetupError() throws {
        let scratch = try ScratchDirectory()
        XCTAssertThrowsError(try Catalog.build([]) { $0.filesFrom = scratch.path("no-such-list") }) { error in
            let setup = error as? CatalogSetupError
            XCTAssertNotNil(setup)
            XCTAssertTrue(setup?.message.contains("No such file or directory (open)") == true, "\(error)")
        }
        XCTAssertThrowsError(try Catalog.build([]) { $0.filesFrom = scratch.root }) { error in
            XCTAssertTrue("\(error)".contains("Is a directory (read)"), "\(error)")
        }
    }

    func testShardsPartitionTheCatalog() throws {
        let scratch = try ScratchDirectory()
        for index in 0 ..< 60 { try scratch.write("d/\(index % 4)/file-\(index)", size: index) }
        try scratch.makeFIFO("d/pipe")
        let everything = try Catalog.build([scratch.path("d")])
        XCTAssertEqual(everything.jobs.count, 60)
        var seen: [RawPath] = []
        var problems: [FileProblem] = []
        for shardIndex in 0 ..< 3 {
            let part = try Catalog.build([scratch.path("d")]) { $0.shard = Shard(index: shardIndex, count: 3) }
            XCTAssertTrue(part.jobs.allSatisfy { Shard(index: shardIndex, count: 3)!.contains($0.path) })
            XCTAssertEqual(part.jobs.map(\.index).sorted(), Array(0 ..< part.jobs.count), "dense indices per shard")
            XCTAssertGreaterThan(part.jobs.count, 5, "FNV-1a spreads the paths")
            seen += part.jobs.map(\.path)
            problems += part.problems
        }
        XCTAssertEqual(seen.count, 60, "disjoint")
        XCTAssertEqual(Set(seen), Set(everything.jobs.map(\.path)), "union is everything")
        XCTAssertEqual(problems, everything.problems, "each problem reported by exactly one shard")
    }

    func testShardParsingAndStableHash() {
        XCTAssertEqual(Shard(parsing: "2/5"), Shard(index: 2, count: 5))
        XCTAssertEqual(Shard(parsing: "0/1")?.description, "0/1")
        for bad in ["5/5", "-1/3", "1/0", "1", "a/b", "1/2/3", ""] {
            XCTAssertNil(Shard(parsing: bad), bad)
        }
        // Published FNV-1a 64 test vectors.
        XCTAssertEqual(Shard.fnv1a64([]), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(Shard.fnv1a64(Array("a".utf8)), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(Shard.fnv1a64(Array("foobar".utf8)), 0x8594_4171_F739_67E8)
        XCTAssertTrue(Shard(index: 0, count: 1)!.contains(RawPath("anything")))
    }

    func testTheShardKeyIsTheAbsoluteNormalPath() {
        let cwd = Array("/data/set".utf8)
        func key(_ path: String) -> String { String(decoding: Shard.key(of: RawPath(path), from: cwd), as: UTF8.self) }
        XCTAssertEqual(key("./d00/x"), "/data/set/d00/x")
        XCTAssertEqual(key("d00/x"), "/data/set/d00/x")
        XCTAssertEqual(key("/data/set/d00//x"), "/data/set/d00/x")
        XCTAssertEqual(key("../set/./d00/x"), "/data/set/d00/x")
        XCTAssertEqual(key("/../.."), "/")
    }

    /// However the roots are spelled, each file lands in the same shard (through the real CLI).
    func testTheSameFileLandsInTheSameShardHoweverTheRootsAreSpelled() throws {
        let scratch = try ScratchDirectory()
        for folder in 0..<3 {
            for file in 0..<15 { try scratch.writeRandom("d0\(folder)/f\(file)", size: 10) }
        }
        let root = scratch.root.description
        func files(_ arguments: [String], shard: Int) throws -> Set<String> {
            let outcome = try Subprocess.sluice(["run", "-q", "--shard", "\(shard)/3"] + arguments, directory: root)
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            // Compared as absolute normal paths.
            return Set(ChecksumLines.digests(outcome.stdout).keys.map {
                String(decoding: Shard.key(of: RawPath($0), from: Array(root.utf8)), as: UTF8.self)
            })
        }
        var union: Set<String> = []
        for shard in 0..<3 {
            let dot = try files(["."], shard: shard)
            XCTAssertEqual(try files(["d00", "d01", "d02"], shard: shard), dot, "shard \(shard)")
            XCTAssertEqual(try files([root], shard: shard), dot, "shard \(shard)")
            XCTAssertTrue(union.isDisjoint(with: dot))
            union.formUnion(dot)
        }
        XCTAssertEqual(union.count, 45)
    }
}
