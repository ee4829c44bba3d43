import Foundation
import XCTest
@testable import Sluice
@testable import SluiceStore

/// `sluice run --db`: every result in the store, with the file's identity and the run's row;
/// `--resume` leaves out, before reading, what the store holds; kill -9 at any moment loses no
/// committed result and never leaves one twice.
final class StoreRunTests: XCTestCase {
    func testRunRecordsEveryFileWithItsIdentityAndB3sumsDigest() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 40)
        _ = try scratch.makeFIFO("tree/pipe")
        let db = scratch.path("results.db")
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db.description, scratch.path("tree").description])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let store = TestStore(db)
        XCTAssertEqual(try store.digests(), try b3sumDigests(files))
        XCTAssertEqual(ChecksumLines.digests(outcome.stdout), try b3sumDigests(files), "stdout is unchanged by --db")
        let rows = try store.results()
        XCTAssertEqual(rows.count, 41)
        for row in rows where row.isOK {
            var status = stat()
            XCTAssertEqual(row.path.withCString { stat($0, &status) }, 0)
            XCTAssertEqual(row.size, UInt64(status.st_size))
            XCTAssertEqual(row.inode, UInt64(status.st_ino))
            XCTAssertEqual(row.device, UInt64(status.st_dev))
            XCTAssertEqual(row.mtimeNanoseconds, Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
            XCTAssertEqual(row.fingerprint, "blake3 length=32 mode=hash")
            XCTAssertNil(row.result, "the digest is the whole output, and it is in the digest column")
            XCTAssertEqual(try row.outputMembers(), [JSONMember("digest", .string(row.hexDigest!))])
        }
        let pipe = try XCTUnwrap(rows.first { $0.path.description.hasSuffix("/pipe") })
        XCTAssertEqual(pipe.status, "skipped")
        XCTAssertNotNil(pipe.problem)
        XCTAssertNil(pipe.digest)
        let run = try XCTUnwrap(try store.runs().only)
        XCTAssertEqual(run.status, "complete")
        XCTAssertEqual(run.exitStatus, 0)
        XCTAssertEqual(run.mode, "run")
        XCTAssertEqual(run.device, "cpu:" + CPUVectorISA.active(environment: ProcessInfo.processInfo.environment).rawValue)
        XCTAssertEqual(run.parameters, #"{"length":32,"mode":"hash"}"#)
        XCTAssertEqual(run.counts, RunCounts(computed: 40, failed: 1))
        XCTAssertNotNil(run.endedNanoseconds)
        XCTAssertTrue(run.commandLine.contains("\"--db\""), run.commandLine)
    }

    /// Skipping happens before reading: a stored file whose bytes were replaced behind the
    /// store's back (same size, mtime and inode) keeps its old digest, and nothing is read.
    func testResumeLeavesOutStoredFilesBeforeReadingThem() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 30, sizes: 1000...5000)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)
        let before = try TestStore(scratch.path("results.db")).digests()

        // Same size, same inode, the old mtime put back: only reading would notice.
        let forged = files[3]
        var status = stat()
        XCTAssertEqual(forged.withCString { stat($0, &status) }, 0)
        try scratch.write(forged, randomBytes(Int(status.st_size)))
        var times = [status.st_atim, status.st_mtim]
        XCTAssertEqual(forged.withCString { utimensat(AT_FDCWD, $0, &times, 0) }, 0)
        XCTAssertNotEqual(try b3sumDigests([forged])[forged.description], before[forged.description], "the bytes did change")
        // A changed identity is computed again.
        let touched = files[7]
        try scratch.write(touched, randomBytes(3333))

        let stats = scratch.path("stats.json").description
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--resume", "--stats-json", stats, tree])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, "\(try b3sumDigests([touched])[touched.description]!)  \(touched)\n")
        XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): run 2: 29 files already stored were left out, 1 written\n")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
        XCTAssertEqual(summary?["bytes"] as? Int, 3333, "only the changed file was read")
        let after = try TestStore(scratch.path("results.db")).digests()
        XCTAssertEqual(after[forged.description], before[forged.description], "the forged file was not read again")
        XCTAssertEqual(after[touched.description], try b3sumDigests([touched])[touched.description])
        XCTAssertEqual(after.count, 30)
        let runs = try TestStore(scratch.path("results.db")).runs()
        XCTAssertEqual(runs.map(\.mode), ["run", "resume"])
        XCTAssertEqual(runs.last?.counts, RunCounts(computed: 1, reused: 29))
    }

    /// `--order size` builds the catalog first and filters it: the files left are renumbered,
    /// and `--ordered` still prints them in given order.
    func testResumeInSizeOrderPrintsTheFilesLeftInGivenOrder() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 20, sizes: 100...90_000)
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db, tree]).status, 0)
        let all = try Subprocess.sluice(["run", "--device", "cpu", tree]).stdoutText.split(separator: "\n")
        let changed = [files[2], files[9], files[15], files[16]]
        for file in changed { try scratch.write(file, randomBytes(5000)) }
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--resume", "--order", "size", tree])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let lines = outcome.stdoutText.split(separator: "\n")
        let order = all.map { String($0.split(separator: " ").last!) }.filter { name in changed.contains { $0.description == name } }
        XCTAssertEqual(lines.map { String($0.split(separator: " ").last!) }, order)
        XCTAssertEqual(try TestStore(scratch.path("results.db")).digests(), try b3sumDigests(files))
    }

    /// kill -9 at random moments (while the store is opened, mid-batch, while committing, at the
    /// end), each time followed by `--resume`; one last `--resume` then leaves b3sum's digest
    /// for every file, each exactly once, and no other row. In up to three episodes, each on a
    /// fresh store, until kills have landed between a first and a last batch at least twice.
    func testKillNineAtRandomMomentsThenResumeGivesEveryDigestOnce() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 400, sizes: 0...120_000)
        let expected = try b3sumDigests(files)
        let tree = scratch.path("tree").description
        var partial = 0
        var history: [[Int]] = []
        // How long a whole run takes, learnt as the runs go (shorter whenever one ends by itself).
        var whole = 0.5
        for episode in 0..<3 where partial < 2 {
            let db = scratch.path("results-\(episode).db")
            let arguments = ["run", "-q", "--device", "cpu", "--readers", "1", "--workers", "1", "--db", db.description,
                             "--db-batch", "7", "--resume", tree]
            var stored: [Int] = []
            for round in 0..<10 where (stored.last ?? 0) < files.count {
                let run = try BackgroundSluice(arguments, in: scratch, name: "episode-\(episode)-round-\(round)")
                // Anywhere from the start-up to about the end of the work left.
                let left = Double(files.count - (stored.last ?? 0)) / Double(files.count)
                usleep(UInt32(Double.random(in: 0.002...max(0.01, whole * left)) * 1e6))
                run.send(SIGKILL)
                XCTAssertTrue(run.waitForExit(seconds: 20))
                if run.process.terminationReason == .exit { whole *= 0.6 }
                let count = (try? TestStore(db).results().count) ?? 0
                if run.process.terminationReason == .uncaughtSignal && count > (stored.last ?? 0) && count < files.count {
                    partial += 1
                }
                stored.append(count)
            }
            history.append(stored)
            let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db.description, "--resume", tree])
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            let rows = try TestStore(db).results()
            XCTAssertEqual(rows.count, files.count, "one row per file (rows after each kill: \(stored))")
            XCTAssertEqual(Set(rows.map(\.path)).count, rows.count)
            XCTAssertTrue(rows.allSatisfy(\.isOK))
            assertSameDigests(try TestStore(db).digests(), expected)
            XCTAssertEqual(try TestStore(db).runs().last?.status, "complete")
        }
        // The kills did land between a first and a last batch, more than once.
        XCTAssertGreaterThan(partial, 1, "rows after each kill, per episode: \(history)")
    }

    /// Keyed results are kept apart from plain ones by their fingerprint, and the key is in no
    /// byte of the store.
    func testKeyedResultsAreKeptApartAndTheKeyIsNeverStored() throws {
        let scratch = try ScratchDirectory()
        let files = try scratch.makeTree("tree", count: 5, sizes: 10...3000)
        let key = randomBytes(32)
        let keyFile = try scratch.write(scratch.path("key"), key).description
        let db = scratch.path("results.db").description
        let tree = scratch.path("tree").description
        let keyed = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--keyed", "--key-file", keyFile, tree])
        XCTAssertEqual(keyed.status, 0, keyed.stderrText)
        // A plain --resume finds no plain result: everything is computed.
        let plain = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--resume", tree])
        XCTAssertEqual(plain.stdoutLines.count, 5)
        // The same key again: nothing to compute.
        let again = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--resume", "--keyed", "--key-file", keyFile, tree])
        XCTAssertEqual(again.stdoutLines.count, 0, again.stderrText)
        let otherKey = try scratch.write(scratch.path("key2"), randomBytes(32)).description
        let other = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "--resume", "--keyed", "--key-file", otherKey, tree])
        XCTAssertEqual(other.stdoutLines.count, 5, "another key is another fingerprint")

        let fingerprints = try TestStore(scratch.path("results.db")).open().fingerprints()
        XCTAssertEqual(fingerprints.count, 3, "\(fingerprints)")
        XCTAssertEqual(fingerprints.filter { $0.fingerprint.hasPrefix("blake3 key=") && $0.fingerprint.hasSuffix(" length=32 mode=keyed") }.count, 2)
        XCTAssertEqual(try TestStore(scratch.path("results.db")).results().count, 15)
        XCTAssertEqual(Set(files.map(\.description)), Set(try TestStore(scratch.path("results.db")).results().map(\.path.description)))
        try TestStore(scratch.path("results.db")).checkpoint()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: db)))
        for needle in [key, Array(Hex.lowercase(key).utf8), Array(Hex.lowercase(key).uppercased().utf8)] {
            XCTAssertFalse(bytes.contains(needle), "the key is in the store")
        }
        XCTAssertTrue(bytes.contains(Array("mode=keyed".utf8)), "the search itself finds what is there")
    }

    /// A store that cannot be used is one line, `sluice: --db FILE: why`, and exit 2, before
    /// anything is read or written.
    func testUnusableStoreIsOneErrorLineAndExit2BeforeAnyWork() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.makeTree("tree", count: 3)
        let tree = scratch.path("tree").description
        let garbage = try scratch.write(scratch.path("garbage.db"), randomBytes(8192)).description
        let other = scratch.path("other.db")
        let newer = scratch.path("newer.db")
        for made in [other, newer] {
            XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", made.description, tree]).status, 0)
            try TestStore(made).checkpoint()
        }
        try TestStore(other).patchHeader(offset: 68, value: 0)
        try TestStore(newer).patchHeader(offset: 60, value: 99)
        let cases: [(String, String)] = [
            (scratch.path("missing/x.db").description, "No such file or directory"),
            (scratch.path("tree").description, "Is a directory"),
            (garbage, "file is not a database"),
            (other.description, "not a sluice results store (an SQLite database of something else)"),
            (newer.description, "made by a newer sluice (store version 99; this sluice knows up to 1)"),
        ]
        for (db, reason) in cases {
            let before = try? Data(contentsOf: URL(fileURLWithPath: db))
            let output = scratch.path("out.b3").description
            let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, "-o", output, tree])
            XCTAssertEqual(outcome.status, 2, db)
            XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): \(reason)\n")
            XCTAssertEqual(outcome.stdoutText, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "no work: -o's file was not made")
            XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: db)), before, "the file is left as it was")
        }
    }

    /// As a user who may not write it, a read-only store is refused the same way.
    func testReadOnlyStoreIsRefusedWithExit2() throws {
        let (setpriv, prefix) = try Subprocess.asNobody()
        let scratch = try ScratchDirectory()
        _ = try scratch.makeTree("tree", count: 2)
        let db = scratch.path("results.db")
        XCTAssertEqual(try Subprocess.sluice(["run", "--device", "cpu", "--db", db.description, scratch.path("tree").description]).status, 0)
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        XCTAssertEqual(chmod(scratch.path("tree").description, 0o755), 0)
        XCTAssertEqual(chmod(db.description, 0o644), 0)
        let outcome = try Subprocess.run(setpriv, prefix + ["run", "--device", "cpu", "--db", db.description, scratch.path("tree").description])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): Permission denied\n")
        XCTAssertEqual(outcome.stdoutText, "")
    }

    /// A store whose disk fills up during the run stops it like any failed write: one line,
    /// `sluice: --db FILE: why`, and exit 3.
    func testFullDiskStopsTheRunWithOneLineAndExit3() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs") }
        let scratch = try ScratchDirectory()
        let small = try scratch.makeDirectory("small").description
        let mount = try Subprocess.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=160k", "tmpfs", small])
        guard mount.status == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(mount.stderrText)") }
        defer { _ = try? Subprocess.run(URL(fileURLWithPath: "/bin/umount"), [small]) }
        // 3000 rows of about 100 bytes: more than 160 KiB holds.
        for index in 0..<3000 { try scratch.write(scratch.path("tree/a-file-with-a-longish-name-\(index)"), [UInt8(index & 0xFF)]) }
        let db = small + "/results.db"
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--db", db, scratch.path("tree").description])
        XCTAssertEqual(outcome.status, 3)
        XCTAssertEqual(outcome.stderrText, "sluice: --db \(db): database or disk is full\n")
    }

    func testResumeWithoutAStoreIsAUsageError() throws {
        let outcome = try Subprocess.sluice(["run", "--resume", "/dev/null"])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertEqual(outcome.stderrText, "sluice: --resume needs --db FILE (see 'sluice run --help')\n")
    }
}

extension Array {
    /// The one element, or nil.
    var only: Element? { count == 1 ? first : nil }
}
