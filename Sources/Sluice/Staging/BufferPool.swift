import Foundation

/// The fixed set of staging buffers of a run: its memory bound.
///
/// Buffers are created on first demand up to `count`, then recycled; a reader that finds none
/// free waits (back-pressure) until a backend gives one back.
public final class BufferPool: @unchecked Sendable {
    /// Bytes per buffer.
    public let bufferCapacity: Int
    /// Most buffers that will ever exist.
    public let count: Int
    private let free: BoundedQueue<StagingBuffer>
    private let make: () -> StagingBuffer
    private let lock = NSLock()
    private var created = 0

    /// - Parameters:
    ///   - make: creates one buffer of `bufferCapacity` bytes (ordinary or pinned memory).
    public init(count: Int, bufferCapacity: Int, make: @escaping () -> StagingBuffer) {
        precondition(count > 0)
        self.count = count
        self.bufferCapacity = bufferCapacity
        self.make = make
        free = BoundedQueue(capacity: count)
    }

    /// A cleared buffer, waiting for one to come back if all `count` are in use.
    public func take() -> StagingBuffer {
        if let buffer = free.tryPop() { return buffer }
        lock.lock()
        if created < count {
            created += 1
            lock.unlock()
            return make()
        }
        lock.unlock()
        return free.pop()!
    }

    /// Returns a buffer for reuse.
    public func recycle(_ buffer: StagingBuffer) {
        buffer.reset()
        free.push(buffer)
    }

    /// Buffers created so far (the high-water mark of staging memory is this × capacity).
    public var createdCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return created
    }
}
