import Foundation

/// A flag that stops readers from taking new files; in-flight files are finished and written.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private let external: (() -> Bool)?

    /// - Parameter external: also consulted (e.g. a flag set by a signal handler).
    public init(external: (() -> Bool)? = nil) { self.external = external }

    /// A cancellation that never fires.
    public static var never: Cancellation { Cancellation() }

    /// Whether the run should stop taking work.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled || (external?() ?? false)
    }

    /// Stops the run.
    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
