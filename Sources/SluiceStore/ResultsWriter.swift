import Foundation
import GRDB
import Sluice

/// Writes a run's results into the store in batches, on a thread of its own, so that the run's
/// writer hands a result over and goes on.
///
/// A batch is committed when `batchRows` results are waiting or the oldest waiting one is
/// `batchSeconds` old, and at `close()`. Each batch is one transaction, so a crash (kill -9)
/// leaves every result either committed whole or absent; a file whose result is absent is
/// computed again by `--resume`. Each result replaces the row of the same path and kernel
/// fingerprint, so a file has one row however many runs wrote it.
public final class ResultsWriter: @unchecked Sendable {
    private let store: ResultsStore
    private let run: Int64
    private let kernel: String
    private let fingerprint: String
    private let batchRows: Int
    private let batchSeconds: Double
    private let condition = NSCondition()
    private var waiting: [FileResult] = []
    /// When the oldest of `waiting` arrived.
    private var oldest: Double = 0
    private var closed = false
    private var failure: StoreError?
    private let finished = DispatchSemaphore(value: 0)
    /// Results committed so far, and how many of them had an output.
    private(set) public var committed = RunCounts()

    /// Rows per batch and its longest wait, by default: 1024 and 1 s (docs/results.md has the
    /// measurement).
    public init(store: ResultsStore, run: Int64, fingerprint: KernelFingerprint, batchRows: Int = 1024,
                batchSeconds: Double = 1) {
        self.store = store
        self.run = run
        kernel = fingerprint.kernel
        self.fingerprint = fingerprint.text
        self.batchRows = batchRows
        self.batchSeconds = batchSeconds
        // The thread holds the writer until `close()` ends its loop.
        let thread = Thread { [self] in
            Thread.current.name = "sluice-store"
            self.loop()
            self.finished.signal()
        }
        thread.name = "sluice-store"
        thread.start()
    }

    /// Queues `result` for the next batch.
    /// - Throws: the `StoreError` of a batch that failed (the run then stops: exit 3).
    public func add(_ result: FileResult) throws {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        if waiting.isEmpty { oldest = Self.now() }
        waiting.append(result)
        if waiting.count == batchRows { condition.broadcast() }
    }

    /// Commits what is waiting and stops the thread (once; later calls only report).
    /// - Throws: the `StoreError` of any batch that failed.
    public func close() throws {
        condition.lock()
        let running = !closed
        closed = true
        condition.broadcast()
        condition.unlock()
        if running { finished.wait() }
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
    }

    private func loop() {
        while let batch = nextBatch() {
            do {
                let counts = try commit(batch)
                condition.lock()
                committed.computed += counts.computed
                committed.failed += counts.failed
                condition.unlock()
            } catch {
                condition.lock()
                failure = error as? StoreError ?? StoreError(label: store.label, error)
                waiting.removeAll()
                condition.unlock()
                return
            }
        }
    }

    /// The next batch, once it is due; nil once closed with nothing left.
    private func nextBatch() -> [FileResult]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if closed || waiting.count >= batchRows {
                if waiting.isEmpty { return nil }
                break
            }
            if waiting.isEmpty {
                condition.wait()
            } else {
                let due = oldest + batchSeconds
                if Self.now() >= due { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: due - Self.now()))
            }
        }
        let batch = waiting
        waiting.removeAll(keepingCapacity: true)
        return batch
    }

    /// One transaction: every result of `batch` replaces its row.
    private func commit(_ batch: [FileResult]) throws -> RunCounts {
        try store.write { db in
            let insert = try ResultRowInsert(db, run: run, kernel: kernel, fingerprint: fingerprint)
            var counts = RunCounts()
            for result in batch {
                try insert.insert(result)
                if result.problem == nil { counts.computed += 1 } else { counts.failed += 1 }
            }
            return counts
        }
    }

    /// Inserts a row, or replaces the one of the same path and fingerprint.
    static let upsert: String = {
        let columns = StoredResult.columns
        let updates = columns.dropFirst(2).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return "INSERT INTO results (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) "
            + "ON CONFLICT (path, fingerprint) DO UPDATE SET \(updates)"
    }()

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
