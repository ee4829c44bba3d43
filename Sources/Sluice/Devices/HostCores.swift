import Foundation

/// The cores this process may use, read once.
///
/// `ProcessInfo.activeProcessorCount` reads the cgroup's CPU quota files (`cpu.max`) at every
/// call; the defaults of a run asked it four times, 19% of `Run.run`'s samples in `perf` of
/// `sluice run` of an empty folder (2-core AMD EPYC; 9 → 3 opens of those files once cached).
public enum HostCores {
    /// `ProcessInfo.activeProcessorCount` at the first use.
    public static let active = ProcessInfo.processInfo.activeProcessorCount
}
