import Foundation

/// A blocking FIFO between pipeline stages, bounded so a fast producer waits for a slow
/// consumer (back-pressure) instead of growing memory.
///
/// Producers and consumers are plain threads (blocking I/O and compute never run on Swift
/// concurrency's cooperative pool). `close()` lets consumers drain what is queued and then
/// receive `nil`.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Queued items from `head` on; taken slots are cleared at once, so a consumed item (a batch,
    /// a group of results) is freed when taken, not when the array is next compacted. (Kept, up
    /// to 1024 taken groups of results and batches held 60 MiB on 200 000 small files.)
    private var items: [Element?] = []
    private var head = 0
    private var closed = false
    /// Queued items at which a push wakes the consumers: 1, except while a single consumer
    /// waits in `pop(gathering:latency:)`.
    private var wakeAt = 1
    /// Most items held at once; `Int.max` for an unbounded queue.
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Appends `item`, waiting while the queue is full. Returns false if the queue was closed.
    @discardableResult
    public func push(_ item: Element) -> Bool {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        guard !closed else {
            condition.unlock()
            return false
        }
        items.append(item)
        // Consumers wait only on an empty queue: wake them only when it stops being empty.
        // (Waking on every push cost the assembler a futex call per file: ~10% of a tiny-file
        // run's CPU time.)
        let wake = items.count - head == wakeAt
        condition.unlock()
        if wake { condition.broadcast() }
        return true
    }

    /// Like `pop()`, for the one consumer of a queue that may let items wait a little: while
    /// fewer than `count` are queued it sleeps until `latency` seconds have passed, so producers
    /// wake it once per `count` items or per `latency` instead of once per item. On 8000 files
    /// the writer had woken for each group of results, about 1200 times, and its context
    /// switches were a third of its CPU time. Not for a queue with several consumers.
    public func pop(gathering count: Int, latency: Double) -> Element? {
        condition.lock()
        if items.count - head < count && !closed {
            wakeAt = max(1, count)
            let deadline = Date(timeIntervalSinceNow: latency)
            while items.count - head < count && !closed {
                if !condition.wait(until: deadline) { break }
            }
            wakeAt = 1
            // Nothing came within `latency`: wait for the first item like `pop()`, woken by its
            // push, so an idle pipeline (a slow disk, a pipe) costs no wake-ups.
            while items.count == head && !closed { condition.wait() }
        }
        return takeAndUnlock()
    }

    /// For the one consumer of a queue that may let items wait a little: hands `body` every
    /// item until the queue is closed and drained, waking as `pop(gathering:latency:)` does and
    /// taking what is queued then without waiting; `caughtUp` runs whenever the queue is empty,
    /// before the next wait (and once at the end).
    public func consume(gathering count: Int, latency: Double, caughtUp: () -> Void, _ body: (Element) -> Void) {
        var next = pop(gathering: count, latency: latency)
        while let item = next {
            body(item)
            next = tryPop()
            if next == nil {
                caughtUp()
                next = pop(gathering: count, latency: latency)
            }
        }
    }

    /// Removes the oldest item, waiting while the queue is empty; nil once closed and drained.
    public func pop() -> Element? {
        condition.lock()
        while items.count == head && !closed { condition.wait() }
        return takeAndUnlock()
    }

    /// Removes the oldest item if there is one, without waiting.
    public func tryPop() -> Element? {
        condition.lock()
        return takeAndUnlock()
    }

    /// Takes the oldest item (if any) and unlocks. Waiters are woken after the unlock: woken
    /// under the lock, each went straight back to sleep on the mutex, and the unlock woke it
    /// again (two more futex calls per wake-up; a third of a std8k run's 8 800, `perf trace`).
    private func takeAndUnlock() -> Element? {
        guard head < items.count else {
            condition.unlock()
            return nil
        }
        let wasFull = items.count - head >= capacity
        let item = items[head].take()!
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.unlock()
        // Producers wait only on a full queue: wake them only when it stops being full.
        if wasFull { condition.broadcast() }
        return item
    }

    /// Whether the queue is closed and empty: no item will ever come out again.
    public var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && items.count == head
    }

    /// Ends the stream: pending pops return what is left, then nil; pushes are refused.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
