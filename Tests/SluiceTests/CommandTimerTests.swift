import Foundation
import XCTest
@testable import Sluice

/// `sluice bench`'s timer: wall time, CPU time of the command and the processes it waited for,
/// and the exit status.
final class CommandTimerTests: XCTestCase {
    /// A shell loop that keeps one core busy for a while (about 0.2 s or more).
    private let busy = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"

    func testCPUTimeCountsTheCommandAndWhatItWaitedForButNotSleep() throws {
        let sleeping = try CommandTimer.run("sleep 0.3")
        XCTAssertGreaterThanOrEqual(sleeping.seconds, 0.3)
        XCTAssertLessThan(sleeping.cpuSeconds, 0.1, "sleeping costs no CPU")
        XCTAssertEqual(sleeping.exitCode, 0)

        let working = try CommandTimer.run("sh -c \(shellQuoted(busy))")
        XCTAssertGreaterThan(working.cpuSeconds, 0.1, "the loop ran in a child of the shell")
        XCTAssertLessThanOrEqual(working.cpuSeconds, working.seconds * Double(ProcessInfo.processInfo.activeProcessorCount) + 0.05)

        // Two loops at once in grandchildren: both counted.
        let both = try CommandTimer.run("sh -c \(shellQuoted("(\(busy)) & (\(busy)) & wait"))")
        XCTAssertGreaterThan(both.cpuSeconds, 1.2 * working.cpuSeconds, "\(both.cpuSeconds) against \(working.cpuSeconds)")

        XCTAssertEqual(try CommandTimer.run("sh -c 'exit 3'").exitCode, 3)
    }

    private func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
