import Foundation

/// The set of staging buffers of a run: its memory bound.
///
/// Buffers are created on first demand up to `limit`, then recycled; a reader that finds none
/// free waits (back-pressure) until a lane gives one back. A lane that joins late (an OpenCL
/// device still starting when the run began) may raise the limit by what it keeps in flight,
/// and may ask for buffers of its own kind (pinned memory): from then on, a recycled buffer of
/// the old kind is freed and replaced by a new one.
///
/// The pool also bounds batches that borrow their bytes (ranges of file mappings hashed in
/// place): a reader asks `waitToLend()` before it lends one, and recycling it ends the loan. Their
/// bytes are mapped file pages, resident while the batch is in flight; the bound keeps them few.
public final class BufferPool: @unchecked Sendable {
    /// Bytes per buffer.
    public let bufferCapacity: Int
    private let condition = NSCondition()
    private var free: [StagingBuffer] = []
    private var make: () -> StagingBuffer
    private var generation = 0
    private var created = 0
    private var limit: Int
    private var highWater = 0
    /// Guards `lent` (apart from `condition`, so that a wake-up for a buffer never goes to a lender).
    private let lending = NSCondition()
    private var lent = 0
    private let lendLimit: Int

    /// - Parameters:
    ///   - count: most buffers that exist at once (until `raiseLimit`).
    ///   - make: creates one buffer of `bufferCapacity` bytes (ordinary or pinned memory).
    ///   - lendLimit: most batches borrowing their bytes in flight at once.
    public init(count: Int, bufferCapacity: Int, lendLimit: Int = 8, make: @escaping () -> StagingBuffer) {
        precondition(count > 0 && lendLimit > 0)
        limit = count
        self.lendLimit = lendLimit
        self.bufferCapacity = bufferCapacity
        self.make = make
    }

    /// Most buffers that may exist now.
    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return limit
    }

    /// A cleared buffer, waiting for one to come back if all `count` are in use.
    public func take() -> StagingBuffer {
        condition.lock()
        while true {
            if let buffer = free.popLast() {
                condition.unlock()
                return buffer
            }
            if created < limit {
                created += 1
                highWater = max(highWater, created)
                let maker = make
                let kind = generation
                condition.unlock()
                let buffer = maker()
                buffer.generation = kind
                return buffer
            }
            condition.wait()
        }
    }

    /// Waits until one more batch may borrow its bytes, and counts it (until it is recycled).
    public func waitToLend() {
        lending.lock()
        while lent >= lendLimit { lending.wait() }
        lent += 1
        lending.unlock()
    }

    /// Ends a loan counted by `waitToLend()` (recycling a borrowing batch does this; a reader
    /// whose loan fell through calls it itself).
    public func endLoan() {
        lending.lock()
        lent -= 1
        lending.unlock()
        lending.signal()
    }

    /// Returns a buffer for reuse (or frees it if it is of a kind no longer wanted). A batch
    /// that borrows its bytes gives them back to its lender instead.
    public func recycle(_ buffer: StagingBuffer) {
        if let lender = buffer.lender {
            lender.giveBack()
            endLoan()
            return
        }
        buffer.reset()
        condition.lock()
        if buffer.generation == generation && created <= limit {
            free.append(buffer)
        } else {
            created -= 1
        }
        condition.unlock()
        // After the unlock, so that the woken reader does not wait on the mutex at once.
        condition.signal()
    }

    /// Lets `extra` more buffers exist (a lane that joined keeps them in flight).
    public func raiseLimit(by extra: Int) {
        condition.lock()
        limit += max(0, extra)
        condition.broadcast()
        condition.unlock()
    }

    /// Makes new buffers with `make` from now on; free buffers of the old kind are dropped at
    /// once, those in use when they come back.
    public func replaceMaker(_ make: @escaping () -> StagingBuffer) {
        condition.lock()
        self.make = make
        generation += 1
        created -= free.count
        free.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Most buffers that existed at once (the high-water mark of staging memory is this × capacity).
    public var createdCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return highWater
    }
}
