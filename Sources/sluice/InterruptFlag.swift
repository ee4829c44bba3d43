#if canImport(Glibc)
import Glibc
#endif
import Sluice

nonisolated(unsafe) private var interruptCount: sig_atomic_t = 0
/// A file to remove if the process ends from a signal handler (`-o`'s new file), as a C string;
/// nil when there is none. Read by the handlers, which may only make async-signal-safe calls.
nonisolated(unsafe) private var abandonedFile: UnsafeMutablePointer<CChar>?

/// SIGINT/SIGTERM handling for `sluice run` and `sluice check`.
///
/// The first signal stops the run: readers stop taking files and stop inside the file they are
/// reading (that file gets no result), batches already computed are written, then the command
/// exits 130. It also arms a watchdog: if the run has not ended `graceSeconds` later (its
/// output is blocked by a reader that stalls, say), the process says so on stderr and exits 130
/// at once; only then can the last output line be incomplete. A second signal ends the
/// process at once, too.
struct InterruptFlag {
    /// Seconds the run has to wind down after the first signal.
    static let graceSeconds: UInt32 = 2

    /// Installs the handlers (idempotent).
    static func install() -> InterruptFlag {
        let watchdog: @convention(c) (Int32) -> Void = { _ in
            let message = "sluice: interrupted, and the run did not stop within 2 s (output blocked?): exiting now\n"
            _ = message.withCString { Glibc.write(2, $0, strlen($0)) }
            if let abandonedFile { unlink(abandonedFile) }
            _exit(130)
        }
        let handler: @convention(c) (Int32) -> Void = { _ in
            interruptCount += 1
            if interruptCount > 1 {
                if let abandonedFile { unlink(abandonedFile) }
                _exit(130)
            }
            alarm(InterruptFlag.graceSeconds)
        }
        install(watchdog, for: SIGALRM)
        install(handler, for: SIGINT)
        install(handler, for: SIGTERM)
        return InterruptFlag()
    }

    /// Installs `handler` for `signal`, with `SA_RESTART` (system calls of the other threads go on).
    /// The corresponding C function is `sigaction`.
    private static func install(_ handler: @convention(c) (Int32) -> Void, for signal: Int32) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }

    /// Whether a signal arrived.
    var isSet: Bool { interruptCount > 0 }

    /// Names the file an abrupt exit (the watchdog, a second signal) removes; nil forgets it.
    /// Set and cleared from the main thread, before and after the run.
    /// The copy of a path it replaces is not freed (a handler may be reading it right then).
    static func removeOnAbruptExit(_ path: RawPath?) {
        abandonedFile = path.map { path in
            let bytes = path.bytes.map { CChar(bitPattern: $0) } + [0]
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
            copy.initialize(from: bytes, count: bytes.count)
            return copy
        }
    }
}
