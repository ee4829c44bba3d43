import Foundation
import XCTest
@testable import Sluice
@testable import SluiceStore

/// `sluice audit --db FILE PATHS…`: matched, changed, moved, new and missing files, counted and
/// exited on as `hashdeep -a` does.
final class StoreAuditTests: XCTestCase {
    /// One file of each kind, and the counts and lines worked out by hand.
    func testAuditCountsMatchAHandMadeExpectation() throws {
        let scratch = try ScratchDirectory()
        let tree = scratch.path("tree").description
        for name in ["a", "b", "c", "d", "e", "f", "sub/g"] { try scratch.writeRandom("tree/\(name)", size: 1500) }
        let db = scratch.path("results.db").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)

        try scratch.writeRandom("tree/b", size: 1500)                                       // changed: other bytes
        XCTAssertEqual(unlink(scratch.path("tree/c").description), 0)                        // missing
        XCTAssertEqual(rename(scratch.path("tree/d").description, scratch.path("tree/sub/d2").description), 0)  // moved
        try scratch.writeRandom("tree/n", size: 10)                                          // new
        let copy = try Data(contentsOf: URL(fileURLWithPath: scratch.path("tree/a").description))
        try scratch.write(scratch.path("tree/a-copy"), [UInt8](copy))                        // new: a is still there
        var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, scratch.path("tree/e").description, &times, 0), 0)  // matched: same bytes

        let outcome = try Subprocess.sluice(["audit", "--device", "cpu", "--db", db, tree])
        XCTAssertEqual(outcome.status, 1, outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, """
            \(tree)/a-copy: new
            \(tree)/b: changed
            \(tree)/c: missing
            \(tree)/n: new
            \(tree)/sub/d2: moved from \(tree)/d
            sluice: audit failed
                    files matched: 4
                    files changed: 1
                      files moved: 1
                  new files found: 2
            known files not found: 1
               files not readable: 0

            """)
        XCTAssertEqual(outcome.stderrText, "")
        // --verbose names the matched files too; --quiet none.
        let verbose = try Subprocess.sluice(["audit", "--device", "cpu", "--verbose", "--db", db, tree])
        XCTAssertEqual(verbose.stdoutText.split(separator: "\n").filter { $0.hasSuffix(": matched") },
                       ["a", "e", "f", "sub/g"].map { "\(tree)/\($0): matched"[...] })
        let quiet = try Subprocess.sluice(["audit", "--device", "cpu", "-q", "--db", db, tree])
        XCTAssertTrue(quiet.stdoutText.hasPrefix("sluice: audit failed\n"), quiet.stdoutText)
        XCTAssertEqual(quiet.status, 1)
    }

    /// An unchanged tree passes (exit 0); the store's files outside PATHS are not expected.
    func testUnchangedTreePassesAndPathsLimitWhatIsExpected() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeTree("tree", count: 25)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)
        let passed = try Subprocess.sluice(["audit", "--device", "cpu", "--db", db, tree])
        XCTAssertEqual(passed.status, 0, passed.stdoutText)
        XCTAssertTrue(passed.stdoutText.hasPrefix("sluice: audit passed\n        files matched: 25\n"), passed.stdoutText)
        // One folder of five: its files only.
        let part = try Subprocess.sluice(["audit", "--device", "cpu", "--db", db, scratch.path("tree/d3").description])
        XCTAssertEqual(part.status, 0, part.stdoutText)
        XCTAssertTrue(part.stdoutText.hasPrefix("sluice: audit passed\n        files matched: 5\n"), part.stdoutText)
    }

    /// The parameters must be the run's: a keyed store audited without the key is a setup
    /// error that says what the store holds.
    func testAuditWithOtherParametersThanTheStoresIsExit2() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeTree("tree", count: 3)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--length", "40", tree]).status, 0)
        let outcome = try Subprocess.sluice(["audit", "--device", "cpu", "--db", db, tree])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): holds no result of 'blake3 length=32 mode=hash' (it holds "
                       + "'blake3 length=40 mode=hash': give the run's --keyed, --derive-key or --length)\n")
        let right = try Subprocess.sluice(["audit", "--device", "cpu", "--db", db, "--length", "40", tree])
        XCTAssertEqual(right.status, 0, right.stdoutText)
        let missing = try Subprocess.sluice(["audit", "--db", scratch.path("none.db").description, tree])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderrText, "sluice: --db \(scratch.path("none.db")): No such file or directory\n")
    }

    /// The comparison alone, on hand-made rows: each missing file explains at most one move.
    func testOneMissingFileExplainsOneMoveOnly() {
        func row(_ path: String, _ digest: UInt8) -> StoredResult {
            StoredResult(path: RawPath(path), fingerprint: "f", run: 1, kernel: "blake3", size: 1, mtimeNanoseconds: 0,
                         device: 0, inode: 0, status: "ok", digest: [digest], result: nil, problem: nil)
        }
        func found(_ path: String, _ digest: UInt8) -> FileResult {
            FileResult(index: 0, path: RawPath(path), size: 1, digest: [digest], problem: nil)
        }
        let audit = StoreAudit(stored: [row("t/x", 1), row("t/y", 2), row("u/z", 3)],
                               found: [found("t/x2", 1), found("t/x3", 1), found("t/y", 2)],
                               scope: PathScope(roots: [RawPath("t")]))
        XCTAssertEqual(audit.entries.map(\.path.description), ["t/x2", "t/x3", "t/y"])
        XCTAssertEqual(audit.entries.map(\.verdict), [.moved(from: RawPath("t/x")), .new, .matched])
        XCTAssertEqual(audit.counts, StoreAudit.Counts(matched: 1, moved: 1, new: 1))
        XCTAssertFalse(audit.passed)
    }
}
