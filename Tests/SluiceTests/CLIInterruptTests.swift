import Foundation
import XCTest
@testable import Sluice

/// SIGINT during a run: readers stop, even inside a large file; what was written is complete;
/// the exit status is 130.
final class CLIInterruptTests: XCTestCase {
    func testInterruptStopsInsideALargeFileAndExits130WithCompleteLines() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("tree")
        for index in 0..<20 { _ = try scratch.writeRandom("tree/small-\(index)", size: 3000 + index) }
        // A sparse 16 GiB file: far more than the run can hash before the signal.
        // Named to sort after the small files: `--order path` reads them first.
        let big = scratch.path("tree/zz-big.sparse").description
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 16 << 30), 0)

        // Path order: the small files first, so some results exist before the big file starts.
        let run = try BackgroundSluice(["run", "-q", "--device", "cpu", "--order", "path", "--ordered", "--readers", "2",
                                        tree.description], in: scratch)
        // Wait until the big file is being read: output for the small files has appeared or time passed.
        Thread.sleep(forTimeInterval: 1.0)
        run.send(SIGINT)
        guard run.waitForExit(seconds: 20) else { return XCTFail("sluice did not stop within 20 s of SIGINT") }
        XCTAssertEqual(run.process.terminationStatus, 130)
        let text = run.stdoutText
        let lines = text.split(separator: "\n")
        // Every small file was hashed before the big one started, and its line is whole.
        XCTAssertEqual(lines.count, 20, text)
        XCTAssertTrue(text.hasSuffix("\n"), "the last line is complete")
        for line in lines {
            XCTAssertNotNil(line.range(of: #"^[0-9a-f]{64}  /"#, options: .regularExpression), "torn line: \(line)")
        }
        let small = (0..<20).map { scratch.path("tree/small-\($0)").description }
        XCTAssertEqual(ChecksumLines.digests(Data(text.utf8)), ChecksumLines.digests(try Subprocess.b3sum(small).stdout))
        XCTAssertFalse(lines.contains { $0.hasSuffix("big.sparse") }, "the interrupted file has no digest")
        // Its ranges were being read by the readers: it still gets its one report.
        let reports = run.stderrText.split(separator: "\n").filter { $0.contains("zz-big.sparse") }
        XCTAssertEqual(reports.count, 1, "\(reports)")
        XCTAssertTrue(reports.first?.contains("interrupted before the end of the file") == true, "\(reports)")
    }

    /// `check` interrupted inside a large file keeps the verdicts already printed (the small
    /// file's), prints none for the interrupted file and no closing lines, and exits 130.
    func testInterruptedCheckPrintsNoVerdictForTheUncheckedFileAndExits130() throws {
        let scratch = try ScratchDirectory()
        let small = try scratch.writeRandom("small", size: 5000)
        let big = scratch.path("big.sparse").description
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 16 << 30), 0)
        let digest = String(try Subprocess.b3sum([small.description]).stdoutText.prefix(64))
        let list = try scratch.write(scratch.path("sums"), Array("\(digest)  \(small.description)\n\(digest)  \(big)\n".utf8))
        let check = try BackgroundSluice(["check", "--device", "cpu", list.description], in: scratch)
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertTrue(check.process.isRunning, "still hashing the 16 GiB file")
        check.send(SIGINT)
        guard check.waitForExit(seconds: 20) else { return XCTFail("check did not stop within 20 s of SIGINT") }
        XCTAssertEqual(check.process.terminationReason, .exit)
        XCTAssertEqual(check.process.terminationStatus, 130)
        XCTAssertEqual(check.stdoutText, "\(small.description): OK\n", "the small file's verdict only, no FAILED line")
        XCTAssertEqual(check.stderrText, "sluice: check interrupted; 1 listed file was not checked\n")
    }

    /// A run whose standard output nobody reads (a stalled reader at the other end of a pipe)
    /// still ends soon after the first SIGINT or SIGTERM: the watchdog exits 130.
    func testFirstSignalEndsARunWhoseOutputIsBlocked() throws {
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("tree")
        // ~3000 lines of ~100 bytes: far more than a pipe holds (64 KiB).
        for index in 0..<3000 { _ = try scratch.write(scratch.path("tree/file-\(index)"), [UInt8(index & 0xff)]) }
        let fifo = try scratch.makeFIFO("stdout.fifo")
        for signal in [SIGINT, SIGTERM] {
            // The read end stays open and is never read.
            let readEnd = open(fifo.description, O_RDONLY | O_NONBLOCK)
            XCTAssertGreaterThanOrEqual(readEnd, 0)
            defer { close(readEnd) }
            let run = try BackgroundSluice(["run", "-q", "--device", "cpu", tree.description], in: scratch,
                                           name: "signal-\(signal)",
                                           stdout: try XCTUnwrap(FileHandle(forWritingAtPath: fifo.description)))
            // Long enough for the pipe to fill and the writer to block.
            Thread.sleep(forTimeInterval: 1.5)
            XCTAssertTrue(run.process.isRunning, "the run is blocked on its output")
            let signalled = Date()
            run.send(signal)
            guard run.waitForExit(seconds: 10) else {
                XCTFail("signal \(signal): sluice did not stop within 10 s")
                continue
            }
            let seconds = Date().timeIntervalSince(signalled)
            XCTAssertEqual(run.process.terminationReason, .exit, "signal \(signal)")
            XCTAssertEqual(run.process.terminationStatus, 130, "signal \(signal)")
            XCTAssertLessThan(seconds, 5, "signal \(signal): the watchdog ends the run about 2 s after the signal")
            let stderr = run.stderrText
            XCTAssertTrue(stderr.contains("sluice: interrupted, and the run did not stop within 2 s (output blocked?): exiting now"), stderr)
        }
    }
}
