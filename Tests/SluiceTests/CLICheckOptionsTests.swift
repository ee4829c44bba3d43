import Foundation
import XCTest
@testable import Sluice

/// `sluice check` as sha256sum users expect it, through the real binary: `-q`, `--status`,
/// `--warn`, `--strict`, `--ignore-missing`, the closing warnings and exit statuses (compared
/// with GNU sha256sum on the same layouts), verdicts printed while later files are still being
/// hashed, real line numbers, CRLF lists and `BLAKE3 (PATH) = HEX` tag lines.
final class CLICheckOptionsTests: XCTestCase {
    // MARK: - Helpers

    /// `sha256sum` on the PATH, the reference for the options' semantics.
    private func sha256sumExecutable() throws -> URL {
        for directory in ["/usr/bin", "/bin", "/usr/local/bin"] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent("sha256sum")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw XCTSkip("sha256sum (GNU coreutils) is not installed")
    }

    /// name → hex digest, by b3sum (BLAKE3) or sha256sum, for names that need no escaping.
    private func digests(_ names: [String], sha256: Bool = false, in root: String) throws -> [String: String] {
        let outcome = sha256 ? try Subprocess.run(try sha256sumExecutable(), ["--"] + names, directory: root)
                             : try Subprocess.b3sum(["--"] + names, directory: root)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        return ChecksumLines.digests(outcome.stdout)
    }

    /// `sluice check --device cpu OPTIONS… LIST` in `root`.
    private func check(_ options: [String], _ list: String = "list", stdin: Data? = nil, in root: String) throws -> ProcessOutcome {
        try Subprocess.sluice(["check", "--device", "cpu"] + options + [list], stdin: stdin, directory: root)
    }

