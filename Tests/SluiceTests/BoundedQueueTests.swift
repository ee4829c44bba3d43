import Foundation
import XCTest
@testable import Sluice

/// The queue between stages: it frees what it hands out, loses no item however its producers
/// and consumers meet, and its gathering pop (which the writer and the assembler wait in)
/// returns what is queued, in order, and is always woken by a push or a close, also after its
/// gathering time ran out on an empty queue (it then sleeps without a timer).
final class BoundedQueueTests: XCTestCase {
    private final class Payload {}

    func testATakenItemIsFreedAtOnceNotWhenTheQueueCompacts() {
        let queue = BoundedQueue<Payload>(capacity: 4)
        weak var released: Payload?
        do {
            let payload = Payload()
            released = payload
            queue.push(payload)
            queue.push(Payload())
        }
        XCTAssertNotNil(released, "queued, it is alive")
        _ = queue.pop()
        XCTAssertNil(released, "taken and dropped by the consumer, it is gone although the queue lives on")
        XCTAssertNotNil(queue.tryPop())
        XCTAssertNil(queue.tryPop())
    }

    func testWakeUpsOnlyAtTransitionsLoseNoItem() {
        // Several producers and consumers through a small queue: every item comes out once.
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var flags: [Int]
            init(_ count: Int) { flags = [Int](repeating: 0, count: count) }
            func mark(_ value: Int) { lock.lock(); flags[value] += 1; lock.unlock() }
        }
        let queue = BoundedQueue<Int>(capacity: 3)
        let total = 20_000
        let seen = Seen(total)
        let pushed = DispatchGroup()
        let popped = DispatchGroup()
        for _ in 0..<3 {
            popped.enter()
            Thread {
                while let value = queue.pop() { seen.mark(value) }
                popped.leave()
            }.start()
        }
        for start in 0..<3 {
            pushed.enter()
            Thread {
                for value in stride(from: start, to: total, by: 3) { queue.push(value) }
                pushed.leave()
            }.start()
        }
        XCTAssertEqual(pushed.wait(timeout: .now() + 30), .success)
        queue.close()
        XCTAssertEqual(popped.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(seen.flags.allSatisfy { $0 == 1 }, "every item exactly once")
    }


    /// Runs `pop` on another thread and returns its result, or fails if it has not returned
    /// within `seconds` after `meanwhile` ran.
    private func popOnAThread(_ queue: BoundedQueue<Int>, within seconds: Double = 10,
                              meanwhile: () -> Void) -> Int?? {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Int?>(nil)
        Thread {
            let popped = queue.pop(gathering: 4, latency: 0.01)
            result.update { $0 = popped }
            done.signal()
        }.start()
        meanwhile()
        guard done.wait(timeout: .now() + seconds) == .success else {
            XCTFail("the gathering pop never woke up")
            return nil
        }
        return .some(result.value)
    }

    func testQueuedItemsComeOutInOrderAtOnce() {
        let queue = BoundedQueue<Int>(capacity: 16)
        for item in 0 ..< 6 { queue.push(item) }
        XCTAssertEqual(queue.pop(gathering: 4, latency: 10), 0, "four or more queued: no wait")
        XCTAssertEqual(queue.tryPop(), 1)
        XCTAssertEqual(queue.pop(gathering: 8, latency: 0.01), 2, "fewer than asked: after the latency")
        XCTAssertEqual(queue.pop(), 3)
    }

    func testAPushLongAfterTheGatheringTimeWakesTheConsumer() {
        let queue = BoundedQueue<Int>(capacity: 16)
        let popped = popOnAThread(queue) {
            Thread.sleep(forTimeInterval: 0.3)   // 30 times the gathering latency
            queue.push(7)
        }
        XCTAssertEqual(popped, .some(7))
        // The queue wakes consumers at one item again: a plain pop after it is not held back.
        queue.push(8)
        XCTAssertEqual(queue.pop(), 8)
    }

    func testACloseWakesAGatheringConsumerWithNil() {
        let queue = BoundedQueue<Int>(capacity: 16)
        let popped = popOnAThread(queue) {
            Thread.sleep(forTimeInterval: 0.1)
            queue.close()
        }
        XCTAssertEqual(popped, .some(nil))
    }
}
