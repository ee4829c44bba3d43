import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CPU time (user plus system) the calling thread has used so far, from
/// `CLOCK_THREAD_CPUTIME_ID`: what a stage's threads add to their `StageClock` when they end,
/// so the summary can say how much of the process's CPU time each stage took.
enum ThreadCPUTime {
    /// Seconds of CPU time used by this thread since it started.
    static func seconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
