import Foundation
import XCTest
@testable import Sluice

/// Files truncated by another process while `sluice run` reads them through the mapping: the
/// vanished pages raise a real SIGBUS, inside the copy into staging (OpenCL lanes) or inside the
/// SIMD kernels hashing in place (CPU lanes), which must become a "changed" report for that
/// file (exit 1), never a crash (exit 135) that loses every other result.
final class CLITruncationTests: XCTestCase {
    /// Three runs in a row, each truncating a large file while it is read.
    func testRunsTruncatingALargeFileMidReadReportItAndHashTheOthers() throws {
        let scratch = try ScratchDirectory()
        let others = try (0..<4).map { try scratch.writeRandom("other-\($0)", size: 100_000 + $0 * 300_000) }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(others.map(\.description)).stdout)
        // 256 MiB: the debug build takes about half a second to hash it, far longer than it
        // takes to see the file opened and truncate it.
        let master = try scratch.writeRandom("master", size: 256 << 20)
        let victim = scratch.path("victim")
        let devices = TestBackendKind.opencl.isAvailable ? ["cpu", "cpu", "cpu", "opencl"] : ["cpu", "cpu", "cpu"]
        for (attempt, device) in devices.enumerated() {
            try? FileManager.default.removeItem(atPath: victim.description)
            try FileManager.default.copyItem(atPath: master.description, toPath: victim.description)
            // One reader, then several reading ranges of the file at once.
            let readers = attempt % 2 == 0 ? "1" : "4"
            // Through the mapping: the truncation must raise a real SIGBUS in the copy.
            let outcome = try runTruncating(victim, toBytes: 4096,
                                            arguments: ["run", "-q", "--device", device, "--read", "mmap", "--readers", readers,
                                                        victim.description] + others.map(\.description))
            let label = "\(device) run \(attempt + 1)"
            XCTAssertEqual(outcome.status, 1, "\(label): exit 1 (one file failed), not a signal: \(outcome.stderrText)")
            // In place (CPU), the truncation is met by the kernels (SIGBUS) or by the reader
            // mapping the next range's pages in; copied (OpenCL), by the guarded copy.
            let reports = device == "cpu"
                ? ["file shrank while being hashed (SIGBUS on the mapping)", "file shrank while being read"]
                : ["file shrank while being read (SIGBUS on the mapping)"]
            XCTAssertTrue(reports.contains { outcome.stderrText.contains("\(victim.description): changed: \($0)") },
                          "\(label): the truncation hit the mapping and was reported: \(outcome.stderrText)")
            XCTAssertEqual(ChecksumLines.digests(outcome.stdout), expected, "\(label): every other file's digest is right")
        }
        // With pread, the truncation is the end of the file coming early.
        try? FileManager.default.removeItem(atPath: victim.description)
        try FileManager.default.copyItem(atPath: master.description, toPath: victim.description)
        let pread = try runTruncating(victim, toBytes: 4096, arguments: ["run", "-q", "--device", "cpu", "--readers", "4",
                                                                         "--read", "pread", victim.description] + others.map(\.description))
        XCTAssertEqual(pread.status, 1, pread.stderrText)
        XCTAssertTrue(pread.stderrText.contains("\(victim.description): changed: file shrank while being read")
                      || pread.stderrText.contains("\(victim.description): changed: file changed while being read"), pread.stderrText)
        XCTAssertEqual(ChecksumLines.digests(pread.stdout), expected)
    }

    /// Many large files, half of them truncated while the run goes on: no crash, and every file
    /// gets either its right digest (of what it held when read) or a report.
    func testManyFilesTruncatedDuringARunNeverCrash() throws {
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("tree")
        var originals: [String: String] = [:]
        var files: [RawPath] = []
        for index in 0..<120 {
            let path = try scratch.writeRandom("tree/f\(String(format: "%03d", index))", size: 1_400_000)
            files.append(path)
        }
        for (path, digest) in ChecksumLines.digests(try Subprocess.b3sum(files.map(\.description)).stdout) {
            originals[path] = digest
        }

        let run = try BackgroundSluice(["run", "-q", "--device", "cpu", "--read", "mmap", directory.description], in: scratch)
        // Truncate the odd files to 4 KiB, one after another, while the run reads them.
        let victims = files.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        for victim in victims {
            XCTAssertEqual(truncate(victim.description, 4096), 0)
            usleep(3000)
        }
        XCTAssertTrue(run.waitForExit(seconds: 120))
        XCTAssertEqual(run.process.terminationReason, .exit, "sluice was killed by a signal")
        XCTAssertTrue([0, 1].contains(run.process.terminationStatus), "exit \(run.process.terminationStatus)")

        let digests = ChecksumLines.digests(run.outcome.stdout)
        let stderr = run.stderrText
        let shortDigests = ChecksumLines.digests(try Subprocess.b3sum(victims.map(\.description)).stdout)
        for file in files {
            let name = file.description
            let reported = stderr.contains("\(name): changed:")
            if let digest = digests[name] {
                XCTAssertFalse(reported, "\(name) has a digest and a report")
                // Read before or after its truncation, never a mix.
                XCTAssertTrue(digest == originals[name] || digest == shortDigests[name], "\(name): wrong digest")
            } else {
                XCTAssertTrue(reported, "\(name): no digest and no report: \(stderr)")
                XCTAssertTrue(victims.contains(file), "\(name) was not truncated but has no digest")
            }
        }
    }

    /// Starts sluice with `arguments`, waits until it has `path` open (its descriptor shows in
    /// /proc/PID/fd), truncates the file to `bytes`, and waits for the exit.
    private func runTruncating(_ path: RawPath, toBytes bytes: Int, arguments: [String]) throws -> ProcessOutcome {
        let scratch = try ScratchDirectory()
        let run = try BackgroundSluice(arguments, in: scratch)
        let process = run.process
        let folder = "/proc/\(process.processIdentifier)/fd"
        let deadline = Date().addingTimeInterval(20)
        var truncated = false
        while !truncated && process.isRunning && Date() < deadline {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if entries.contains(where: { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\($0)")) == path.description }) {
                // Not at once: a truncation between the `open` and the reader's `fstat` right
                // after it is "changed since it was listed", before any byte is read, and the
                // mapping is never hit (seen once in CI). 5 ms later the read is under way (it
                // takes about half a second).
                usleep(5000)
                XCTAssertEqual(truncate(path.description, off_t(bytes)), 0)
                truncated = true
            } else {
                usleep(500)
            }
        }
        XCTAssertTrue(truncated, "the file was never seen open, so it was not truncated during the read")
        XCTAssertTrue(run.waitForExit(seconds: 120))
        XCTAssertEqual(process.terminationReason, .exit, "sluice was killed by signal \(process.terminationStatus)")
        return run.outcome
    }
}
