import Foundation
import XCTest
@testable import Sluice
@testable import SluiceStore

/// `sluice export` writes what `run` printed; `sluice merge` puts the shards of a run back
/// together, and reports duplicates and conflicts instead of overwriting.
final class StoreExportMergeTests: XCTestCase {
    /// b3sum lines that `check` verifies, and JSONL records byte for byte those of
    /// `run --format jsonl` (in path order).
    func testExportWritesWhatTheRunPrinted() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 30) + [try scratch.writeRandom("tree/odd, \"name\"", size: 99)]
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        let run = try Subprocess.sluice(["run", "--device", "cpu", "--format", "jsonl", "--db", db, tree])
        XCTAssertEqual(run.status, 0, run.stderrText)

        let jsonl = try Subprocess.sluice(["export", db, "--format", "jsonl"])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderrText)
        XCTAssertEqual(jsonl.stdoutLines.sorted { $0.lexicographicallyPrecedes($1) },
                       run.stdoutLines.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertEqual(jsonl.stdoutLines.count, 31)

        let b3sum = try Subprocess.sluice(["export", db])
        XCTAssertEqual(b3sum.status, 0, b3sum.stderrText)
        assertSameDigests(ChecksumLines.digests(b3sum.stdout), try b3sumDigests(files))
        let paths = b3sum.stdoutLines.map { Array($0.dropFirst(66)) }
        XCTAssertEqual(paths, paths.sorted { $0.lexicographicallyPrecedes($1) }, "path order")
        let list = try scratch.write(scratch.path("sums"), [UInt8](b3sum.stdout))
        let check = try Subprocess.sluice(["check", "--device", "cpu", list.description])
        XCTAssertEqual(check.status, 0, check.stdoutText + check.stderrText)
        XCTAssertEqual(check.stdoutLines.count, 31)

        let csv = try Subprocess.sluice(["export", db, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderrText)
        let lines = csv.stdoutText.split(separator: "\n")
        XCTAssertEqual(lines.first, "path,path_base64,size,mtime_ns,device,inode,kernel,fingerprint,status,digest,result,problem,run")
        XCTAssertEqual(lines.count, 32)
        let odd = try XCTUnwrap(lines.first { $0.contains("odd") })
        let digest = try b3sumDigests([files.last!])[files.last!.description]!
        XCTAssertTrue(odd.hasPrefix("\"\(tree)/odd, \"\"name\"\"\",,99,"), String(odd))
        XCTAssertTrue(odd.hasSuffix(",blake3,blake3 length=32 mode=hash,ok,\(digest),,,1"), String(odd))
    }

    /// b3sum lines of one fingerprint only: a store with two needs --fingerprint.
    func testExportOfSeveralFingerprintsAsB3sumNeedsOne() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 3)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "-l", "64", tree]).status, 0)
        let refused = try Subprocess.sluice(["export", db])
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stderrText, "sluice: \(db): holds digests of 2 kernel fingerprints ('blake3 length=32 mode=hash', "
                       + "'blake3 length=64 mode=hash'): choose one with --fingerprint\n")
        XCTAssertEqual(refused.stdoutText, "")
        let chosen = try Subprocess.sluice(["export", db, "--fingerprint", "blake3 length=32 mode=hash"])
        assertSameDigests(ChecksumLines.digests(chosen.stdout), try b3sumDigests(files))
        let garbage = try scratch.write(scratch.path("garbage.db"), Array(repeating: 7, count: 4096)).description
        let bad = try Subprocess.sluice(["export", garbage])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderrText, "sluice: \(garbage): file is not a database\n")
    }

    /// A cluster run: 3 shards, each its own store, merged into one: the whole tree, each file
    /// once, no duplicate, no conflict.
    func testThreeShardsMergeIntoTheWholeTreeDisjoint() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 90, sizes: 0...9000)
        let tree = scratch.path("tree").description
        var counts: [Int] = []
        for shard in 0..<3 {
            let db = scratch.path("shard-\(shard).db")
            let run = try Subprocess.sluice(["run", "--device", "cpu", "--shard", "\(shard)/3", "--db", db.description, tree])
            XCTAssertEqual(run.status, 0, run.stderrText)
            counts.append(try TestStore(db).results().count)
        }
        XCTAssertEqual(counts.reduce(0, +), 90, "the shards are disjoint and cover the tree: \(counts)")
        XCTAssertTrue(counts.allSatisfy { $0 > 0 }, "\(counts)")
        let out = scratch.path("all.db")
        let merge = try Subprocess.sluice(["merge", out.description] + (0..<3).map { scratch.path("shard-\($0).db").description })
        XCTAssertEqual(merge.status, 0, merge.stderrText)
        XCTAssertEqual(merge.stderrText, "sluice: merge: \(out): 3 stores, 3 runs and 90 results added, 0 duplicates, 0 conflicts\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.description + "-wal"), "the merged store is one file")
        assertSameDigests(try TestStore(out).digests(), try b3sumDigests(files))
        let runs = try TestStore(out).runs()
        XCTAssertEqual(runs.map(\.shard), ["0/3", "1/3", "2/3"])
        XCTAssertEqual(runs.map(\.mergedFrom), (0..<3).map { scratch.path("shard-\($0).db").description })
        // Audit the merged store against the tree: everything matches.
        let audit = try Subprocess.sluice(["audit", "--device", "cpu", "--db", out.description, tree])
        XCTAssertEqual(audit.status, 0, audit.stdoutText)
    }

    /// The same result twice is a duplicate, kept once; another result for the same file is a
    /// conflict: the first kept, the other in merge_conflicts, exit 1. A store merged twice
    /// copies its runs once.
    func testDuplicatesAndConflictsAreReportedNotOverwritten() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 4, sizes: 100...900)
        let tree = scratch.path("tree").description
        let first = scratch.path("first.db").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", first, tree]).status, 0)
        let copy = scratch.path("copy.db").description
        XCTAssertEqual(try Subprocess.sluice(["merge", copy, first]).status, 0)
        try scratch.writeRandom(String(files[2].description.dropFirst(scratch.root.bytes.count + 1)), size: 500)
        let second = scratch.path("second.db").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", second, tree]).status, 0)
        let oldDigests = try TestStore(scratch.path("first.db")).digests()

        let out = scratch.path("out.db")
        let merge = try Subprocess.sluice(["merge", out.description, first, copy, second])
        XCTAssertEqual(merge.status, 1, merge.stderrText)
        let lines = merge.stderrText.split(separator: "\n").map(String.init)
        let fingerprint = "('blake3 length=32 mode=hash')"
        XCTAssertEqual(Set(lines), Set(files.map { "sluice: merge: \(copy): \($0): duplicate of the result from \(first) \(fingerprint)" }
            + files.filter { $0 != files[2] }.map { "sluice: merge: \(second): \($0): duplicate of the result from \(first) \(fingerprint)" }
            + ["sluice: merge: \(second): \(files[2]): conflict: kept the result from \(first), this one is in merge_conflicts \(fingerprint)",
               "sluice: merge: \(out): 3 stores, 2 runs and 4 results added, 7 duplicates, 1 conflict"]))
        XCTAssertEqual(try TestStore(out).digests(), oldDigests, "the first store's results are kept")
        XCTAssertEqual(try TestStore(out).runs().count, 2, "copy.db's run is first.db's")
        let conflicts = try TestStore(out).open().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM merge_conflicts") }
        XCTAssertEqual(conflicts, 1)
    }

    /// A store that cannot be read stops the merge before anything is written.
    func testMergeOfAnUnreadableStoreIsExit2AndWritesNothing() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeTree("tree", count: 2)
        let good = scratch.path("good.db").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", good, scratch.path("tree").description]).status, 0)
        let garbage = try scratch.write(scratch.path("garbage.db"), Array(repeating: 1, count: 1000)).description
        let out = scratch.path("out.db").description
        let merge = try Subprocess.sluice(["merge", out, good, garbage])
        XCTAssertEqual(merge.status, 2)
        XCTAssertEqual(merge.stderrText, "sluice: \(garbage): file is not a database\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let itself = try Subprocess.sluice(["merge", good, good])
        XCTAssertEqual(itself.status, 2)
        XCTAssertEqual(itself.stderrText, "sluice: \(good): is OUT itself\n")
    }
}
