import Foundation
import XCTest
@testable import Sluice

/// `sluice run` output checked by `b3sum --check`, b3sum output checked by `sluice check`, and
/// names that are not UTF-8 round-tripping through `run` and `check` byte for byte.
final class CheckRoundTripTests: XCTestCase {
    /// Names that need escaping (backslash, newline), a tab, a leading dash, a space, Unicode.
    private static let awkwardNames = ["plain", "back\\slash", "new\nline", "tab\there", "-dash", "with space",
                                       "both\\and\nnewline", "ünïcödé", "--double-dash"]

    /// Writes one random file per awkward name; returns the names (relative to the scratch root).
    private func writeAwkward(_ scratch: ScratchDirectory) throws -> [String] {
        for (number, name) in Self.awkwardNames.enumerated() {
            try scratch.writeRandom(name, size: [0, 1, 1024, 1025, 65_537, 3000, 200_000, 17, 64][number])
        }
        return Self.awkwardNames
    }

    /// `PATH: STATUS` lines of a check, keyed by the printed (possibly escaped) name.
    private func statuses(_ outcome: ProcessOutcome) -> [String: String] {
        var map: [String: String] = [:]
        for line in outcome.stdoutText.split(separator: "\n") {
            guard let range = line.range(of: ": ", options: .backwards) else { continue }
            map[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
        }
        return map
    }

    func testB3sumCheckAcceptsSluiceOutputForAwkwardNames() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = try writeAwkward(scratch)
        for device in TestBackendKind.opencl.isAvailable ? ["cpu", "opencl"] : ["cpu"] {
            // Relative names after `--`, so "-dash" is printed with its leading dash.
            let run = try Subprocess.sluice(["run", "-q", "--device", device, "--"] + names, directory: root)
            XCTAssertEqual(run.status, 0, run.stderrText)
            XCTAssertEqual(run.stdoutLines.count, names.count, "an escaped newline keeps one line per file")
            XCTAssertEqual(ChecksumLines.sortedLines(run.stdout),
                           ChecksumLines.sortedLines(try Subprocess.b3sum(["--"] + names, directory: root).stdout),
                           "\(device): same lines as b3sum, escapes included")
            try run.stdout.write(to: URL(fileURLWithPath: root + "/sums-\(device).b3"))
            let check = try Subprocess.b3sum(["--check", "sums-\(device).b3"], directory: root, expectSuccess: false)
            XCTAssertEqual(check.status, 0, "\(device): b3sum --check rejected sluice's output:\n\(check.stdoutText)\(check.stderrText)")
            let okLines = check.stdoutText.split(separator: "\n").filter { $0.hasSuffix(": OK") }
            XCTAssertEqual(okLines.count, names.count, "\(device): \(check.stdoutText)")
        }
    }

    func testSluiceCheckAcceptsB3sumOutputThenFlagsAChangedAndAMissingFile() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = try writeAwkward(scratch)
        let sums = try Subprocess.b3sum(["--"] + names, directory: root)
        try sums.stdout.write(to: URL(fileURLWithPath: root + "/sums.b3"))

        let good = try Subprocess.sluice(["check", "sums.b3"], directory: root)
        XCTAssertEqual(good.status, 0, good.stdoutText + good.stderrText)
        let okStatuses = statuses(good)
        XCTAssertEqual(okStatuses.count, names.count, good.stdoutText)
        XCTAssertTrue(okStatuses.values.allSatisfy { $0 == "OK" }, good.stdoutText)
        // Printed names use b3sum's escaped form.
        XCTAssertEqual(okStatuses["\\new\\nline"], "OK", good.stdoutText)
        XCTAssertEqual(okStatuses["\\back\\\\slash"], "OK", good.stdoutText)
        XCTAssertEqual(okStatuses["-dash"], "OK", good.stdoutText)
        XCTAssertEqual(okStatuses["tab\there"], "OK", good.stdoutText)

        // The same list on standard input, and --quiet prints nothing when all is well.
        let piped = try Subprocess.sluice(["check", "--quiet", "-"], stdin: sums.stdout, directory: root)
        XCTAssertEqual(piped.status, 0, piped.stderrText)
        XCTAssertTrue(piped.stdout.isEmpty, piped.stdoutText)

