import Foundation

/// One compute lane of a run: a backend ready now, or one still starting on its own thread.
public enum PipelineLane: Sendable {
    case ready(ComputeBackend)
    case starting(StartingLane)
}

/// Runs one batch of files through the stages of docs/architecture.md: reader threads fill staging
/// buffers, the workers of every compute lane take batches from one shared queue and compute
/// partials, the assembler finalizes files, the writer emits results. Queues between stages are
/// bounded; the buffer pool bounds memory.
public final class Pipeline {
    private let stream: CatalogStream
    private let lanes: [PipelineLane]
    private let configuration: RunConfiguration
    private let sink: ResultSink
    private let cancellation: Cancellation

    /// - Parameters:
    ///   - stream: the files, complete or still being listed by a walk on another thread.
    ///   - lanes: at least one; a run whose lanes are all still starting waits for them.
    public init(stream: CatalogStream, lanes: [PipelineLane], configuration: RunConfiguration, sink: ResultSink,
                cancellation: Cancellation = .never) {
        precondition(!lanes.isEmpty, "a run needs a compute lane")
        self.stream = stream
        self.lanes = lanes
        self.configuration = configuration
        self.sink = sink
        self.cancellation = cancellation
    }

    /// A run over a complete catalog.
    public convenience init(catalog: Catalog, lanes: [PipelineLane], configuration: RunConfiguration, sink: ResultSink,
                            cancellation: Cancellation = .never) {
        self.init(stream: CatalogStream(catalog: catalog), lanes: lanes, configuration: configuration, sink: sink,
                  cancellation: cancellation)
    }

    /// A run on one backend.
    public convenience init(catalog: Catalog, backend: ComputeBackend, configuration: RunConfiguration, sink: ResultSink,
                            cancellation: Cancellation = .never) {
        self.init(catalog: catalog, lanes: [.ready(backend)], configuration: configuration, sink: sink,
                  cancellation: cancellation)
    }

    /// Processes every file of the catalog. Throws only when results cannot be written or a
    /// lane fails as a whole; per-file problems are results.
    public func run() throws -> RunSummary {
        // Trap: opening the existential (`run(configuration.kernel)`) runs the generic code
        // unspecialised, with the assembler's per-file dictionary work going through witness
        // tables: on 20 000 files of 4 KiB that cost 0.1 s more user time (about 5 µs a file,
        // +50%). The kernels built in are therefore passed as their concrete types, for which the
        // compiler specialises the run.
        switch configuration.kernel {
        case let kernel as BLAKE3Kernel: try run(kernel)
        case let kernel as ByteHistogramKernel: try run(kernel)
        case let kernel as StatisticsKernel: try run(kernel)
        default: try run(configuration.kernel)
        }
    }

