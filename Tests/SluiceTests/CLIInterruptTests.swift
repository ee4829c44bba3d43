import Foundation
import XCTest
@testable import Sluice

/// SIGINT during a run: readers stop, even inside a large file; what was written is complete;
/// the exit status is 130.
final class CLIInterruptTests: XCTestCase {
    func testInterruptStopsInsideALargeFileAndExits130WithCompleteLines() throws {
        let scratch = try ScratchDirectory()
        for index in 0..<20 { _ = try scratch.writeRandom("small-\(index)", size: 3000 + index) }
        // A sparse 16 GiB file: far more than the run can hash before the signal.
        let big = scratch.path("big.sparse").description
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 16 << 30), 0)

        let output = scratch.path("out").description
        XCTAssertTrue(FileManager.default.createFile(atPath: output, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: output))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = try Subprocess.sluiceExecutable()
        // Path order: the small files first, so some results exist before the big file starts.
        process.arguments = ["run", "-q", "--device", "cpu", "--order", "path", "--ordered", "--readers", "1",
                             scratch.root.description]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // Wait until the big file is being read: output for the small files has appeared or time passed.
        Thread.sleep(forTimeInterval: 1.0)
        kill(process.processIdentifier, SIGINT)
        if finished.wait(timeout: .now() + 20) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            XCTFail("sluice did not stop within 20 s of SIGINT")
            return
        }
        XCTAssertEqual(process.terminationStatus, 130)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        for line in lines {
            XCTAssertNotNil(line.range(of: #"^[0-9a-f]{64}  /"#, options: .regularExpression), "torn line: \(line)")
        }
        XCTAssertFalse(lines.contains { $0.hasSuffix("big.sparse") }, "the interrupted file has no digest")
    }
}
