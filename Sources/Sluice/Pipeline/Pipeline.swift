import Foundation

/// Runs one batch of files through the stages of docs/architecture.md: reader threads fill staging
/// buffers, backend workers compute partials, the assembler finalizes files, the writer emits
/// results. Queues between stages are bounded; the buffer pool bounds memory.
public final class Pipeline {
    private let catalog: Catalog
    private let backend: ComputeBackend
    private let configuration: RunConfiguration
    private let sink: ResultSink
    private let cancellation: Cancellation

    public init(catalog: Catalog, backend: ComputeBackend, configuration: RunConfiguration, sink: ResultSink,
                cancellation: Cancellation = .never) {
        self.catalog = catalog
        self.backend = backend
        self.configuration = configuration
        self.sink = sink
        self.cancellation = cancellation
    }

    /// Processes every file of the catalog. Throws only when results cannot be written or the
    /// backend fails as a whole; per-file problems are results.
    public func run() throws -> RunSummary {
        let started = StageClock.now()
        var summary = RunSummary()
        summary.device = backend.deviceName

        // Problems found while listing come first (they are known before any read).
        for problem in catalog.problems {
            try sink.write(FileResult(index: -1, path: problem.path, size: 0, digest: nil, problem: problem))
            count(problem, in: &summary)
        }

        let jobs = catalog.jobs
        let bufferBytes = Self.roundedBatchBytes(configuration.batchBytes ?? backend.preferredBatchBytes)
        // Ranges of one large file go to several readers, so a run has as many readers as tasks.
        let tasks = jobs.reduce(0) { $0 + max(1, Int(($1.size + UInt64(bufferBytes) - 1) / UInt64(bufferBytes))) }
        let readers = max(1, min(configuration.readers, tasks))
        let workers = backend.workerCount
        // At least one buffer per reader and worker plus one in each queue, so every stage can be busy.
        let bufferCount = max(readers + workers + 1, configuration.memoryBytes / bufferBytes)
        let pool = BufferPool(count: bufferCount, bufferCapacity: bufferBytes) { [backend] in
            backend.makeStagingBuffer(capacity: bufferBytes)
        }
        let batches = BoundedQueue<StagingBuffer>(capacity: max(1, bufferCount - readers))
        // Bounded like every queue: a full one makes the readers (events) and workers (batches)
        // wait for the assembler. No cycle: the assembler holds no staging buffer.
        let assemblerInput = BoundedQueue<AssemblerInput>(capacity: Self.assemblerQueueCapacity)
        // At most 4096 results, and at most 64 MiB of digests (long --length outputs).
        let results = BoundedQueue<FileResult>(capacity: max(16, min(4096, (64 << 20) / max(1, configuration.mode.outputLength))))
        let readerStage = ReaderStage(jobs: jobs, pool: pool, strategy: configuration.readStrategy, threads: readers,
                                      rangeBytes: bufferBytes)
        let computeClock = StageClock(name: "compute", threads: workers)
        let writeClock = StageClock(name: "write", threads: 1)
        let progress = ProgressReporter(totalFiles: jobs.count, totalBytes: catalog.totalBytes,
                                        enabled: configuration.progress)
        let assembler = Assembler(jobs: jobs, mode: configuration.mode) { results.push($0) }
        let cancellation = cancellation

        let failure = FirstError()
        var threads: [StageThread] = []

        // Read. The last reader to finish closes the compute stage's queue.
        let readersDone = StageCountdown(readers) { batches.close() }
        for index in 0..<readers {
            threads.append(StageThread(name: "sluice-read-\(index)") {
                readerStage.runReader(index: index, batches: batches, events: { assemblerInput.push(.event($0)) },
                                  isCancelled: { cancellation.isCancelled })
                readersDone.finished()
            })
        }

        // Compute. The last worker to finish closes the assembler's queue.
        let workersDone = StageCountdown(workers) { assemblerInput.close() }
        for index in 0..<workers {
            threads.append(StageThread(name: "sluice-compute-\(index)") { [backend, mode = configuration.mode] in
                do {
                    try backend.runWorker(index: index, mode: mode, batches: batches,
                                          deliver: { assemblerInput.push(.batch($0)) },
                                          recycle: { pool.recycle($0) }, clock: computeClock)
                } catch {
                    failure.set(error)
                    cancellation.cancel()
                    // Keep draining so readers never wait forever on a full queue.
                    while let batch = batches.pop() { pool.recycle(batch) }
                }
                workersDone.finished()
            })
        }

        // Assemble.
        threads.append(StageThread(name: "sluice-assemble") {
            while let input = assemblerInput.pop() {
                switch input {
                case .batch(let batch): assembler.accept(batch)
                case .event(let event): assembler.accept(event)
                }
            }
            results.close()
        })

        // Write (this thread).
        var reorder = ReorderBuffer(enabled: configuration.ordered, jobs: jobs)
        while let result = results.pop() {
            let writeStarted = StageClock.now()
            count(result, in: &summary)
            progress.advance(files: 1, bytes: result.digest == nil ? 0 : result.size)
            do {
                for ready in reorder.accept(result) { try sink.write(ready) }
            } catch {
                failure.set(error)
                cancellation.cancel()
            }
            writeClock.record(since: writeStarted, items: 1)
        }
        for thread in threads { thread.join() }
        progress.finish()
        try sink.finish()
        if let error = failure.error { throw error }

        summary.wallSeconds = Double(StageClock.now() - started) / 1e9
        var readStatistics = readerStage.clock.snapshot
        readStatistics.bytesPerThread = readerStage.bytesPerThread
        summary.stages = [readStatistics, computeClock.snapshot, assembler.clock.snapshot, writeClock.snapshot]
        summary.stagingBuffers = pool.createdCount
        summary.stagingBufferBytes = bufferBytes
        return summary
    }

    private func count(_ result: FileResult, in summary: inout RunSummary) {
        if result.digest != nil {
            summary.filesHashed += 1
            summary.bytes += result.size
        } else if let problem = result.problem {
            count(problem, in: &summary)
        }
    }

    private func count(_ problem: FileProblem, in summary: inout RunSummary) {
        if problem.isFailure { summary.filesFailed += 1 } else { summary.filesSkipped += 1 }
    }

    /// Items the assembler's input queue holds (file events and computed batches).
    static let assemblerQueueCapacity = 8192

    /// `bytes` rounded up to whole BLAKE3 subtrees (at least one).
    public static func roundedBatchBytes(_ bytes: Int) -> Int {
        let unit = BLAKE3Layout.maxSubtreeBytes
        return max(unit, (bytes + unit - 1) / unit * unit)
    }
}

/// What the assembler thread receives.
enum AssemblerInput {
    case batch(ComputedBatch)
    case event(FileEvent)
}

/// Holds results back until every earlier file (in given order) is out, for `--ordered`.
struct ReorderBuffer {
    private let enabled: Bool
    private var next = 0
    private var waiting: [Int: FileResult] = [:]
    private let order: [Int]

    init(enabled: Bool, jobs: [FileJob]) {
        self.enabled = enabled
        order = enabled ? jobs.map(\.index).sorted() : []
    }

    mutating func accept(_ result: FileResult) -> [FileResult] {
        guard enabled else { return [result] }
        waiting[result.index] = result
        var ready: [FileResult] = []
        while next < order.count, let result = waiting.removeValue(forKey: order[next]) {
            ready.append(result)
            next += 1
        }
        return ready
    }
}

/// The first error raised by any thread.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?

    func set(_ error: Error) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }
}
