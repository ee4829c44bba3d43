import Foundation
import XCTest
@testable import Sluice

/// What the audit of issue 13 broke from outside: a closed or full stderr, a full stdout,
/// absurd option values, an unwritable `--stats-json`, an uncreatable PoCL cache. Each case
/// must end with a one-line message and the documented exit status, never a crash.
final class CLIMessagesAndLimitsTests: XCTestCase {
    /// `sluice ARGS` through `/bin/sh -c` with `redirections` (e.g. `2>&-`) after it.
    private func shell(_ arguments: [String], redirections: String, timeout: Double = 30) throws -> ProcessOutcome {
        let sluice = try Subprocess.sluiceExecutable().path
        let quoted = ([sluice] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return try Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec " + quoted.joined(separator: " ") + " " + redirections],
                                  timeout: timeout)
    }

    func testClosedOrFullStandardErrorLosesMessagesNotResults() throws {
        let scratch = try ScratchDirectory()
        let files = try (0..<5).map { try scratch.writeRandom("f\($0)", size: 1000 * $0 + 1) }
        let missing = scratch.path("missing").description
        let expected = ChecksumLines.sortedLines(try Subprocess.b3sum(files.map(\.description)).stdout)
        for redirection in ["2>&-", "2>/dev/full"] {
            // With the summary (no -q): everything that goes to stderr is lost.
            let clean = try shell(["run", "--device", "cpu"] + files.map(\.description), redirections: redirection)
            XCTAssertEqual(clean.status, 0, "\(redirection): \(clean.stderrText)")
            XCTAssertEqual(ChecksumLines.sortedLines(clean.stdout), expected, redirection)
            // A failing file: its report is lost, its status is not.
            let failing = try shell(["run", "--device", "cpu", missing] + files.map(\.description), redirections: redirection)
            XCTAssertEqual(failing.status, 1, "\(redirection): \(failing.stderrText)")
            XCTAssertEqual(ChecksumLines.sortedLines(failing.stdout), expected, redirection)
            // check, too.
            let list = try scratch.write(scratch.path("sums-\(redirection.count)"), [UInt8](clean.stdout))
            let check = try shell(["check", "--device", "cpu", list.description], redirections: redirection)
            XCTAssertEqual(check.status, 0, redirection)
            XCTAssertEqual(check.stdoutLines.count, files.count, redirection)
        }
        // With stderr closed, no file the run opens may become "stderr": the digests still go to
        // stdout only, and the run's own files are untouched.
        let closed = try shell(["run", "-q", "--device", "cpu", files[4].description], redirections: "2>&-")
        XCTAssertEqual(closed.status, 0)
        XCTAssertEqual(try Subprocess.b3sum([files[4].description]).stdout, closed.stdout)
    }

    func testResultsThatCannotBeWrittenExitThreeWithOneLine() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 5000)
        let outcome = try shell(["run", "-q", "--device", "cpu", file.description], redirections: ">/dev/full")
        XCTAssertEqual(outcome.status, 3, outcome.stderrText)
        XCTAssertEqual(outcome.stderrText, "sluice: cannot write output: No space left on device\n")
    }

    func testUnwritableStatsFileIsASetupErrorBeforeAnyWork() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 5000)
        let target = scratch.path("no-such-folder/stats.json").description
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--stats-json", target, file.description])
        XCTAssertEqual(outcome.status, 2)
        XCTAssertTrue(outcome.stdout.isEmpty, "nothing was hashed")
        XCTAssertEqual(outcome.stderrText, "sluice: cannot write --stats-json \(target): No such file or directory\n")

        let good = scratch.path("stats.json").description
        let written = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--stats-json", good, file.description])
        XCTAssertEqual(written.status, 0)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: good))) as? [String: Any])
        XCTAssertEqual(summary["filesHashed"] as? Int, 1, "\(summary)")
    }

    func testAbsurdOptionValuesAreOneLineUsageErrors() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 100).description
        let cases: [([String], String)] = [
            (["--workers", "100000"], "--workers takes 1 to 256 threads; 100000 is out of range"),
            (["--readers", "100000"], "--readers takes 1 to 256 threads; 100000 is out of range"),
            (["--workers", "0"], "--workers takes 1 to 256 threads; 0 is out of range"),
            (["--readers", "-3"], "--readers takes 1 to 256 threads; -3 is out of range"),
            (["--batch-size", "1T"], "--batch-size 1.0 TiB is larger than the most a batch can be (1 GiB)"),
            (["--batch-size", "64G"], "--batch-size 64.0 GiB is larger than the most a batch can be (1 GiB)"),
            (["--batch-size", "99999999999999999999"], "'99999999999999999999' is not a size"),
            (["--batch-size", "9000000000T"], "--batch-size 9000000000T is too large"),
            (["--length", "1000000000000"], "--length takes 1 to 65536 output bytes per file; 1000000000000 is out of range"),
            (["--length", "2000000000"], "--length takes 1 to 65536 output bytes per file; 2000000000 is out of range"),
            (["--length", "0"], "--length takes 1 to 65536 output bytes per file; 0 is out of range"),
            (["--memory", "-5"], "--memory takes a size such as 4096, 512K, 64M or 1G; '-5' is negative"),
            (["--memory", "0"], "--memory takes a size such as 4096, 512K, 64M or 1G; '0' is zero"),
            (["--memory", "lots"], "'lots' is not a size"),
            (["--memory", "100000G"], "is more than this machine's memory"),
            (["--shard", "-1/3"], "--shard takes K/N with 0 <= K < N, e.g. 0/4; '-1/3' is not that"),
            (["--shard", "3/3"], "'3/3' is not that"),
            (["--batch-size", "1G", "--workers", "256"], "more than half of this machine's memory"),
        ]
        for (options, message) in cases {
            let outcome = try Subprocess.sluice(["run", "--device", "cpu"] + options + [file], timeout: 20)
            XCTAssertEqual(outcome.status, 2, "\(options): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stderrText.contains(message), "\(options): \(outcome.stderrText)")
            XCTAssertFalse(outcome.stderrText.contains("Missing value"), "\(options): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stdout.isEmpty, "\(options)")
        }
    }

    func testLongestLengthMatchesB3sum() throws {
        let scratch = try ScratchDirectory()
        let files = try [scratch.writeRandom("a", size: 3000), scratch.writeRandom("b", size: 0)]
        let ours = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--length", "65536"] + files.map(\.description))
        XCTAssertEqual(ours.status, 0, ours.stderrText)
        let reference = try Subprocess.b3sum(["--length", "65536"] + files.map(\.description))
        XCTAssertEqual(ChecksumLines.sortedLines(ours.stdout), ChecksumLines.sortedLines(reference.stdout))
    }

    func testUncreatablePoCLCacheIsNamedAsTheCause() throws {
        guard DeviceInventory.current().platforms.contains(where: { $0.name.contains("Portable Computing Language") }) else {
            throw XCTSkip("PoCL is not installed")
        }
        let folder = "/dev/null/pocl-cache"
        let listing = try Subprocess.sluice(["devices"], environment: ["POCL_CACHE_DIR": folder])
        XCTAssertEqual(listing.status, 0)
        XCTAssertTrue(listing.stderrText.contains("POCL_CACHE_DIR=\(folder) cannot be created; set POCL_CACHE_DIR to a writable folder"),
                      listing.stderrText)
        let run = try Subprocess.sluice(["run", "--device", "opencl", "/dev/null"], environment: ["POCL_CACHE_DIR": folder])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderrText.contains("POCL_CACHE_DIR=\(folder) cannot be created"), run.stderrText)
    }
}
