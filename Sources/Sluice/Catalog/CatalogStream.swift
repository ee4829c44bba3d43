import Foundation

/// The files of a run as the walk finds them: readers take jobs while the walk goes on, so the
/// first reads overlap the listing instead of waiting for it (on 20 000 files of 4 KiB the walk
/// was 13–15% of the run's CPU time, all of it before the first read).
///
/// Append-only: a job's position in the stream never changes. `FileJob.index` is its given
/// position: equal to the stream position for a walk streamed in given order, a permutation of
/// the positions for a stream built from a `Catalog` sorted by size or path (which needs the
/// whole list, so that stream is complete from the start). Either way the indices are exactly
/// 0..<count, which is what puts results back in given order.
public final class CatalogStream: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs = JobList()
    private var problems: [FileProblem] = []
    private var problemsTaken = 0
    private var closed = false
    private var bytes: UInt64 = 0
    private let shard: Shard?
    private let keep: CatalogFilter?
    private var seconds: Double = 0
    private var cpuSeconds: Double = 0
    private var helpersCPUSeconds: Double = 0

    /// An open stream that `append` fills and `close` ends; `shard` keeps only that shard, and
    /// `keep` (called on the walk's thread, after the shard) only the jobs it returns true for.
    public init(shard: Shard? = nil, keep: CatalogFilter? = nil) {
        self.shard = shard
        self.keep = keep
    }

    /// A complete stream holding `catalog`'s jobs in its order (their indices are kept) and its problems.
    public init(catalog: Catalog, listingSeconds: Double = 0) {
        shard = nil
        keep = nil
        // Their indices stay the given positions (a permutation of 0..<n), so `--ordered` still
        // restores the given order after a size- or path-ordered run.
        jobs = JobList(catalog.jobs)
        problems = catalog.problems
        bytes = catalog.totalBytes
        closed = true
        seconds = listingSeconds
        cpuSeconds = catalog.listingCPUSeconds
        helpersCPUSeconds = catalog.listingHelpersCPUSeconds
    }

    /// The jobs of a complete stream, in order (for callers that map positions back).
    public var jobsSoFar: [FileJob] {
        condition.lock()
        defer { condition.unlock() }
        return jobs.all
    }

    /// Adds what the walk found next (in given order).
    func append(files: [FileJob], problems found: [FileProblem]) {
        condition.lock()
        defer { condition.unlock() }
        precondition(!closed, "append after close")
        for var job in files where (shard?.contains(job.path) ?? true) && (keep?(job) ?? true) {
            job.index = jobs.count
            bytes &+= job.size
            jobs.append(job)
        }
        problems += found.filter { shard?.contains($0.path) ?? true }
        condition.broadcast()
    }

    /// Ends the stream: the walk is over (it took `listingSeconds`, `cpuSeconds` of CPU time on
    /// the walk's thread and `helpersCPUSeconds` on the threads that read directories ahead of it).
    public func close(listingSeconds: Double, cpuSeconds: Double = 0, helpersCPUSeconds: Double = 0) {
        condition.lock()
        closed = true
        seconds = listingSeconds
        self.cpuSeconds = cpuSeconds
        self.helpersCPUSeconds = helpersCPUSeconds
        condition.broadcast()
        condition.unlock()
    }

    /// The job at `position`, waiting while the walk has not reached it (at most `timeout`
    /// seconds when one is given); nil once the stream is closed with fewer jobs, or when the
    /// time is up.
    public func waitForJob(at position: Int, timeout: Double? = nil) -> FileJob? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0) }
        while position >= jobs.count && !closed {
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        return position < jobs.count ? jobs[position] : nil
    }

    /// The job at `position` if the walk has listed it, without waiting.
    public func jobIfListed(at position: Int) -> FileJob? {
        condition.lock()
        defer { condition.unlock() }
        return position < jobs.count ? jobs[position] : nil
    }

    /// The job at `position`, which `waitForJob` has returned before.
    public func job(at position: Int) -> FileJob {
        condition.lock()
        defer { condition.unlock() }
        return jobs[position]
    }

    /// The next problem found while listing, waiting for the walk; nil once it is over and all
    /// were taken.
    public func nextProblem() -> FileProblem? {
        condition.lock()
        defer { condition.unlock() }
        while problemsTaken == problems.count && !closed { condition.wait() }
        guard problemsTaken < problems.count else { return nil }
        problemsTaken += 1
        return problems[problemsTaken - 1]
    }

    /// Jobs and their listed bytes so far; `complete` once the walk is over.
    public var snapshot: (count: Int, bytes: UInt64, complete: Bool) {
        condition.lock()
        defer { condition.unlock() }
        return (jobs.count, bytes, closed)
    }

    /// The CPU time the listing used on the walk's thread, and on its helpers (0 until it is over).
    public var listingCPUSeconds: (walk: Double, helpers: Double) {
        condition.lock()
        defer { condition.unlock() }
        return (cpuSeconds, helpersCPUSeconds)
    }

    /// How long the listing took (0 until it is over).
    public var listingSeconds: Double {
        condition.lock()
        defer { condition.unlock() }
        return seconds
    }
}