    /// The newline-separated lines of `text`, split on the byte (a Character split keeps
    /// `\r\n` whole), without empty ones.
    private func lines(_ text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Small files a, b, c, and m1, m2 whose contents change after their digests were taken.
    private struct Layout {
        let scratch: ScratchDirectory
        var root: String { scratch.root.description }
        /// BLAKE3 and SHA-256 digests taken before m1 and m2 changed.
        var b3: [String: String] = [:]
        var sha: [String: String] = [:]
    }

    private func makeLayout(sha256: Bool = false) throws -> Layout {
        let scratch = try ScratchDirectory()
        var layout = Layout(scratch: scratch)
        let names = ["a", "b", "c", "m1", "m2"]
        for (number, name) in names.enumerated() { try scratch.writeRandom(name, size: [100, 2000, 70_000, 10, 5000][number]) }
        layout.b3 = try digests(names, in: layout.root)
        if sha256 { layout.sha = try digests(names, sha256: true, in: layout.root) }
        for name in ["m1", "m2"] { try scratch.writeRandom(name, size: 64) }
        _ = try scratch.makeDirectory("dir")
        _ = try scratch.symlink("dangling", to: "nowhere")
        return layout
    }

    /// One line of a list recipe, written once with BLAKE3 digests for sluice and once with
    /// SHA-256 digests for sha256sum.
    private enum Item {
        /// `HEX  NAME` (a name not in the layout gets a's digest: a missing file, the folder).
        case sum(String)
        /// `ALGO (NAME) = HEX`.
        case tag(String)
        /// `HEX  NAME` ended by CRLF.
        case crlf(String)
        /// A line both tools refuse.
        case bad(String)
        case blank
    }

    private func listText(_ items: [Item], digests: [String: String], algorithm: String) -> String {
        items.map { item -> String in
            switch item {
            case .sum(let name): return "\(digests[name] ?? digests["a"]!)  \(name)\n"
            case .tag(let name): return "\(algorithm) (\(name)) = \(digests[name] ?? digests["a"]!)\n"
            case .crlf(let name): return "\(digests[name] ?? digests["a"]!)  \(name)\r\n"
            case .bad(let text): return text + "\n"
            case .blank: return "\n"
            }
        }.joined()
    }

    // MARK: - The options against sha256sum

    /// Every option and their pairs, on lists mixing OK, FAILED, missing, unreadable,
    /// improperly formatted, blank, tag and CRLF lines: the same exit status, the same stdout
    /// lines and the same stderr lines as GNU sha256sum (sluice's tool name and algorithm put
    /// in; sluice adds a reason to --warn lines and its own wording for why a file cannot be
    /// read, which are compared without that text).
    func testOptionsExitStatusesAndClosingWarningsMatchSha256sum() throws {
        let sha256sum = try sha256sumExecutable()
        let layout = try makeLayout(sha256: true)
        let recipes: [String: [Item]] = [
            "all-good": [.sum("a"), .sum("b"), .tag("c")],
            "mixed": [.sum("a"), .blank, .bad("0123  x"), .sum("m1"), .sum("gone1"), .tag("b"), .blank,
                      .bad("garbage"), .sum("dir"), .crlf("c"), .sum("dangling")],
            "one-of-each": [.sum("a"), .sum("m1"), .sum("gone1"), .bad("garbage")],
            "two-mismatches": [.sum("m1"), .tag("m2"), .sum("a")],
            "only-missing": [.sum("gone1"), .sum("gone2")],
            "missing-and-mismatch": [.sum("gone1"), .sum("m1")],
            "bad-and-good": [.bad("garbage"), .sum("a"), .bad("0123  y")],
        ]
        let optionSets: [[String]] = [[], ["-q"], ["--quiet"], ["--status"], ["-w"], ["--warn"], ["--strict"],
                                      ["--ignore-missing"], ["--strict", "-w"], ["--ignore-missing", "-q"],
                                      ["--ignore-missing", "--strict"], ["--status", "--strict"]]
        let fileNames = ["a", "b", "c", "m1", "m2", "gone1", "gone2", "dir", "dangling"]

        /// stderr lines with the tool's name and algorithm made alike, sluice's added reasons
        /// dropped, and why a file could not be read left out (its name is kept).
        func normalised(_ text: String, tool: String) -> [String] {
            lines(text).map { line -> String in
                var line = line.replacingOccurrences(of: "\(tool): ", with: "TOOL: ")
                    .replacingOccurrences(of: "SHA256 checksum line", with: "BLAKE3 checksum line")
                if let range = line.range(of: "checksum line: ") { line = String(line[..<range.lowerBound]) + "checksum line" }
                for name in fileNames where line.hasPrefix("TOOL: \(name): ") { line = "TOOL: \(name): CANNOT READ" }
                return line
            }
        }

        // sha256sum reads its lists from a folder of their own, under the same names.
        _ = try layout.scratch.makeDirectory("sha-lists")
        for (recipe, items) in recipes.sorted(by: { $0.key < $1.key }) {
            try Data(listText(items, digests: layout.b3, algorithm: "BLAKE3").utf8)
                .write(to: URL(fileURLWithPath: layout.root + "/\(recipe)"))
            try Data(listText(items, digests: layout.sha, algorithm: "SHA256").utf8)
                .write(to: URL(fileURLWithPath: layout.root + "/sha-lists/\(recipe)"))
            for options in optionSets {
                let label = "\(recipe) \(options)"
                let ours = try check(options, recipe, in: layout.root)
                // sha256sum has no -q (only --quiet); it names itself by the path it was run as.
                let referenceOptions = options.map { $0 == "-q" ? "--quiet" : $0 }
                var reference = try Subprocess.run(sha256sum, ["-c"] + referenceOptions + ["sha-lists/\(recipe)"],
                                                   directory: layout.root)
                reference.stderr = Data(reference.stderrText.replacingOccurrences(of: "sha-lists/", with: "")
                    .replacingOccurrences(of: "\(sha256sum.path): ", with: "sha256sum: ").utf8)
                XCTAssertEqual(ours.status, reference.status, "\(label): exit status\n\(ours.stdoutText)\(ours.stderrText)")
                XCTAssertEqual(lines(ours.stdoutText).sorted(), lines(reference.stdoutText).sorted(), "\(label): stdout")
                let ourErrors = normalised(ours.stderrText, tool: "sluice")
                let theirErrors = normalised(reference.stderrText, tool: "sha256sum")
                XCTAssertEqual(ourErrors.sorted(), theirErrors.sorted(), "\(label): stderr\n\(ours.stderrText)")
                // The closing lines come last, in sha256sum's order.
                XCTAssertEqual(ourErrors.filter { $0.hasPrefix("TOOL: WARNING") || $0.hasSuffix("no file was verified") },
                               theirErrors.filter { $0.hasPrefix("TOOL: WARNING") || $0.hasSuffix("no file was verified") },
                               "\(label): closing lines")
            }
        }
    }

    // MARK: - Each option on its own

    func testQuietShortAndLongPrintOnlyFailures() throws {
        let layout = try makeLayout()
        try Data(listText([.sum("a"), .sum("b"), .sum("m1")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        for flag in ["-q", "--quiet"] {
            let outcome = try check([flag], in: layout.root)
            XCTAssertEqual(outcome.status, 1, outcome.stderrText)
            XCTAssertEqual(outcome.stdoutText, "m1: FAILED\n", flag)
            XCTAssertEqual(outcome.stderrText, "sluice: WARNING: 1 computed checksum did NOT match\n", flag)
        }
        try Data(listText([.sum("a"), .sum("b")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        let clean = try check(["-q"], in: layout.root)
        XCTAssertEqual(clean.status, 0, clean.stderrText)
        XCTAssertEqual(clean.stdoutText + clean.stderrText, "", "nothing to say when all is well")
    }

    func testStatusPrintsNoVerdictAndNoWarningOnlyTheExitStatus() throws {
        let layout = try makeLayout()
        let cases: [([Item], Int32)] = [
            ([.sum("a"), .sum("b")], 0),
            ([.sum("a"), .sum("m1"), .sum("m2")], 1),
            ([.sum("a"), .bad("garbage"), .blank], 0),
        ]
        for (items, status) in cases {
            try Data(listText(items, digests: layout.b3, algorithm: "BLAKE3").utf8)
                .write(to: URL(fileURLWithPath: layout.root + "/list"))
            for options in [["--status"], ["--status", "-w"], ["-q", "--status"]] {
                let outcome = try check(options, in: layout.root)
                XCTAssertEqual(outcome.status, status, "\(items) \(options)")
                XCTAssertEqual(outcome.stdoutText, "", "\(items) \(options)")
                XCTAssertEqual(outcome.stderrText, "", "\(items) \(options)")
            }
        }
        // --strict still decides the status of a malformed line.
        let strict = try check(["--status", "--strict"], in: layout.root)
        XCTAssertEqual(strict.status, 1)
        XCTAssertEqual(strict.stdoutText + strict.stderrText, "")
        // A missing file: no verdict line, but (as sha256sum) its reason on stderr.
        try Data(listText([.sum("a"), .sum("gone")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        let missing = try check(["--status"], in: layout.root)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdoutText, "")
        XCTAssertEqual(lines(missing.stderrText).count, 1, missing.stderrText)
        XCTAssertTrue(missing.stderrText.hasPrefix("sluice: gone: No such file or directory"), missing.stderrText)
    }

    /// Blank lines (LF and CRLF ones) count in the numbering; --warn names each bad line.
    func testWarnNamesEachImproperlyFormattedLineByItsRealNumber() throws {
        let layout = try makeLayout()
        let a = try XCTUnwrap(layout.b3["a"])
        let list = "\(a)  a\n\n\ngarbage\n\r\n\(a.prefix(62))  a\n\(a)  b\r\n\n"
        try Data(list.utf8).write(to: URL(fileURLWithPath: layout.root + "/list"))
        for flag in ["-w", "--warn"] {
            let outcome = try check([flag], in: layout.root)
            XCTAssertEqual(outcome.status, 1, "b does not match: \(outcome.stderrText)")
            XCTAssertEqual(lines(outcome.stderrText), [
                "sluice: list: 4: improperly formatted BLAKE3 checksum line: expected HEX, two spaces (or a space and *), then a path",
                "sluice: list: 6: improperly formatted BLAKE3 checksum line: digest of 31 bytes is too short "
                    + "(at least 32 bytes, 64 hex digits)",
                "sluice: WARNING: 2 lines are improperly formatted",
                "sluice: WARNING: 1 computed checksum did NOT match",
            ], flag)
            XCTAssertEqual(lines(outcome.stdoutText).sorted(), ["a: OK", "b: FAILED"])
        }
        // Without --warn: only the count.
        let plain = try check([], in: layout.root)
        XCTAssertFalse(plain.stderrText.contains(": 4: "), plain.stderrText)
        XCTAssertTrue(plain.stderrText.contains("sluice: WARNING: 2 lines are improperly formatted\n"), plain.stderrText)
        // On standard input the list is "standard input", as sha256sum says.
        let piped = try check(["-w"], "-", stdin: Data(list.utf8), in: layout.root)
        XCTAssertTrue(piped.stderrText.hasPrefix("sluice: standard input: 4: improperly formatted BLAKE3 checksum line"),
                      piped.stderrText)
    }

    func testStrictFailsOnImproperlyFormattedLinesOnly() throws {
        let layout = try makeLayout()
        try Data(listText([.sum("a"), .bad("garbage"), .sum("b")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        let lenient = try check([], in: layout.root)
        XCTAssertEqual(lenient.status, 0, "sha256sum passes such a list without --strict: \(lenient.stderrText)")
        XCTAssertEqual(lines(lenient.stdoutText).sorted(), ["a: OK", "b: OK"])
        XCTAssertEqual(lenient.stderrText, "sluice: WARNING: 1 line is improperly formatted\n")
        let strict = try check(["--strict"], in: layout.root)
        XCTAssertEqual(strict.status, 1, strict.stderrText)
        XCTAssertEqual(lines(strict.stdoutText).sorted(), ["a: OK", "b: OK"])
        XCTAssertEqual(strict.stderrText, "sluice: WARNING: 1 line is improperly formatted\n")
        // Blank lines are not improperly formatted.
        try Data(listText([.blank, .sum("a"), .blank, .blank], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        let blanks = try check(["--strict"], in: layout.root)
        XCTAssertEqual(blanks.status, 0, blanks.stderrText)
        XCTAssertEqual(blanks.stdoutText + blanks.stderrText, "a: OK\n")
    }

    func testIgnoreMissingNeitherFailsNorReportsMissingFiles() throws {
        let layout = try makeLayout()
        try Data(listText([.sum("a"), .sum("gone"), .sum("dangling"), .tag("also/gone")], digests: layout.b3,
                          algorithm: "BLAKE3").utf8).write(to: URL(fileURLWithPath: layout.root + "/list"))
        let ignoring = try check(["--ignore-missing"], in: layout.root)
        XCTAssertEqual(ignoring.status, 0, ignoring.stderrText)
        XCTAssertEqual(ignoring.stdoutText, "a: OK\n")
        XCTAssertEqual(ignoring.stderrText, "", "missing files are not reported at all")

        let failing = try check([], in: layout.root)
        XCTAssertEqual(failing.status, 1)
        XCTAssertEqual(lines(failing.stdoutText).sorted(),
                       ["a: OK", "also/gone: FAILED open or read", "dangling: FAILED open or read", "gone: FAILED open or read"])
        let errors = lines(failing.stderrText)
        XCTAssertEqual(errors.last, "sluice: WARNING: 3 listed files could not be read", failing.stderrText)
        for name in ["gone", "dangling", "also/gone"] {
            XCTAssertEqual(errors.filter { $0.hasPrefix("sluice: \(name): ") }.count, 1, "\(name): \(failing.stderrText)")
        }

        // Not missing: a changed file, a folder and a FIFO still fail under --ignore-missing.
        _ = try layout.scratch.makeFIFO("fifo")
        try Data(listText([.sum("a"), .sum("m1"), .sum("dir"), .sum("fifo"), .sum("gone")], digests: layout.b3,
                          algorithm: "BLAKE3").utf8).write(to: URL(fileURLWithPath: layout.root + "/list"))
        let others = try check(["--ignore-missing"], in: layout.root)
        XCTAssertEqual(others.status, 1)
        XCTAssertEqual(lines(others.stdoutText).sorted(),
                       ["a: OK", "dir: FAILED open or read", "fifo: FAILED open or read", "m1: FAILED"])
        XCTAssertTrue(others.stderrText.contains("sluice: dir: Is a directory\n"), others.stderrText)
        XCTAssertTrue(others.stderrText.contains("sluice: WARNING: 2 listed files could not be read\n"), others.stderrText)
        XCTAssertTrue(others.stderrText.contains("sluice: WARNING: 1 computed checksum did NOT match\n"), others.stderrText)

        // Nothing verified at all: a failure, as sha256sum says.
        try Data(listText([.sum("gone"), .sum("gone2")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/list"))
        let nothing = try check(["--ignore-missing"], in: layout.root)
        XCTAssertEqual(nothing.status, 1)
        XCTAssertEqual(nothing.stdoutText, "")
        XCTAssertEqual(nothing.stderrText, "sluice: list: no file was verified\n")
    }

    func testClosingWarningsAreSingularOrPlural() throws {
        let layout = try makeLayout()
        let cases: [([Item], [String])] = [
            ([.sum("m1"), .sum("gone"), .bad("x"), .sum("a")],
             ["sluice: WARNING: 1 line is improperly formatted", "sluice: WARNING: 1 listed file could not be read",
              "sluice: WARNING: 1 computed checksum did NOT match"]),
            ([.sum("m1"), .sum("m2"), .sum("gone"), .sum("gone2"), .bad("x"), .bad("y"), .bad("z"), .sum("a")],
             ["sluice: WARNING: 3 lines are improperly formatted", "sluice: WARNING: 2 listed files could not be read",
              "sluice: WARNING: 2 computed checksums did NOT match"]),
        ]
        for (items, expected) in cases {
            try Data(listText(items, digests: layout.b3, algorithm: "BLAKE3").utf8)
                .write(to: URL(fileURLWithPath: layout.root + "/list"))
            let outcome = try check([], in: layout.root)
            XCTAssertEqual(outcome.status, 1)
            XCTAssertEqual(Array(lines(outcome.stderrText).suffix(3)), expected, outcome.stderrText)
            XCTAssertEqual(try check(["--status"], in: layout.root).stderrText.contains("WARNING"), false)
        }
    }

    func testNoProperlyFormattedLineIsAnErrorWithExitOne() throws {
        let layout = try makeLayout()
        for (list, firstBad) in [("", nil), ("\n\n\r\n", nil), ("garbage\nmore garbage\n", "1: improperly formatted")] {
            try Data(list.utf8).write(to: URL(fileURLWithPath: layout.root + "/list"))
            let outcome = try check([], in: layout.root)
            XCTAssertEqual(outcome.status, 1, list.debugDescription)
            XCTAssertEqual(outcome.stdoutText, "")
            XCTAssertTrue(outcome.stderrText.hasSuffix("sluice: list: no properly formatted BLAKE3 checksum lines found\n"),
                          outcome.stderrText)
            XCTAssertEqual(outcome.stderrText.contains("sluice: list: \(firstBad ?? "-")"), firstBad != nil, outcome.stderrText)
            XCTAssertFalse(outcome.stderrText.contains("WARNING"), outcome.stderrText)
            let quiet = try check(["--status"], in: layout.root)
            XCTAssertEqual(quiet.status, 1)
            XCTAssertEqual(quiet.stderrText, "sluice: list: no properly formatted BLAKE3 checksum lines found\n")
        }
        // One good list beside an empty one: the good one is checked, the empty one fails the check.
        try Data(listText([.sum("a")], digests: layout.b3, algorithm: "BLAKE3").utf8)
            .write(to: URL(fileURLWithPath: layout.root + "/good"))
        try Data().write(to: URL(fileURLWithPath: layout.root + "/list"))
        let both = try Subprocess.sluice(["check", "--device", "cpu", "good", "list"], directory: layout.root)
        XCTAssertEqual(both.status, 1)
        XCTAssertEqual(both.stdoutText, "a: OK\n")
        XCTAssertEqual(both.stderrText, "sluice: list: no properly formatted BLAKE3 checksum lines found\n")
    }

    /// Exit 2 stays what it was: a usage error or a list that cannot be read.
    func testUsageErrorsAndUnreadableListsStillExitTwo() throws {
        let layout = try makeLayout()
        XCTAssertEqual(try check(["--no-such-option"], in: layout.root).status, 2)
        XCTAssertEqual(try check([], "no-such-list", in: layout.root).status, 2)
    }

    // MARK: - Verdicts as they are known

    /// The first file's verdict is on stdout (a file, not a terminal) while the last one, a
    /// 32 GiB sparse file, is still being hashed.
    func testVerdictsArePrintedWhileLaterFilesAreStillHashed() throws {
        let scratch = try ScratchDirectory()
        let small = try scratch.writeRandom("small", size: 3000)
        let big = scratch.path("big.sparse").description
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 32 << 30), 0)
        let digest = try XCTUnwrap(ChecksumLines.digests(try Subprocess.b3sum([small.description]).stdout)[small.description])
        let list = try scratch.write(scratch.path("sums"), Array("\(digest)  \(small.description)\n\(digest)  \(big)\n".utf8))
        let check = try BackgroundSluice(["check", "--device", "cpu", list.description], in: scratch)
        let deadline = Date().addingTimeInterval(20)
        var seenWhileRunning = false
        while Date() < deadline && check.process.isRunning {
            if check.stdoutText == "\(small.description): OK\n" {
                seenWhileRunning = check.process.isRunning
                break
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(seenWhileRunning, "the small file's verdict was not on stdout while the big file was hashed: "
                      + "\(check.stdoutText.debugDescription) \(check.stderrText)")
        check.send(SIGINT)
        XCTAssertTrue(check.waitForExit(seconds: 20))
        XCTAssertEqual(check.process.terminationStatus, 130)
        XCTAssertEqual(check.stdoutText, "\(small.description): OK\n", "no verdict for the interrupted file")
    }

    // MARK: - Line formats

    /// A list written with CRLF line ends checks like the LF one; names get no `\r`. A name that
    /// really ends with `\r` is checked from a `-z` list.
    func testCRLFListsAreAccepted() throws {
        let layout = try makeLayout()
        let names = ["a", "b", "c", "with space"]
        try layout.scratch.writeRandom("with space", size: 12)
        let sums = try Subprocess.b3sum(["--"] + names, directory: layout.root).stdoutText
        let crlf = sums.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(lines(crlf).count, names.count)
        let outcome = try check([], "-", stdin: Data(crlf.utf8), in: layout.root)
        XCTAssertEqual(outcome.status, 0, outcome.stdoutText + outcome.stderrText)
        XCTAssertEqual(lines(outcome.stdoutText).sorted(), names.map { "\($0): OK" }.sorted())
        XCTAssertFalse(outcome.stdout.contains(UInt8(ascii: "\r")))
        XCTAssertEqual(outcome.stderrText, "")
        // --strict: no line of it is improperly formatted.
        XCTAssertEqual(try check(["--strict"], "-", stdin: Data(crlf.utf8), in: layout.root).status, 0)

        try layout.scratch.writeRandom("cr\r", size: 40)
        let zero = try Subprocess.sluice(["run", "-q", "-z", "--device", "cpu", "cr\r"], directory: layout.root)
        XCTAssertEqual(zero.status, 0, zero.stderrText)
        let zeroCheck = try check(["-z"], "-", stdin: zero.stdout, in: layout.root)
        XCTAssertEqual(zeroCheck.status, 0, zeroCheck.stderrText)
        XCTAssertEqual(zeroCheck.stdoutText, "cr\r: OK\n")
    }

    /// Tag lines are told apart line by line, escaped names included, and `tagLine` writes what
    /// `sha256sum --tag` writes (its algorithm and digest aside).
    func testTagLinesAreCheckedAndAutoDetectedPerLine() throws {
        let sha256sum = try sha256sumExecutable()
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        let names = ["plain", "back\\slash", "new\nline", "cr\r", "par)en = x", "(open", " lead", "-dash", "ünï"]
        for (number, name) in names.enumerated() { try scratch.writeRandom(name, size: 100 * number + 1) }
        var b3: [String: String] = [:]
        for name in names {
            let line = try Subprocess.b3sum(["--no-names", "--", name], directory: root).stdoutText
            b3[name] = String(line.prefix(64))
        }

        var list: [UInt8] = []
        for name in names {
            let hex = try XCTUnwrap(b3[name])
            let ours = B3SumFormat.tagLine(hexDigest: hex, path: RawPath(name))
            let reference = try Subprocess.run(sha256sum, ["--tag", "--", name], directory: root)
            XCTAssertEqual(reference.status, 0, reference.stderrText)
            let sha = String(reference.stdoutText.suffix(65).prefix(64))
            let expected = reference.stdoutText.replacingOccurrences(of: "SHA256 (", with: "BLAKE3 (")
                .replacingOccurrences(of: sha, with: hex)
            // coreutils before 9 left a CR unescaped; compare that name only where it escapes it.
            if !name.hasSuffix("\r") || expected.hasPrefix("\\") {
                XCTAssertEqual(String(decoding: ours, as: UTF8.self), expected, name.debugDescription)
            }
            list += ours
            // The untagged form of the same file, on the next line (not for the name ending in
            // CR: b3sum's form does not escape it, and a CR before the newline is dropped).
            if !name.hasSuffix("\r") { list += B3SumFormat.line(hexDigest: hex, path: RawPath(name)) }
        }
        try scratch.write(scratch.path("list"), list)
        let outcome = try check(["--strict"], in: root)
        XCTAssertEqual(outcome.status, 0, outcome.stdoutText + outcome.stderrText)
        XCTAssertEqual(outcome.stderrText, "")
        XCTAssertEqual(outcome.stdoutLines.count, 2 * names.count - 1, outcome.stdoutText)
        XCTAssertTrue(outcome.stdoutLines.allSatisfy { $0.suffix(4) == Array(": OK".utf8) }, outcome.stdoutText)

        // A changed file fails on its tag line; blanks around the `=` are allowed (as coreutils);
        // a tag line with no `) =` or a short digest is improperly formatted.
        try scratch.writeRandom("plain", size: 7)
        let hex = try XCTUnwrap(b3["-dash"])
        let mixed = "BLAKE3 (plain) = \(try XCTUnwrap(b3["plain"]))\nBLAKE3 (-dash)=\t\(hex)\n"
            + "BLAKE3 (-dash) \(hex)\nBLAKE3 (-dash) = \(hex.prefix(60))\nBLAKE3 () = \(hex)\n"
        let changed = try check(["-w"], "-", stdin: Data(mixed.utf8), in: root)
        XCTAssertEqual(changed.status, 1)
        XCTAssertEqual(lines(changed.stdoutText).sorted(), ["-dash: OK", "plain: FAILED"])
        XCTAssertTrue(changed.stderrText.contains("standard input: 3: improperly formatted BLAKE3 checksum line: "
                                                  + "expected BLAKE3 (PATH) = HEX\n"), changed.stderrText)
        XCTAssertTrue(changed.stderrText.contains("standard input: 4: improperly formatted BLAKE3 checksum line: "
                                                  + "digest of 30 bytes is too short"), changed.stderrText)
        XCTAssertTrue(changed.stderrText.contains("standard input: 5: improperly formatted BLAKE3 checksum line: empty path"),
                      changed.stderrText)

        // -z: tag records with raw names, a newline inside one.
        var zeroList: [UInt8] = []
        for name in ["new\nline", "back\\slash"] {
            zeroList += B3SumFormat.tagLine(hexDigest: try XCTUnwrap(b3[name]), path: RawPath(name), zero: true)
        }
        XCTAssertEqual(String(decoding: zeroList, as: UTF8.self),
                       "BLAKE3 (new\nline) = \(b3["new\nline"]!)\0BLAKE3 (back\\slash) = \(b3["back\\slash"]!)\0",
                       "raw names, no leading backslash")
        let zero = try check(["-z"], "-", stdin: Data(zeroList), in: root)
        XCTAssertEqual(zero.status, 0, zero.stderrText)
        XCTAssertEqual(lines(zero.stdoutText).sorted(), ["\\back\\\\slash: OK", "\\new\\nline: OK"])
    }
}
