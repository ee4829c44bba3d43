import Foundation
import XCTest
@testable import Sluice
@testable import SluiceStore

/// `sluice run --db --update`: what changed is computed again, what is gone is marked vanished,
/// and exactly those files are reported.
final class StoreUpdateTests: XCTestCase {
    func testUpdateReportsExactlyTheTouchedDeletedAndAddedFiles() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 30, sizes: 100...20_000)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)

        // Touched: a new mtime, the same bytes.
        let touched = [files[4], files[17]]
        for file in touched {
            var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 5), timespec(tv_sec: 1_700_000_000, tv_nsec: 5)]
            XCTAssertEqual(file.withCString { utimensat(AT_FDCWD, $0, &times, 0) }, 0)
        }
        let deleted = [files[9], files[22]]
        for file in deleted { XCTAssertEqual(file.withCString { unlink($0) }, 0) }
        let added = [try scratch.writeRandom("tree/d1/new-a", size: 777), try scratch.writeRandom("tree/new-b", size: 0)]

        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--update", tree])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let lines = outcome.stderrText.split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(lines.dropLast()), Set(touched.map { "sluice: update: changed: \($0)" }
            + added.map { "sluice: update: new: \($0)" } + deleted.map { "sluice: update: vanished: \($0)" }))
        XCTAssertEqual(lines.count, 7)
        XCTAssertEqual(lines.last, "sluice: --db \(db): run 2: 26 unchanged, 2 changed, 2 new, 2 vanished")
        // Only the touched and the added files were read.
        XCTAssertEqual(Set(ChecksumLines.digests(outcome.stdout).keys), Set((touched + added).map(\.description)))

        let store = TestStore(scratch.path("results.db"))
        let rows = try store.results()
        XCTAssertEqual(rows.count, 32)
        let vanished = rows.filter { $0.status == "vanished" }
        XCTAssertEqual(vanished.map(\.path), deleted.sorted())
        XCTAssertTrue(vanished.allSatisfy { $0.run == 2 && $0.digest != nil && $0.problem == "not found by run 2 (--update)" })
        let present = files.filter { !deleted.contains($0) } + added
        assertSameDigests(try store.digests(), try b3sumDigests(present))
        for row in rows where touched.contains(row.path) {
            XCTAssertEqual(row.mtimeNanoseconds, 1_700_000_000_000_000_005)
            XCTAssertEqual(row.run, 2)
        }
        XCTAssertEqual(try store.runs().last?.counts, RunCounts(computed: 4, reused: 26, new: 2, changed: 2, vanished: 2))

        // Nothing changed since: nothing to report, the vanished files not again.
        let again = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--update", tree])
        XCTAssertEqual(again.stderrText, "sluice: --db \(db): run 3: 30 unchanged, 0 changed, 0 new, 0 vanished\n")
        XCTAssertEqual(again.stdoutText, "")
        // A vanished file that is back is new, and ok again.
        try scratch.write(deleted[0], [1, 2, 3])
        let back = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--update", tree])
        XCTAssertEqual(back.stderrText, "sluice: update: new: \(deleted[0])\n"
                       + "sluice: --db \(db): run 4: 30 unchanged, 0 changed, 1 new, 0 vanished\n")
        XCTAssertEqual(try store.results().first { $0.path == deleted[0] }?.status, "ok")
    }

    /// Only the stored files under PATHS that are really gone are vanished: not those outside
    /// PATHS, not those left out by --exclude, not those of another shard.
    func testUpdateMarksVanishedOnlyWhatIsGoneUnderThePathsNamed() throws {
        let scratch = try ScratchDirectory()
        let one = try scratch.makeTree("one", count: 6)
        let two = try scratch.makeTree("two", count: 6)
        let db = scratch.path("results.db").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, scratch.path("one").description,
                                              scratch.path("two").description]).status, 0)
        XCTAssertEqual(two[0].withCString { unlink($0) }, 0)
        let excluded = one[1].description.split(separator: "/").last.map(String.init)!
        // Updates `one` only, leaving a file out: nothing under `one` is gone, `two` is not looked at.
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--update", "--exclude", excluded,
                                             scratch.path("one").description])
        XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): run 2: 5 unchanged, 0 changed, 0 new, 0 vanished\n")
        XCTAssertEqual(try TestStore(scratch.path("results.db")).results().filter { $0.status == "vanished" }.count, 0)
        // `two` named: its deleted file is vanished.
        let second = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--update", scratch.path("two").description])
        XCTAssertEqual(second.stderrText, "sluice: update: vanished: \(two[0])\n"
                       + "sluice: --db \(db): run 3: 5 unchanged, 0 changed, 0 new, 1 vanished\n")
        XCTAssertEqual(one.count + two.count, try TestStore(scratch.path("results.db")).results().count)
    }

    /// An interrupted update (its walk perhaps unfinished) marks nothing vanished.
    func testInterruptedUpdateMarksNothingVanished() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 5)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)
        XCTAssertEqual(files[0].withCString { unlink($0) }, 0)
        // A sparse 16 GiB file keeps the run going until the signal.
        let big = scratch.path("big.sparse").description
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 16 << 30), 0)
        let run = try BackgroundSluice(["run", "--device", "cpu", "--db", db, "--update", tree, big], in: scratch)
        Thread.sleep(forTimeInterval: 1.0)
        run.send(SIGINT)
        XCTAssertTrue(run.waitForExit(seconds: 20))
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderrText)
        XCTAssertEqual(try TestStore(scratch.path("results.db")).results().filter { $0.status == "vanished" }.count, 0)
        XCTAssertEqual(try TestStore(scratch.path("results.db")).runs().last?.status, "interrupted")
        XCTAssertTrue(run.stderrText.contains("0 vanished"), run.stderrText)
    }
}
