#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var interruptCount: sig_atomic_t = 0

/// SIGINT/SIGTERM handling for `sluice run`: the first signal stops readers from taking new
/// files (in-flight files are finished and written, then the run exits 130); a second one
/// ends the process at once.
struct InterruptFlag {
    /// Installs the handlers (idempotent).
    static func install() -> InterruptFlag {
        let handler: @convention(c) (Int32) -> Void = { signo in
            interruptCount += 1
            if interruptCount > 1 {
                signal(signo, SIG_DFL)
                raise(signo)
            }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        return InterruptFlag()
    }

    /// Whether a signal arrived.
    var isSet: Bool { interruptCount > 0 }
}
