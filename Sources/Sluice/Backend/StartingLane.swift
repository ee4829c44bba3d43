import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A compute lane whose backend is still being set up on a thread of its own: OpenCL platform
/// discovery, context and program build cost 0.05 s (PoCL, cached) to 0.4 s (a GPU driver) per
/// process, and seconds when a program is first compiled. Started before the walk, it overlaps
/// the listing and the first reads; the pipeline runs its other lanes meanwhile and this one
/// joins when ready. A run that ends first neither waits for it nor fails.
///
/// Trap: the start waits for `begin()`, which the pipeline calls once its stage threads exist.
/// glibc's `pthread_create` takes the dynamic loader's lock, which `dlopen` holds while it maps
/// and relocates a library and runs its constructors; the OpenCL loader `dlopen`s the vendor's
/// library (PoCL brings LLVM) on its first call, and every thread created meanwhile waited for
/// it: on the 2-core AMD EPYC the run's threads waited 48–54 ms (`strace -f`: the main thread in
/// `futex` between two `clone3`), and one 4 KiB file beside a PoCL lane took 68 ms against 30
/// for the CPU lane alone (docs/devices.md).
public final class StartingLane: @unchecked Sendable {
    /// What the lane will run on, for messages ("OpenCL GPUs", an OpenCL device's name).
    public let name: String
    private let condition = NSCondition()
    private var finished = false
    private var begun = false
    private var backends: [ComputeBackend] = []
    private var warnings: [String] = []
    private var warningsTaken = false
    private let started = StageClock.now()
    private var readyAfter: Double?

    /// Makes the thread for `start` now; `start` runs on it once `begin()` (or a `wait()`) is
    /// called. It returns the backends to add (none: nothing was found) and warnings to print
    /// once (e.g. a device whose program failed to build).
    public init(name: String, start: @escaping @Sendable () -> (backends: [ComputeBackend], warnings: [String])) {
        self.name = name
        StartingLane.counter.lock()
        StartingLane.running += 1
        StartingLane.counter.unlock()
        let thread = Thread { [self] in
            Thread.current.name = "sluice-devstart"
            condition.lock()
            while !begun { condition.wait() }
            condition.unlock()
            let outcome = start()
            StartingLane.counter.lock()
            StartingLane.running -= 1
            StartingLane.counter.unlock()
            condition.lock()
            backends = outcome.backends
            warnings = outcome.warnings
            readyAfter = Double(StageClock.now() - started) / 1e9
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "sluice-devstart"
        // A device start may sit inside a driver for seconds; the process never waits for it
        // at exit, so it is not a joined stage thread.
        thread.start()
    }

    private static let counter = NSLock()
    nonisolated(unsafe) private static var running = 0

    /// Whether any lane of the process is still starting (then the process must leave with
    /// `_exit`: see the CLI's `finish`).
    public static var anyRunning: Bool {
        counter.lock()
        defer { counter.unlock() }
        return running > 0
    }

    /// Lets the start run (again: nothing). The pipeline calls it once it has created its
    /// threads; until then the start only waits.
    public func begin() {
        condition.lock()
        begun = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the start has finished.
    public var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    /// Lets the start run (`begin()`) and waits for it to finish; returns the backends and warnings.
    public func wait() -> (backends: [ComputeBackend], warnings: [String]) {
        begin()
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
        return (backends, warnings)
    }

    /// Waits for the start to finish, checking `giveUp` every `poll` seconds; nil when
    /// `giveUp` said yes first. It does not `begin()` the start: the pipeline does.
    public func wait(poll: Double, giveUp: () -> Bool) -> (backends: [ComputeBackend], warnings: [String])? {
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            if giveUp() { return nil }
            _ = condition.wait(until: Date(timeIntervalSinceNow: poll))
        }
        return (backends, warnings)
    }

    /// The start's warnings the first time they are asked for once it finished (then empty):
    /// the pipeline prints them when the lane joins, the command after the run if it never did.
    public func takeWarnings() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        guard finished, !warningsTaken else { return [] }
        warningsTaken = true
        return warnings
    }

    /// Seconds from `init` until the start finished (nil while it runs).
    public var startSeconds: Double? {
        condition.lock()
        defer { condition.unlock() }
        return readyAfter
    }
}
