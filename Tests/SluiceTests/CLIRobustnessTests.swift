import Foundation
import XCTest
@testable import Sluice

/// `sluice run` over trees with special and unreadable files, and names that are not plain.
final class CLIRobustnessTests: XCTestCase {
    func testFIFOInTheTreeIsSkippedWithoutBlockingAndExitsZero() throws {
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("tree")
        try scratch.writeRandom("tree/a", size: 1000)
        try scratch.writeRandom("tree/z", size: 70_000)
        let fifo = try scratch.makeFIFO("tree/m-fifo")
        // No writer ever opens the FIFO: an open for reading without O_NONBLOCK would hang, and the
        // 20 s deadline kills the child and fails the test.
        for device in TestBackendKind.opencl.isAvailable ? ["cpu", "opencl"] : ["cpu"] {
            for read in ["pread", "mmap", "auto"] {
                let outcome = try Subprocess.sluice(["run", "--device", device, "--read", read, directory.description],
                                                    timeout: 20)
                XCTAssertEqual(outcome.status, 0, "\(device) \(read): a skipped FIFO is not a failure: \(outcome.stderrText)")
                XCTAssertEqual(outcome.stdoutLines.count, 2, "\(device) \(read)")
                XCTAssertFalse(outcome.stdoutText.contains("m-fifo"), "\(device) \(read)")
                XCTAssertTrue(outcome.stderrText.contains("\(fifo.description): skipped"), outcome.stderrText)
            }
        }
        // Named explicitly it is a stream, read like b3sum reads it (CLIDropInTests).
    }

    func testUnreadableFileGetsAnErrorLineOthersAreHashedExitOne() throws {
        let (setpriv, asNobody) = try Subprocess.asNobody()
        let scratch = try ScratchDirectory()
        // mkdtemp makes 0700: nobody must traverse the root, read everything but one file.
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        let directory = try scratch.makeDirectory("tree")
        XCTAssertEqual(chmod(directory.description, 0o755), 0)
        var readable: [String] = []
        for (name, size) in [("a", 0), ("b", 1025), ("d", 300_000), ("e", 1 << 20)] {
            readable.append(try scratch.writeRandom("tree/\(name)", size: size).description)
        }
        let locked = try scratch.writeRandom("tree/c-locked", size: 5000)
        XCTAssertEqual(chmod(locked.description, 0), 0)
        let expected = ChecksumLines.sortedLines(try Subprocess.b3sum(readable).stdout)

        for read in ["pread", "mmap"] {
            let outcome = try Subprocess.run(setpriv, asNobody + [
                                                       "run", "--progress", "--device", "cpu", "--read", read, directory.description],
                                             environment: ["HOME": scratch.root.description], timeout: 30)
            XCTAssertEqual(outcome.status, 1, "\(read): \(outcome.stderrText)")
            XCTAssertEqual(ChecksumLines.sortedLines(outcome.stdout), expected, "\(read): the readable files are hashed")
            let errorLines = outcome.stderrText.split(separator: "\n").filter { $0.contains(locked.description) }
            XCTAssertEqual(errorLines.count, 1, "\(read): one error line names the file: \(outcome.stderrText)")
            XCTAssertTrue(errorLines.first?.contains("Permission denied") == true, "\(read): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stderrText.contains("1 failed"), "\(read): \(outcome.stderrText)")

            let json = try Subprocess.run(setpriv, asNobody + [
                                                    "run", "-q", "--device", "cpu", "--read", read, "--format", "jsonl",
                                                    directory.description],
                                          environment: ["HOME": scratch.root.description], timeout: 30)
            XCTAssertEqual(json.status, 1)
            let objects = try json.stdoutLines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
            XCTAssertEqual(objects.count, readable.count + 1)
            let failed = try XCTUnwrap(objects.first { $0["path"] as? String == locked.description })
            XCTAssertEqual(failed["status"] as? String, "error")
            XCTAssertNil(failed["digest"])
            XCTAssertTrue((failed["error"] as? String)?.contains("Permission denied") == true, "\(failed)")
        }
    }

    func testUnreadableDirectoryIsNamedAndSiblingsAreStillWalked() throws {
        let (setpriv, asNobody) = try Subprocess.asNobody()
        let scratch = try ScratchDirectory()
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        let directory = try scratch.makeDirectory("tree")
        try scratch.writeRandom("tree/a/one", size: 10)
        try scratch.writeRandom("tree/b-closed/hidden", size: 10)
        try scratch.writeRandom("tree/c/two", size: 10)
        for sub in ["", "/a", "/b-closed", "/c"] { XCTAssertEqual(chmod(directory.description + sub, 0o755), 0) }
        XCTAssertEqual(chmod(directory.description + "/b-closed", 0o700), 0)
        let outcome = try Subprocess.run(setpriv, asNobody + [
                                                   "run", "--device", "cpu", directory.description],
                                         environment: ["HOME": scratch.root.description], timeout: 30)
        XCTAssertEqual(outcome.status, 1, outcome.stderrText)
        XCTAssertEqual(outcome.stdoutLines.count, 2, outcome.stdoutText)
        XCTAssertTrue(outcome.stderrText.contains(directory.description + "/b-closed"), outcome.stderrText)
    }
}
