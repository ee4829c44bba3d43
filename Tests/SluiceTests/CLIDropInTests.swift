import Foundation
import XCTest
@testable import Sluice

/// Habits of b3sum, sha256sum, find and rsync users, through the real binary: standard input and
/// named streams, an output file inside the tree, excludes, one file system, stable output order.
final class CLIDropInTests: XCTestCase {
    private func bash(_ script: String, directory: String? = nil) throws -> ProcessOutcome {
        let sluice = try Subprocess.sluiceExecutable().path
        return try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script],
                                  environment: ["SLUICE": sluice], directory: directory)
    }

    // MARK: - Standard input and streams

    func testStandardInputIsHashedLikeB3sumInEveryMode() throws {
        let bytes = Data(randomBytes((3 << 20) + 12345))
        for extra in [[], ["--length", "77"], ["--derive-key", "sluice drop-in"]] {
            let sluice = try Subprocess.sluice(["run", "-q"] + extra + ["-"], stdin: bytes)
            let b3sum = try Subprocess.b3sum(extra + ["-"], stdin: bytes)
            XCTAssertEqual(sluice.status, 0, sluice.stderrText)
            XCTAssertEqual(sluice.stdoutText, b3sum.stdoutText, "\(extra)")
        }
        // The classic: a pipe, not a file, on standard input.
        let hello = try bash("echo hello | \"$SLUICE\" run -q -")
        XCTAssertEqual(hello.stdoutText, "8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99  -\n", hello.stderrText)
    }

    func testProcessSubstitutionsAndNamedFIFOsAreReadAsStreamsButSkippedInsideDirectories() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("data", size: 5_000_000)
        let expected = ChecksumLines.digests(try Subprocess.b3sum([file.description]).stdout)[file.description]!
        // <(…) is a FIFO under /dev/fd; its name is printed as given.
        let substituted = try bash("\"$SLUICE\" run -q <(cat '\(file)')")
        XCTAssertEqual(substituted.status, 0, substituted.stderrText)
        XCTAssertTrue(substituted.stdoutText.hasPrefix(expected + "  /dev/fd/"), substituted.stdoutText)

        let folder = try scratch.makeDirectory("folder")
        let fifo = try scratch.makeFIFO("folder/fifo")
        let inside = try scratch.writeRandom("folder/plain", size: 10)
        let writer = Thread { _ = try? Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "cat '\(file)' > '\(fifo)'"]) }
        writer.start()
        let named = try Subprocess.sluice(["run", "-q", fifo.description])
        XCTAssertEqual(named.status, 0, named.stderrText)
        XCTAssertEqual(named.stdoutText, "\(expected)  \(fifo)\n")
        // Met while walking, a FIFO is skipped (never opened: the run would wait for a writer).
        let walked = try Subprocess.sluice(["run", folder.description])
        XCTAssertEqual(walked.status, 0, walked.stderrText)
        XCTAssertTrue(walked.stderrText.contains("\(fifo): skipped: not a regular file (fifo)"), walked.stderrText)
        XCTAssertEqual(ChecksumLines.digests(walked.stdout).keys.sorted(), [inside.description])
        // A character device named as an argument is read like b3sum reads it.
        let null = try Subprocess.sluice(["run", "-q", "/dev/null"])
        XCTAssertEqual(null.stdoutText, try Subprocess.b3sum(["/dev/null"]).stdoutText)
    }

    func testStandardInputCannotBeReadTwice() throws {
        for arguments in [["run", "-", "-"], ["run", "--files-from", "-", "-"], ["run", "--keyed", "-"]] {
            let outcome = try Subprocess.sluice(arguments, stdin: Data("x".utf8))
            XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stderrText.contains("standard input"), outcome.stderrText)
        }
        // Named twice in a --files-from list: the first reads it, the second is an error line.
        let scratch = try ScratchDirectory()
        let list = try scratch.write(scratch.path("list"), Array("-\n-\n".utf8))
        let listed = try Subprocess.sluice(["run", "-q", "--files-from", list.description], stdin: Data("hello\n".utf8))
        XCTAssertEqual(listed.status, 1, listed.stderrText)
        XCTAssertEqual(listed.stdoutText, "8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99  -\n")
        XCTAssertTrue(listed.stderrText.contains("sluice: -: standard input is read once only"), listed.stderrText)
    }

    // MARK: - Output file, excludes, file systems

    func testOutputFileInsideTheTreeIsLeftOutAndReplacedAtomically() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("data")
        for name in ["a", "b/c", "b/d"] { _ = try scratch.writeRandom("data/\(name)", size: 1000) }
        let first = try Subprocess.sluice(["run", "-q", "-o", "sums.b3", "."], directory: tree.description)
        XCTAssertEqual(first.status, 0, first.stderrText)
        XCTAssertEqual(first.stdout.count, 0, "the results went to the file, not to stdout")
        let written = try String(contentsOfFile: "\(tree)/sums.b3", encoding: .utf8)
        XCTAssertEqual(written.split(separator: "\n").map { String($0.split(separator: " ").last!) }, ["./a", "./b/c", "./b/d"])
        // A second run lists the same files: neither the old sums file nor the new one is an entry.
        let second = try Subprocess.sluice(["run", "-q", "-o", "sums.b3", "."], directory: tree.description)
        XCTAssertEqual(second.status, 0, second.stderrText)
        XCTAssertEqual(try String(contentsOfFile: "\(tree)/sums.b3", encoding: .utf8), written)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tree.description).sorted(), ["a", "b", "sums.b3"],
                       "no temporary file is left behind")
        // Standard output redirected into the tree is left out as well.
        let redirected = try bash("\"$SLUICE\" run -q . > out.b3 && cat out.b3", directory: tree.description)
        XCTAssertEqual(redirected.status, 0, redirected.stderrText)
        XCTAssertFalse(redirected.stdoutText.contains("out.b3"), redirected.stdoutText)
        // A run that is refused leaves the old file alone.
        let refused = try Subprocess.sluice(["run", "-q", "-o", "sums.b3", "--workers", "0", "."], directory: tree.description)
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(try String(contentsOfFile: "\(tree)/sums.b3", encoding: .utf8), written)
        let nowhere = try Subprocess.sluice(["run", "-o", "\(scratch.root)/missing/sums.b3", tree.description])
        XCTAssertEqual(nowhere.status, 2)
        XCTAssertTrue(nowhere.stderrText.contains("cannot write -o"), nowhere.stderrText)
    }

    /// A run that the watchdog has to end (stuck reading a FIFO whose writer never writes)
    /// leaves no new file behind.
    func testAnAbruptExitRemovesTheNewOutputFile() throws {
        let scratch = try ScratchDirectory()
        let folder = try scratch.makeDirectory("out")
        let fifo = try scratch.makeFIFO("stuck")
        // A writer that stays silent: the run's read waits (and is restarted after the signal).
        let writer = fifo.withCString { open($0, O_RDWR) }
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { close(writer) }
        let target = "\(folder)/sums.b3"
        let run = try BackgroundSluice(["run", "-q", "-o", target, fifo.description], in: scratch)
        let deadline = Date().addingTimeInterval(20)
        var created = false
        while !created && Date() < deadline {
            created = ((try? FileManager.default.contentsOfDirectory(atPath: folder.description)) ?? []).contains { $0.hasPrefix(".sums.b3.sluice-") }
            if !created { usleep(2000) }
        }
        XCTAssertTrue(created, "the new file was made before the run")
        // Interrupted while its reader waits in read(2) on the FIFO (before that, the run stops
        // cleanly on its own and discards the new file itself).
        let descriptors = "/proc/\(run.process.processIdentifier)/fd"
        var reading = false
        while !reading && Date() < deadline {
            reading = ((try? FileManager.default.contentsOfDirectory(atPath: descriptors)) ?? []).contains {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\($0)")) == fifo.description
            }
            if !reading { usleep(2000) }
        }
        XCTAssertTrue(reading, "sluice opened the FIFO")
        usleep(200_000)
        run.send(SIGINT)
        XCTAssertTrue(run.waitForExit(seconds: 10))
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderrText)
        XCTAssertTrue(run.stderrText.contains("did not stop within 2 s"), "the watchdog ended it: \(run.stderrText)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.description), [], "nothing left behind")
    }

    func testOutputFileOfARunWithAFailedFileIsStillWritten() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("data")
        _ = try scratch.writeRandom("data/ok", size: 100)
        let locked = try scratch.writeRandom("data/locked", size: 100)
        XCTAssertEqual(chmod(locked.description, 0), 0)
        let outcome = try Subprocess.run(try Subprocess.sluiceExecutable(), ["run", "-q", "-o", "\(scratch.root)/sums", tree.description])
        let written = try String(contentsOfFile: "\(scratch.root)/sums", encoding: .utf8)
        if getuid() == 0 {
            // root reads every file: nothing fails.
            XCTAssertEqual(outcome.status, 0)
        } else {
            XCTAssertEqual(outcome.status, 1)
            XCTAssertTrue(outcome.stderrText.contains("locked"), outcome.stderrText)
        }
        XCTAssertTrue(written.contains("\(tree)/ok\n"), written)
    }

    func testExcludePatternsMatchNamesOrWholePathsAndPruneDirectories() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("t")
        for name in ["keep.txt", "skip.log", "cache/x.txt", "sub/cache.txt", "sub/deep/y.log", "sub/deep/z.txt"] {
            _ = try scratch.writeRandom("t/\(name)", size: 10)
        }
        func names(_ excludes: [String]) throws -> [String] {
            let outcome = try Subprocess.sluice(["run", "-q"] + excludes.flatMap { ["--exclude", $0] } + ["."],
                                                directory: tree.description)
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            return outcome.stdoutText.split(separator: "\n").map { String($0.split(separator: " ").last!) }
        }
        XCTAssertEqual(try names(["*.log"]), ["./cache/x.txt", "./keep.txt", "./sub/cache.txt", "./sub/deep/z.txt"])
        // A name pattern matches directories too, and an excluded directory is not entered.
        XCTAssertEqual(try names(["cache"]), ["./keep.txt", "./skip.log", "./sub/cache.txt", "./sub/deep/y.log", "./sub/deep/z.txt"])
        // With a slash, the whole printed path; * crosses slashes.
        XCTAssertEqual(try names(["./sub/*"]), ["./cache/x.txt", "./keep.txt", "./skip.log"])
        XCTAssertEqual(try names(["*.log", "*/deep"]), ["./cache/x.txt", "./keep.txt", "./sub/cache.txt"])
    }

    func testOneFileSystemDoesNotEnterOtherFileSystems() throws {
        let scratch = try ScratchDirectory()
        let elsewhere = "/dev/shm/sluice-xdev-\(getpid())"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        FileManager.default.createFile(atPath: "\(elsewhere)/far", contents: Data("far".utf8))
        guard let here = FileIdentity(path: scratch.root), let there = FileIdentity(path: RawPath(elsewhere)),
              here.device != there.device else {
            throw XCTSkip("/dev/shm is on the same file system as /tmp here")
        }
        _ = try scratch.writeRandom("near", size: 10)
        try scratch.symlink("link", to: elsewhere)
        let crossing = try Subprocess.sluice(["run", "-q", "-L", scratch.root.description])
        XCTAssertEqual(ChecksumLines.digests(crossing.stdout).count, 2, crossing.stdoutText)
        let staying = try Subprocess.sluice(["run", "-q", "-L", "-x", scratch.root.description])
        XCTAssertEqual(staying.status, 0, staying.stderrText)
        XCTAssertEqual(ChecksumLines.digests(staying.stdout).keys.sorted(), ["\(scratch.root)/near"])
    }

    // MARK: - Line styles

    func testTagLinesRoundTripThroughCheckAndNoNamesMatchesB3sum() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("t")
        let names: [[UInt8]] = [Array("plain".utf8), Array("back\\slash".utf8), Array("new\nline".utf8),
                                Array("paren) = x".utf8), Array("odd-".utf8) + [0xFF]]
        for name in names { _ = try scratch.write(scratch.path(bytes: Array("t/".utf8) + name), randomBytes(100)) }
        let tagged = try Subprocess.sluice(["run", "-q", "--tag", "."], directory: tree.description)
        XCTAssertEqual(tagged.status, 0, tagged.stderrText)
        XCTAssertEqual(tagged.stdoutLines.count, names.count)
        XCTAssertTrue(tagged.stdoutLines.allSatisfy { String(decoding: $0, as: UTF8.self).contains("BLAKE3 (") }, tagged.stdoutText)
        let list = try scratch.write(scratch.path("tags"), [UInt8](tagged.stdout))
        let check = try Subprocess.sluice(["check", list.description], directory: tree.description)
        XCTAssertEqual(check.status, 0, check.stdoutText + check.stderrText)
        XCTAssertEqual(check.stdoutLines.count, names.count)
        // --no-names prints what b3sum --no-names prints.
        let file = try scratch.writeRandom("f", size: 5000)
        let bare = try Subprocess.sluice(["run", "-q", "--no-names", file.description])
        XCTAssertEqual(bare.stdoutText, try Subprocess.b3sum(["--no-names", file.description]).stdoutText)
        for bad in [["--tag", "--no-names"], ["--tag", "--format", "jsonl"]] {
            XCTAssertEqual(try Subprocess.sluice(["run"] + bad + [file.description]).status, 2, "\(bad)")
        }
    }

    func testCheckVerdictsComeInListOrder() throws {
        let scratch = try ScratchDirectory()
        // Largest first, then many small ones: in completion order the small ones would come first.
        var files = [try scratch.writeRandom("big", size: 20 << 20)]
        for index in 0..<30 { files.append(try scratch.writeRandom("small-\(index)", size: 100 * index)) }
        let list = try scratch.write(scratch.path("list"), [UInt8](try Subprocess.b3sum(files.map(\.description)).stdout))
        for _ in 0..<2 {
            let outcome = try Subprocess.sluice(["check", "--device", "cpu", list.description])
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            XCTAssertEqual(outcome.stdoutText, files.map { "\($0): OK\n" }.joined())
        }
    }

    func testCheckSkipsCommentLinesAndReadsBinaryModeLines() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 3000)
        let hex = String(try Subprocess.b3sum(["--no-names", file.description]).stdoutText.prefix(64))
        let list = try scratch.write(scratch.path("list"), Array("# made by hand\n\(hex) *\(file)\n".utf8))
        let outcome = try Subprocess.sluice(["check", "--strict", list.description])
        XCTAssertEqual(outcome.status, 0, outcome.stdoutText + outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, "\(file): OK\n")
        XCTAssertEqual(outcome.stderrText, "", "a comment is not an improperly formatted line")
    }

    // MARK: - JSON lines

    func testJSONLinesCarryTheSchemaModeLengthAndKnownSizesAndDecodeAsFileRecords() throws {
        let (setpriv, asNobody) = try Subprocess.asNobody()
        let scratch = try ScratchDirectory()
        // mkdtemp makes 0700: nobody must traverse the root and read all but one file.
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        let tree = try scratch.makeDirectory("t")
        XCTAssertEqual(chmod(tree.description, 0o755), 0)
        let file = try scratch.writeRandom("t/data", size: 70_000)
        // A name that is not UTF-8 (it can only reach sluice through the walk).
        let odd = try scratch.write(scratch.path(bytes: Array("t/odd-".utf8) + [0xFF]), [1, 2, 3])
        let locked = try scratch.writeRandom("t/locked", size: 4321)
        XCTAssertEqual(chmod(locked.description, 0), 0)
        let outcome = try Subprocess.run(setpriv, asNobody + ["run", "-q", "--format", "jsonl",
                                         "--derive-key", "ctx", "--length", "48", tree.description,
                                         "\(scratch.root)/missing"])
        XCTAssertEqual(outcome.status, 1, outcome.stderrText)
        let records = try outcome.stdoutLines.map { try JSONDecoder().decode(FileRecord.self, from: Data($0)) }
        XCTAssertEqual(records.count, 4, outcome.stdoutText)
        XCTAssertTrue(records.allSatisfy { $0.schema == FileRecord.schemaVersion && $0.mode == "derive-key" && $0.length == 48 })
        let byPath = Dictionary(uniqueKeysWithValues: records.map { ($0.pathBase64 ?? $0.path, $0) })
        let hashed = try XCTUnwrap(byPath[file.description])
        XCTAssertEqual(hashed.status, "ok")
        XCTAssertEqual(hashed.size, 70_000)
        let b3sum = try Subprocess.b3sum(["--derive-key", "ctx", "--length", "48", file.description])
        XCTAssertEqual(hashed.digest, String(b3sum.stdoutText.prefix(96)))
        let oddRecord = try XCTUnwrap(byPath[Data(odd.bytes).base64EncodedString()])
        XCTAssertEqual(oddRecord.size, 3)
        let failed = try XCTUnwrap(byPath[locked.description])
        XCTAssertEqual(failed.status, "error")
        XCTAssertEqual(failed.size, 4321, "the size of a file that failed is known")
        XCTAssertNil(failed.digest)
        let missing = try XCTUnwrap(byPath["\(scratch.root)/missing"])
        XCTAssertNil(missing.size, "no size is known for a path that could not be listed")
        XCTAssertNotNil(missing.error)
    }

    /// Every error is one line, `sluice: WHAT: why`, whatever raised it.
    func testEveryErrorIsOneLineInOneVoice() throws {
        let cases: [([String], String)] = [
            (["run", "--workers", "0", "."], "sluice: --workers takes 1 to 256 threads; 0 is out of range (see 'sluice run --help')"),
            (["run", "--bogus", "."], "sluice: unknown option '--bogus' (see 'sluice run --help')"),
            (["run", "--length", "abc", "."], "sluice: --length: 'abc' is not a number (allowed: 1 to 65536 output bytes) (see 'sluice run --help')"),
            (["run", "--format", "xml", "."], "sluice: --format: invalid value 'xml' (allowed: b3sum, jsonl) (see 'sluice run --help')"),
            (["run", "--length"], "sluice: --length: a value is missing (allowed: 1 to 65536 output bytes) (see 'sluice run --help')"),
            (["run", "--device", "nonesuch", "."], "sluice: --device: invalid device 'nonesuch'"),
            (["run", "--stats-json", "/nonexistent/stats.json", "."], "sluice: cannot write --stats-json /nonexistent/stats.json: No such file or directory"),
            (["check", "--bogus"], "sluice: unknown option '--bogus' (see 'sluice check --help')"),
            (["bench", "corpora", "--corpus", "nope"], "sluice: unknown corpus nope"),
        ]
        for (arguments, expected) in cases {
            let outcome = try Subprocess.sluice(arguments)
            XCTAssertEqual(outcome.status, 2, "\(arguments)")
            let lines = outcome.stderrText.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): one line: \(outcome.stderrText)")
            XCTAssertTrue(outcome.stderrText.hasPrefix(expected), "\(arguments): \(outcome.stderrText)")
        }
    }

    func testVersionIsPrinted() throws {
        let outcome = try Subprocess.sluice(["--version"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertEqual(outcome.stdoutText, "sluice \(SluiceVersion.current)\n")
    }

    // MARK: - Order

    func testOutputOrderIsTheGivenOrderOnEveryRun() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("t")
        var expected: [String] = []
        for folder in 0..<5 {
            for file in 0..<40 {
                // Sizes that make completion order differ from walk order.
                let name = "d\(folder)/f\(String(format: "%02d", file))"
                _ = try scratch.writeRandom("t/\(name)", size: [1, 3_000_000, 700, 90_000][file % 4])
                expected.append("./\(name)")
            }
        }
        for _ in 0..<3 {
            let outcome = try Subprocess.sluice(["run", "-q", "--readers", "4", "."], directory: tree.description)
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            XCTAssertEqual(outcome.stdoutText.split(separator: "\n").map { String($0.split(separator: " ").last!) }, expected)
        }
        // Arguments keep their order whatever their sizes.
        let arguments = ["d0/f03", "d0/f01", "d0/f00"]
        let named = try Subprocess.sluice(["run", "-q"] + arguments, directory: tree.description)
        XCTAssertEqual(named.stdoutText.split(separator: "\n").map { String($0.split(separator: " ").last!) }, arguments)
        // Completion order is still there for streaming consumers: the same lines, any order.
        let streaming = try Subprocess.sluice(["run", "-q", "--completion-order", "."], directory: tree.description)
        XCTAssertEqual(ChecksumLines.sortedLines(streaming.stdout).count, expected.count)
    }
}