    /// The run, with the kernel's type known (the assembler is specialised for it).
    private func run<Kernel: ComputeKernel>(_ kernel: Kernel) throws -> RunSummary {
        let started = StageClock.now()
        var summary = RunSummary()

        // The lanes that run from the start. With none ready, the starting ones are waited for.
        var ready: [ComputeBackend] = []
        var starting: [StartingLane] = []
        var laneWarnings: [String] = []
        for lane in lanes {
            switch lane {
            case .ready(let backend) where !backend.supports(kernel):
                laneWarnings.append("sluice: warning: \(backend.deviceName) cannot run the \(kernel.name) kernel; it is left out")
            case .ready(let backend): ready.append(backend)
            case .starting(let lane): starting.append(lane)
            }
        }
        if ready.isEmpty {
            for lane in starting {
                ready += lane.wait().backends.filter { $0.supports(kernel) }
                laneWarnings += lane.takeWarnings()
            }
            starting = []
            guard !ready.isEmpty else { throw LaneSetupError(message: "no compute lane could start") }
        }
        laneWarnings.forEach(Diagnostics.line)
        // The CPU kernels' first use happens here, on one thread (see `BLAKE3Warmup`): CPU lanes'
        // instruction set, and the host's for the readers' streams, the assembler and any CPU fallback.
        for case let cpu as CPUBackend in ready { kernel.warmUp(isa: cpu.isa) }
        kernel.warmUp(isa: CPUVectorISA.active(environment: ProcessInfo.processInfo.environment))

        let stream = stream
        // Batches are the size the lanes that run from the start prefer; a CPU lane's small ones
        // win when it is among them (lanes that want more gather several batches per submission).
        let preferred = ready.first { $0.isHostCPU }?.preferredBatchBytes ?? ready.map(\.preferredBatchBytes).min()!
        let bufferBytes = Self.roundedBatchBytes(configuration.batchBytes ?? preferred)
        // Large files are hashed in place, from their mappings, when the CPU lane runs and every
        // lane reads host memory (`readsLentBytes`: the CPU lane, PoCL); a lane that wants staged
        // bytes for its transfers (a GPU), from the start or once it joins, stops the lending
        // (`ReaderStage.stopLending`).
        let inPlaceThreshold: UInt64? = switch configuration.readStrategy {
        case _ where !ready.allSatisfy(\.readsLentBytes) || !ready.contains(where: \.isHostCPU): nil
        case .automatic: ReaderStage.inPlaceThreshold
        case .mmap: 1
        case .pread: nil
        }
        // Ranges lent in place are larger than staging buffers (`ReaderStage.inPlaceRangeBytes`).
        let cpuWorkers = ready.reduce(0) { $0 + $1.workerCount }
        let rangeBytes = inPlaceThreshold == nil || configuration.batchBytes != nil
            ? bufferBytes
            : max(bufferBytes, ReaderStage.inPlaceRangeBytes(readers: max(1, configuration.readers), workers: cpuWorkers))
        // Ranges of one large file go to several readers, so a run has as many readers as tasks
        // (known only when the listing is over before the run starts; a file listed by its entry
        // may turn out large enough for every reader when it is opened).
        var readers = max(1, configuration.readers)
        if stream.snapshot.complete {
            let tasks = stream.jobsSoFar.reduce(0) { tasks, job in
                tasks + (job.statusAtOpen ? readers : SharedFile.rangeCount(size: job.size, rangeBytes: UInt64(rangeBytes)))
            }
            readers = max(1, min(readers, tasks))
        }
        let severalLanes = ready.count + starting.count > 1
        for backend in ready { backend.setOtherLanesRemain(severalLanes) }
        // At least one buffer per reader, plus what every lane keeps in flight, plus one queued.
        let inFlight = ready.reduce(0) { $0 + $1.buffersInFlight(bufferBytes: bufferBytes) }
        let bufferCount = max(readers + inFlight + 1, configuration.memoryBytes / bufferBytes)
        let stagingLane = ready.first { $0.providesStaging }
        // Lent batches in flight: one per reader being filled, two per CPU worker (one computing,
        // one queued). Their mapped pages are resident until the batch is computed, so their
        // bytes are bounded too (`ReaderStage.lentBytesLimit`).
        let lendLimit = max(2, min(readers + 2 * ready.reduce(0) { $0 + $1.workerCount },
                                   ReaderStage.lentBytesLimit / rangeBytes))
        let pool = BufferPool(count: bufferCount, bufferCapacity: bufferBytes, lendLimit: lendLimit) { [stagingLane] in
            stagingLane?.makeStagingBuffer(capacity: bufferBytes) ?? StagingBuffer(capacity: bufferBytes)
        }
        // Every queued batch holds a pool buffer: the pool bounds this queue.
        let batches = BoundedQueue<StagingBuffer>(capacity: Int(Int32.max))
        // Bounded like every queue: a full one makes the readers (events) and workers (batches)
        // wait for the assembler. No cycle: the assembler holds no staging buffer.
        let assemblerInput = BoundedQueue<AssemblerInput>(capacity: Self.assemblerQueueCapacity)
        // Results travel in groups (one per assembler step: the files a batch or a group of
        // events finished, usually up to a few hundred): at most 64 groups, fewer for long
        // --length outputs (sized for 256 results of the output length per group).
        let results = BoundedQueue<[FileResult]>(capacity: max(2, min(64, (64 << 20) / (256 * max(1, kernel.outputBytes)))))
        let readerStage = ReaderStage(stream: stream, pool: pool, strategy: configuration.readStrategy, threads: readers,
                                      rangeBytes: rangeBytes, inPlaceThreshold: inPlaceThreshold, kernel: kernel)
        let writeClock = StageClock(name: "write", threads: 1)
        let failure = FirstError()
        let cancellation = cancellation
        // Results flushed for the progress line that cannot be written end the run like any other
        // failed write (exit 3).
        let progress = ProgressReporter(totals: { stream.snapshot }, enabled: configuration.progress,
                                        flushOutput: { [sink] in
                                            do {
                                                try sink.flush()
                                            } catch {
                                                failure.set(error)
                                                cancellation.cancel()
                                            }
                                        })
        let assembler = Assembler(stream: stream, kernel: kernel) { results.push($0) }

        // The results queue closes when both the assembler and the pump of listing problems are done.
        let resultsDone = StageCountdown(2) { results.close() }

        var threads: [StageThread] = []
        let laneRecords = LaneRecords()

        // Read. The last reader to finish closes the compute stage's queue.
        let readersDone = StageCountdown(readers) { batches.close() }
        for index in 0..<readers {
            threads.append(StageThread(name: "sluice-read-\(index)", cpu: readerStage.clock) {
                readerStage.runReader(index: index, batches: batches, events: { assemblerInput.push(.events($0)) },
                                      isCancelled: { cancellation.isCancelled })
                readersDone.finished()
            })
        }

        // Compute: every lane's workers pull from `batches`. The last one to finish closes the
        // assembler's queue. A lane that fails on its own leaves when others remain.
        let renderer = sink.renderer
        func work(_ backend: ComputeBackend, index: Int, clock: StageClock) {
            do {
                // Files wholly in a batch are finalized, and their lines rendered, here on the
                // lane's thread (`WholeFile`, `ResultSink.renderer`).
                try backend.runWorker(index: index, kernel: kernel, batches: batches,
                                      deliver: { assemblerInput.push(.batch($0.finishingWholeFiles(with: kernel, renderer: renderer))) },
                                      recycle: { pool.recycle($0) }, clock: clock)
            } catch {
                failure.set(error)
                cancellation.cancel()
                // Keep draining so readers never wait forever on a full pool.
                while let batch = batches.pop() { pool.recycle(batch) }
            }
        }
        let workerThreads = ready.reduce(0) { $0 + $1.workerCount } + starting.count
        let workersDone = StageCountdown(workerThreads) { assemblerInput.close() }
        for backend in ready {
            let clock = laneRecords.add(backend, startSeconds: 0)
            for index in 0..<backend.workerCount {
                threads.append(StageThread(name: "sluice-work-\(index)", cpu: clock) {
                    work(backend, index: index, clock: clock)
                    workersDone.finished()
                })
            }
        }
        for lane in starting {
            // Waits for its backends, or gives up once every batch is taken.
            threads.append(StageThread(name: "sluice-lanejoin") {
                defer { workersDone.finished() }
                guard let outcome = lane.wait(poll: 0.002, giveUp: { batches.isFinished }) else { return }
                let warnings = lane.takeWarnings()
                warnings.forEach(Diagnostics.line)
                laneRecords.addWarnings(warnings)
                let joined = outcome.backends.filter { $0.supports(kernel) }
                guard !joined.isEmpty, !batches.isFinished else { return }
                if !joined.allSatisfy(\.readsLentBytes) { readerStage.stopLending() }
                for backend in joined { backend.setOtherLanesRemain(true) }
                pool.raiseLimit(by: joined.reduce(0) { $0 + $1.buffersInFlight(bufferBytes: bufferBytes) })
                if stagingLane == nil, let provider = joined.first(where: { $0.providesStaging }) {
                    pool.replaceMaker { provider.makeStagingBuffer(capacity: bufferBytes) }
                }
                // Every worker of every joined lane, on threads this one waits for.
                let late = joined.flatMap { backend in
                    let clock = laneRecords.add(backend, startSeconds: lane.startSeconds ?? 0)
                    return (0..<backend.workerCount).map { index in
                        StageThread(name: "sluice-late-\(index)", cpu: clock) { work(backend, index: index, clock: clock) }
                    }
                }
                for thread in late { thread.join() }
            })
        }

        // Assemble.
        // It wakes once per few inputs, not once per input (`assemblerGathering`), takes what is
        // queued then, and hands the results of all of it on as one group.
        threads.append(StageThread(name: "sluice-assemble", cpu: assembler.clock) {
            assemblerInput.consume(gathering: Self.assemblerGathering, latency: Self.assemblerLatency,
                                   caughtUp: { assembler.handOn() }) { input in
                switch input {
                case .batch(let batch): assembler.accept(batch)
                case .events(let events): assembler.accept(events)
                }
            }
            resultsDone.finished()
        })

        // Problems found while listing (a skipped FIFO, an unreadable folder) are results too.
        threads.append(StageThread(name: "sluice-problems") {
            while let problem = stream.nextProblem() {
                results.push([FileResult(index: -1, path: problem.path, size: 0, digest: nil, problem: problem)])
            }
            resultsDone.finished()
        })

        // The lanes still starting may start now that the run's threads exist: a thread created
        // while a vendor library is being loaded waits for the loader's lock (`StartingLane`).
        for lane in starting { lane.begin() }

        // Write (this thread, whose CPU time before this point went to setting the run up).
        let writeCPUStarted = ThreadCPUTime.seconds()
        var reorder = ReorderBuffer(enabled: configuration.ordered)
        // The writer lets results gather (a quarter of the queue, at most 16 groups, or 2 ms):
        // one wake-up for several groups (`BoundedQueue.pop(gathering:latency:)`).
        let gathering = max(1, min(16, results.capacity / 4))
        results.consume(gathering: gathering, latency: Self.resultsLatency, caughtUp: {
            // Nothing more is ready: the sink may write out what it holds before the wait.
            do {
                try sink.caughtUp()
            } catch {
                failure.set(error)
                cancellation.cancel()
            }
        }) { group in
            let writeStarted = StageClock.now()
            for result in group {
                count(result, in: &summary)
                do {
                    try reorder.accept(result) { ready in
                        progress.willWrite(ready)
                        try sink.write(ready)
                    }
                } catch {
                    failure.set(error)
                    cancellation.cancel()
                }
                progress.advance(files: 1, bytes: result.succeeded ? result.size : 0)
            }
            writeClock.record(since: writeStarted, items: group.count)
        }
        for thread in threads { thread.join() }
        progress.finish()
        try sink.finish()
        writeClock.addCPU(seconds: ThreadCPUTime.seconds() - writeCPUStarted)
        if let error = failure.error { throw error }

        summary.wallSeconds = Double(StageClock.now() - started) / 1e9
        var readStatistics = readerStage.clock.snapshot
        readStatistics.bytesPerThread = readerStage.bytesPerThread
        let laneStatistics = laneRecords.statistics
        summary.lanes = laneStatistics
        summary.device = laneStatistics.map(\.device).joined(separator: " + ")
        summary.warnings += laneWarnings + laneRecords.warnings
        summary.stages = [readStatistics, LaneRecords.combined(laneStatistics), assembler.clock.snapshot, writeClock.snapshot]
        summary.stagingBuffers = pool.createdCount
        summary.stagingBufferBytes = bufferBytes
        summary.cpuSeconds = ProcessTimes.cpuSeconds()
        summary.catalogSeconds = stream.listingSeconds
        (summary.catalogCPUSeconds, summary.catalogHelpersCPUSeconds) = stream.listingCPUSeconds
        return summary
    }

