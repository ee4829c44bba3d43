import Foundation

/// Runs a shell command and measures its wall time, its CPU time and its peak anonymous memory.
///
/// Peak anonymous RSS is sampled from `/proc/PID/status` (`RssAnon`) of the shell's direct
/// child every 5 ms: file-backed pages of mapped inputs are page cache, not the tool's memory.
/// CPU time is user plus system time of the command and every process it waited for
/// (`getrusage(RUSAGE_CHILDREN)` before and after): on a shared machine whose load changes, it
/// moves less than wall time. Commands are timed one at a time, so no other child ends between
/// the two readings.
public enum CommandTimer {
    /// One timed run.
    public struct Sample: Sendable, Codable {
        public var seconds: Double
        /// User plus system seconds of the command and its waited-for descendants.
        public var cpuSeconds: Double
        public var peakAnonymousBytes: UInt64
        public var exitCode: Int32
    }

    /// User plus system seconds of this process's waited-for children so far.
    static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_CHILDREN.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs `command` with `/bin/sh -c`, output discarded.
    public static func run(_ command: String) throws -> Sample {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec " + command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let cpuBefore = childrenCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        var peak: UInt64 = 0
        let pid = process.processIdentifier
        while process.isRunning {
            peak = max(peak, anonymousResidentBytes(pid: pid))
            usleep(5000)
        }
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Sample(seconds: seconds, cpuSeconds: max(0, childrenCPUSeconds() - cpuBefore), peakAnonymousBytes: peak,
                      exitCode: process.terminationStatus)
    }

    /// `RssAnon` of a process in bytes (0 if it is gone).
    static func anonymousResidentBytes(pid: Int32) -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            let number = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
            return number * 1024
        }
        return 0
    }
}
