import Foundation

/// Busy time, items and bytes of one pipeline stage, summed over its threads.
///
/// A thread measures only its working intervals (not the waits on queues), so busy time over
/// wall time × threads is the stage's utilisation, and the busiest stage bounds the run.
public final class StageClock: @unchecked Sendable {
    /// The stage's name in summaries.
    public let name: String
    /// Threads that ran the stage.
    public let threads: Int
    private let lock = NSLock()
    private var busyNanoseconds: UInt64 = 0
    private var itemCount = 0
    private var byteCount: UInt64 = 0
    private var cpuTotal: Double = 0
    private var cpuMeasured = false

    public init(name: String, threads: Int) {
        self.name = name
        self.threads = threads
    }

    /// Adds one working interval.
    public func record(since start: UInt64, items: Int = 0, bytes: UInt64 = 0) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        lock.lock()
        busyNanoseconds &+= elapsed
        itemCount += items
        byteCount &+= bytes
        lock.unlock()
    }

    /// Adds the CPU time one of the stage's threads used (`ThreadCPUTime`), when it ends.
    public func addCPU(seconds: Double) {
        lock.lock()
        cpuTotal += seconds
        cpuMeasured = true
        lock.unlock()
    }

    /// A snapshot of the totals.
    public var snapshot: StageStatistics {
        lock.lock()
        defer { lock.unlock() }
        return StageStatistics(name: name, threads: threads, busySeconds: Double(busyNanoseconds) / 1e9,
                               items: itemCount, bytes: byteCount, cpuSeconds: cpuMeasured ? cpuTotal : nil)
    }

    /// Now, for `record(since:)`.
    @inline(__always)
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// Totals of one stage at the end of a run.
public struct StageStatistics: Sendable, Codable {
    public var name: String
    public var threads: Int
    public var busySeconds: Double
    public var items: Int
    public var bytes: UInt64
    /// CPU time (user plus system) its threads used, summed over them; `nil` where the stage's
    /// threads do not measure it.
    public var cpuSeconds: Double? = nil
    /// Bytes per thread, in thread order, where the stage counts them (the readers do).
    public var bytesPerThread: [UInt64]?
}