    private func count(_ result: FileResult, in summary: inout RunSummary) {
        if result.succeeded {
            summary.filesHashed += 1
            summary.bytes += result.size
        } else if let problem = result.problem {
            count(problem, in: &summary)
        }
    }

    private func count(_ problem: FileProblem, in summary: inout RunSummary) {
        if problem.isFailure { summary.filesFailed += 1 } else { summary.filesSkipped += 1 }
    }

    /// Items the assembler's input queue holds: computed batches and groups of up to 256 file
    /// events (8192 was sized when events came one by one; in groups that would let readers run
    /// up to two million events ahead of the assembler).
    static let assemblerQueueCapacity = 256

    /// The longest a group of results waits in its queue for the writer to wake (seconds).
    static let resultsLatency = 0.002

    /// Inputs (computed batches, groups of file events) that wake the assembler, unless
    /// `assemblerLatency` seconds pass first. Woken for each one, the assembler and its
    /// producers made about 2 800 futex calls on std8k's 8000 files (readers and workers
    /// meeting on the queue's mutex, a third of the run's futex calls); it holds no staging
    /// buffer, so nothing upstream waits for it meanwhile (eighth session, performance.md).
    static let assemblerGathering = 8
    static let assemblerLatency = 0.001

    /// `bytes` rounded up to whole 64 KiB units (`Piece.maxBytes`, at least one).
    public static func roundedBatchBytes(_ bytes: Int) -> Int {
        let unit = Piece.maxBytes
        return max(unit, (bytes + unit - 1) / unit * unit)
    }
}

/// What the assembler thread receives.
enum AssemblerInput {
    case batch(ComputedBatch)
    /// A reader's file events, in the order it saw them.
    case events([FileEvent])
}

/// Holds results back until every earlier file (in given order) is out, for `--ordered`.
/// Job indices are dense (0, 1, 2, … in given order), so the next one due is a counter.
/// Problems found while listing (index −1) belong to no file position and pass at once.
struct ReorderBuffer {
    private let enabled: Bool
    private var next = 0
    private var waiting: [Int: FileResult] = [:]

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// Takes `result` and hands `emit` every result that is now due, in order: `result` itself
    /// at once when the buffer is off (no array a file: 20 000 small files make 20 000 results).
    mutating func accept(_ result: FileResult, emit: (FileResult) throws -> Void) rethrows {
        guard enabled, result.index >= 0 else { return try emit(result) }
        waiting[result.index] = result
        while let ready = waiting.removeValue(forKey: next) {
            next += 1
            try emit(ready)
        }
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
