import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread running one stage loop.
///
/// Stage threads are joined before `Pipeline.run()` returns, so none of them (nor anything it
/// still releases) outlives the run: a process that exits while a detached thread tears down
/// can crash in its exit handlers.
final class StageThread {
    private var thread = pthread_t()

    /// Starts `body` on a new thread named `name` (for debuggers and `perf --sort comm`: at most
    /// 15 bytes, the kernel's limit, or the name is not set) with `stackBytes` of stack. When
    /// `body` returns, the thread's CPU time is added to `cpu`.
    init(name: String, cpu: StageClock? = nil, stackBytes: Int = 1 << 20, _ body: @escaping () -> Void) {
        final class Box {
            let name: String
            let cpu: StageClock?
            let body: () -> Void
            init(name: String, cpu: StageClock?, body: @escaping () -> Void) {
                self.name = name
                self.cpu = cpu
                self.body = body
            }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        let context = Unmanaged.passRetained(Box(name: name, cpu: cpu, body: body)).toOpaque()
        let status = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = box.name
            box.body()
            box.cpu?.addCPU(seconds: ThreadCPUTime.seconds())
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
    }

    /// Waits for the thread to end.
    func join() {
        pthread_join(thread, nil)
    }
}

/// Counts down the threads of a stage; the last one to finish runs the stage's closing action
/// (closing the queue the next stage reads from).
final class StageCountdown: @unchecked Sendable {
    private var remaining: Int
    private var lock = pthread_mutex_t()
    private let onZero: () -> Void

    init(_ count: Int, onZero: @escaping () -> Void) {
        remaining = count
        self.onZero = onZero
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// One thread is done.
    func finished() {
        pthread_mutex_lock(&lock)
        remaining -= 1
        let last = remaining == 0
        pthread_mutex_unlock(&lock)
        if last { onZero() }
    }
}
