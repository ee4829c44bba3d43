import Foundation

/// What one compute lane did in a run, for the summary and `--stats-json`.
public struct LaneStatistics: Sendable, Codable {
    /// The lane's device ("cpu:avx2", "opencl:…").
    public var device: String
    /// Its worker threads.
    public var threads: Int
    /// Batches it computed.
    public var batches: Int
    /// Bytes it hashed.
    public var bytes: UInt64
    /// Time its workers were busy, summed over them.
    public var busySeconds: Double
    /// Its rate while busy: bytes over busy time per thread.
    public var gigabytesPerSecond: Double
    /// Seconds from the start of its setup to the moment it could take batches (0: ready when
    /// the run began).
    public var startSeconds: Double
    /// CPU time its worker threads used, summed over them (an OpenCL driver's own threads are
    /// not in it).
    public var cpuSeconds: Double? = nil
}

/// The lanes of a running pipeline and their clocks, as they join.
final class LaneRecords: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(backend: ComputeBackend, clock: StageClock, startSeconds: Double)] = []
    private var extraWarnings: [String] = []

    /// Registers a lane; returns the clock its workers record into.
    func add(_ backend: ComputeBackend, startSeconds: Double) -> StageClock {
        let clock = StageClock(name: "compute", threads: backend.workerCount)
        lock.lock()
        entries.append((backend, clock, startSeconds))
        lock.unlock()
        return clock
    }

    func addWarnings(_ warnings: [String]) {
        lock.lock()
        extraWarnings += warnings
        lock.unlock()
    }

    var warnings: [String] {
        lock.lock()
        defer { lock.unlock() }
        return extraWarnings
    }

    /// Every lane's totals, in the order they joined.
    var statistics: [LaneStatistics] {
        lock.lock()
        defer { lock.unlock() }
        return entries.map { entry in
            let snapshot = entry.clock.snapshot
            let perThread = snapshot.busySeconds / Double(max(1, snapshot.threads))
            return LaneStatistics(device: entry.backend.deviceName, threads: snapshot.threads, batches: snapshot.items,
                                  bytes: snapshot.bytes, busySeconds: snapshot.busySeconds,
                                  gigabytesPerSecond: perThread > 0 ? Double(snapshot.bytes) / perThread / 1e9 : 0,
                                  startSeconds: entry.startSeconds, cpuSeconds: snapshot.cpuSeconds)
        }
    }

    /// The compute stage as a whole: every lane's threads, busy time, batches and bytes.
    static func combined(_ lanes: [LaneStatistics]) -> StageStatistics {
        StageStatistics(name: "compute", threads: lanes.reduce(0) { $0 + $1.threads },
                        busySeconds: lanes.reduce(0) { $0 + $1.busySeconds }, items: lanes.reduce(0) { $0 + $1.batches },
                        bytes: lanes.reduce(0) { $0 + $1.bytes },
                        cpuSeconds: lanes.contains { $0.cpuSeconds != nil } ? lanes.reduce(0) { $0 + ($1.cpuSeconds ?? 0) } : nil)
    }
}

/// A run that found no lane to compute on.
public struct LaneSetupError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The process's CPU time.
enum ProcessTimes {
    /// User plus system seconds of every thread so far. The corresponding C function is `getrusage`.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