        // Same size, one byte different: FAILED.
        var changed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/tab\there")))
        changed[changed.count / 2] ^= 0x01
        try scratch.write(scratch.path("tab\there"), changed)
        XCTAssertEqual(unlink(root + "/with space"), 0)
        let bad = try Subprocess.sluice(["check", "sums.b3"], directory: root)
        XCTAssertEqual(bad.status, 1, bad.stdoutText + bad.stderrText)
        let badStatuses = statuses(bad)
        XCTAssertEqual(badStatuses["tab\there"], "FAILED", bad.stdoutText)
        XCTAssertTrue(badStatuses["with space"]?.hasPrefix("FAILED") == true || bad.stdoutText.contains("with space: FAILED"),
                      bad.stdoutText)
        XCTAssertEqual(badStatuses.values.filter { $0 == "OK" }.count, names.count - 2, bad.stdoutText)
        // b3sum agrees it is a failure.
        XCTAssertNotEqual(try Subprocess.b3sum(["--check", "sums.b3"], directory: root, expectSuccess: false).status, 0)
    }

    func testSluiceCheckVerifiesKeyedAndLongDigestsFromB3sum() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = ["a", "b", "c"]
        for (number, name) in names.enumerated() { try scratch.writeRandom(name, size: 1000 * number + 5) }
        let key = randomBytes(32)
        try scratch.write(scratch.path("key"), key)
        let keyed = try Subprocess.b3sum(["--keyed"] + names, stdin: Data(key), directory: root)
        try keyed.stdout.write(to: URL(fileURLWithPath: root + "/keyed.b3"))
        let long = try Subprocess.b3sum(["--length", "100"] + names, directory: root)
        try long.stdout.write(to: URL(fileURLWithPath: root + "/long.b3"))

        let keyedCheck = try Subprocess.sluice(["check", "--keyed", "--key-file", "key", "keyed.b3"], directory: root)
        XCTAssertEqual(keyedCheck.status, 0, keyedCheck.stdoutText + keyedCheck.stderrText)
        XCTAssertEqual(statuses(keyedCheck).values.filter { $0 == "OK" }.count, names.count)
        // Without the key the keyed sums do not match.
        XCTAssertEqual(try Subprocess.sluice(["check", "keyed.b3"], directory: root).status, 1)
        let longCheck = try Subprocess.sluice(["check", "long.b3"], directory: root)
        XCTAssertEqual(longCheck.status, 0, longCheck.stdoutText + longCheck.stderrText)
    }

    /// As with sha256sum, a malformed line beside good ones is counted (a closing warning) and
    /// fails the check only under --strict; --warn locates it; it is never an OK. (The name is
    /// from before --strict; docs/reliability.md cites it.)
    func testMalformedChecksumLineFailsTheCheck() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("a", size: 10)
        let sums = try Subprocess.b3sum(["a"], directory: root).stdoutText + "nothex  a\n"
        let outcome = try Subprocess.sluice(["check", "-"], stdin: Data(sums.utf8), directory: root)
        XCTAssertEqual(outcome.status, 0, outcome.stdoutText + outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, "a: OK\n")
        XCTAssertEqual(outcome.stderrText, "sluice: WARNING: 1 line is improperly formatted\n")
        let strict = try Subprocess.sluice(["check", "--strict", "-w", "-"], stdin: Data(sums.utf8), directory: root)
        XCTAssertEqual(strict.status, 1, strict.stdoutText + strict.stderrText)
        XCTAssertEqual(strict.stdoutText, "a: OK\n")
        XCTAssertTrue(strict.stderrText.contains("sluice: standard input: 2: improperly formatted BLAKE3 checksum line: "
                                                 + "invalid hexadecimal digest\n"), "the bad line is located: \(strict.stderrText)")
    }

    /// The audit's false OK: a `run -z` list read as newline lines checked only its first file.
    func testZeroTerminatedListIsCheckedWithZeroAndRefusedWithout() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = ["a", "b", "c", "new\nline", "back\\slash"]
        for (number, name) in names.enumerated() { try scratch.writeRandom(name, size: 100 * number + 1) }
        let run = try Subprocess.sluice(["run", "-q", "-z", "--device", "cpu", "--"] + names, directory: root)
        XCTAssertEqual(run.status, 0, run.stderrText)
        XCTAssertEqual([UInt8](run.stdout).filter { $0 == 0 }.count, names.count)
        try run.stdout.write(to: URL(fileURLWithPath: root + "/s.z"))

        // Untouched: every record checks OK with -z.
        let good = try Subprocess.sluice(["check", "-z", "s.z"], directory: root)
        XCTAssertEqual(good.status, 0, good.stdoutText + good.stderrText)
        XCTAssertEqual(statuses(good).values.filter { $0 == "OK" }.count, names.count, good.stdoutText)
        XCTAssertTrue(good.stdoutText.contains("\\new\\nline: OK"), "a name with a newline is printed escaped: \(good.stdoutText)")

        // Then one changes and one vanishes: both fail, the rest pass.
        try scratch.write(scratch.path("b"), Array("X\n".utf8))
        XCTAssertEqual(unlink(scratch.path("c").description), 0)
        let changed = try Subprocess.sluice(["check", "-z", "s.z"], directory: root)
        XCTAssertEqual(changed.status, 1, changed.stdoutText + changed.stderrText)
        let found = statuses(changed)
        XCTAssertEqual(found["a"], "OK")
        XCTAssertEqual(found["b"], "FAILED")
        XCTAssertTrue(found["c"]?.hasPrefix("FAILED") == true, changed.stdoutText)

        // Without -z the NUL-terminated list is one malformed line: a failure, never an OK.
        let refused = try Subprocess.sluice(["check", "s.z"], directory: root)
        XCTAssertEqual(refused.status, 1, refused.stdoutText + refused.stderrText)
        XCTAssertFalse(refused.stdoutText.contains("OK"), refused.stdoutText)
        XCTAssertTrue(refused.stderrText.contains("the line holds a NUL byte (a list written with -z? check it with -z)"),
                      refused.stderrText)
    }

    func testNulByteInsideAPathIsAnErrorNotACutPath() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("empty", size: 0)
        let digest = String(try Subprocess.b3sum(["empty"], directory: root).stdoutText.prefix(64))
        // `empty\0X` must not check `empty`.
        let list = Array("\(digest)  empty".utf8) + [0] + Array("X\n".utf8)
        let outcome = try Subprocess.sluice(["check", "-"], stdin: Data(list), directory: root)
        XCTAssertEqual(outcome.status, 1, outcome.stdoutText + outcome.stderrText)
        XCTAssertFalse(outcome.stdoutText.contains("OK"), outcome.stdoutText)
        XCTAssertTrue(outcome.stderrText.contains("standard input: 1: improperly formatted BLAKE3 checksum line: the line holds a NUL byte"),
                      outcome.stderrText)

        // The same name in a --files-from list is an error for that entry; the others are hashed.
        try scratch.writeRandom("other", size: 10)
        let filesFrom = Array("other\nempty".utf8) + [0] + Array("X\n".utf8)
        try scratch.write(scratch.path("list"), filesFrom)
        let run = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--files-from", "list"], directory: root)
        XCTAssertEqual(run.status, 1, run.stderrText)
        XCTAssertEqual(run.stdoutLines.count, 1)
        XCTAssertTrue(run.stdoutText.hasSuffix("  other\n"), run.stdoutText)
        XCTAssertTrue(run.stderrText.contains("the path holds a NUL byte, which no file name can"), run.stderrText)
    }

    func testShortOrOddDigestsAreErrorsNotOKs() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("empty", size: 0)
        let digest = String(try Subprocess.b3sum(["empty"], directory: root).stdoutText.prefix(64))
        let cases: [(String, String)] = [
            ("af  empty\n", "digest of 1 bytes is too short (at least 32 bytes, 64 hex digits)"),
            ("\(digest.prefix(62))  empty\n", "digest of 31 bytes is too short"),
            ("\(digest.prefix(63))  empty\n", "invalid hexadecimal digest"),
            ("\(digest)empty\n", "expected HEX, two spaces (or a space and *), then a path"),
            ("\(digest)  \n", "empty path"),
            ("\\\(digest)  bad\\escape\n", "invalid escape sequence in path"),
        ]
        for (list, message) in cases {
            let outcome = try Subprocess.sluice(["check", "-"], stdin: Data(list.utf8), directory: root)
            XCTAssertEqual(outcome.status, 1, "\(list): \(outcome.stdoutText)\(outcome.stderrText)")
            XCTAssertFalse(outcome.stdoutText.contains("OK"), list)
            // A list without a properly formatted line says why its first bad line is one.
            XCTAssertTrue(outcome.stderrText.contains("standard input: 1: improperly formatted BLAKE3 checksum line: \(message)"),
                          "\(list): \(outcome.stderrText)")
        }
        // The full digest passes, and a 32-byte prefix of a longer one too (BLAKE3's output is a prefix stream).
        let long = try Subprocess.b3sum(["--length", "48", "empty"], directory: root).stdoutText
        for list in ["\(digest)  empty\n", long] {
            let outcome = try Subprocess.sluice(["check", "-"], stdin: Data(list.utf8), directory: root)
            XCTAssertEqual(outcome.status, 0, "\(list): \(outcome.stdoutText)\(outcome.stderrText)")
            XCTAssertEqual(outcome.stdoutText, "empty: OK\n")
        }
    }

    func testCheckOfAFIFOEntryFailsWithoutBlocking() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("a", size: 100)
        try scratch.makeFIFO("pipe")
        let digest = String(try Subprocess.b3sum(["a"], directory: root).stdoutText.prefix(64))
        let list = "\(digest)  a\n\(digest)  pipe\n"
        let outcome = try Subprocess.sluice(["check", "-"], stdin: Data(list.utf8), directory: root, timeout: 20)
        XCTAssertEqual(outcome.status, 1, outcome.stdoutText + outcome.stderrText)
        XCTAssertTrue(outcome.stdoutText.contains("a: OK\n"), outcome.stdoutText)
        XCTAssertTrue(outcome.stdoutText.contains("pipe: FAILED"), outcome.stdoutText)
    }

    // A checksum list can come from a pipe (`/dev/stdin`, `<(…)`), as with b3sum --check.
    func testCheckReadsAChecksumListFromAPipe() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("a", size: 1000)
        let sluice = try Subprocess.sluiceExecutable().path
        let reference = try Subprocess.run(URL(fileURLWithPath: "/bin/sh"),
                                           ["-c", "b3sum a | b3sum --check /dev/stdin"], directory: root)
        XCTAssertEqual(reference.status, 0, "b3sum itself reads a list from a pipe: \(reference.stderrText)")
        let outcome = try Subprocess.run(URL(fileURLWithPath: "/bin/sh"),
                                         ["-c", "b3sum a | '\(sluice)' check /dev/stdin"], directory: root)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, "a: OK\n", outcome.stderrText)
    }

    // MARK: - Names that are not UTF-8

    func testNonUTF8NameRoundTripsThroughRunAndCheckByteForByte() throws {
        let scratch = try ScratchDirectory()
        let name: [UInt8] = [0x66, 0xFF, 0xFE, 0x2D, 0xC3, 0x28, 0x0A, 0x2E, 0x62, 0x69, 0x6E] // f\xff\xfe-\xc3(\n.bin
        let directory = try scratch.makeDirectory("odd")
        let content = randomBytes(70_001)
        let odd = try scratch.write(directory.appending(name), content)
        let twin = try scratch.write(scratch.path("twin.bin"), content)
        let twinDigest = try XCTUnwrap(ChecksumLines.entries(try Subprocess.b3sum([twin.description]).stdout)[twin])

        // Text: the exact bytes, escaped (the name holds a newline), then `check` finds the file.
        let run = try Subprocess.sluice(["run", "-q", "--device", "cpu", directory.description])
        XCTAssertEqual(run.status, 0, run.stderrText)
        let entries = ChecksumLines.entries(run.stdout)
        XCTAssertEqual(entries, [odd: twinDigest], "the printed name is the file's exact bytes")
        try run.stdout.write(to: URL(fileURLWithPath: scratch.path("odd.b3").description))
        let check = try Subprocess.sluice(["check", scratch.path("odd.b3").description])
        XCTAssertEqual(check.status, 0, check.stdoutText + check.stderrText)
        XCTAssertTrue(check.stdout.starts(with: [UInt8(ascii: "\\")] + B3SumFormat.escaped(odd)), check.stdoutText)
        XCTAssertTrue(check.stdoutText.hasSuffix(": OK\n"), check.stdoutText)

        // -z: NUL records with the raw, unescaped bytes.
        let zero = try Subprocess.sluice(["run", "-q", "-z", "--device", "cpu", directory.description])
        XCTAssertEqual([UInt8](zero.stdout), Array(twinDigest.utf8) + [0x20, 0x20] + odd.bytes + [0])

        // JSONL: every line parses; path_base64 holds the exact bytes; UTF-8 names have none.
        let json = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--format", "jsonl",
                                          directory.description, twin.description])
        XCTAssertEqual(json.status, 0, json.stderrText)
        let objects = try json.stdoutLines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
        XCTAssertEqual(objects.count, 2)
        let oddObject = try XCTUnwrap(objects.first { $0["path_base64"] != nil })
        let decoded = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(oddObject["path_base64"] as? String)))
        XCTAssertEqual([UInt8](decoded), odd.bytes)
        XCTAssertEqual(oddObject["digest"] as? String, twinDigest)
        XCTAssertEqual(oddObject["size"] as? Int, content.count)
        XCTAssertEqual(oddObject["path"] as? String, odd.description, "path is the U+FFFD rendering")
        let twinObject = try XCTUnwrap(objects.first { $0["path"] as? String == twin.description })
        XCTAssertNil(twinObject["path_base64"])
        XCTAssertEqual(twinObject["digest"] as? String, twinDigest)
    }

    func testJSONLinesParseForAwkwardNamesAndProblems() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = try writeAwkward(scratch)
        try scratch.write(scratch.path("quote\"and\u{1}control"), [1, 2, 3])
        try scratch.makeFIFO("a-fifo")
        let expected = ChecksumLines.entries(try Subprocess.b3sum(["--"] + names + ["quote\"and\u{1}control"],
                                                                   directory: root).stdout)
        for device in TestBackendKind.opencl.isAvailable ? ["cpu", "opencl"] : ["cpu"] {
            let outcome = try Subprocess.sluice(["run", "-q", "--device", device, "--format", "jsonl",
                                                 "--", ".", "missing-file"], directory: root, timeout: 30)
            XCTAssertEqual(outcome.status, 1, "the missing file fails the run: \(outcome.stderrText)")
            XCTAssertEqual(outcome.stdoutLines.count, names.count + 3, outcome.stdoutText)
            var seen = 0
            for line in outcome.stdoutLines {
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                                           String(decoding: line, as: UTF8.self))
                let path = try XCTUnwrap(object["path"] as? String)
                XCTAssertEqual(object["kernel"] as? String, "blake3")
                XCTAssertEqual(object["schema"] as? Int, FileRecord.schemaVersion)
                if let digest = object["digest"] as? String {
                    let relative = RawPath(String(path.dropFirst(2))) // "./name"
                    XCTAssertEqual(digest, expected[relative], "\(device): \(path.debugDescription)")
                    XCTAssertNotNil(object["size"] as? Int)
                    XCTAssertEqual(object["status"] as? String, "ok")
                    seen += 1
                } else if path == "./a-fifo" {
                    XCTAssertEqual(object["status"] as? String, "skipped")
                } else {
                    XCTAssertEqual(path, "missing-file")
                    XCTAssertNil(object["size"], "a path that could not be listed has no known size")
                    XCTAssertEqual(object["status"] as? String, "error")
                    XCTAssertNotNil(object["error"] as? String)
                }
            }
            XCTAssertEqual(seen, names.count + 1, device)
        }
    }
}
