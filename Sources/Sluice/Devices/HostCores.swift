import Foundation

/// The cores this process may use, read once.
///
/// `ProcessInfo.activeProcessorCount` reads the cgroup's CPU quota files (`cpu.max`) at every
/// call; the defaults of a run asked it four times, 0.6 ms of a 15 ms start on the 2-core AMD
/// EPYC (`perf`, `sluice run` of an empty folder). The count is taken once per process.
public enum HostCores {
    /// `ProcessInfo.activeProcessorCount` at the first use.
    public static let active = ProcessInfo.processInfo.activeProcessorCount
}
