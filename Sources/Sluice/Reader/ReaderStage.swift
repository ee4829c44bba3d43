import Foundation

/// The reader stage: reads files into staging buffers, packing the pieces (the run's kernel's
/// `PieceLayout`) of many files into one batch and spreading a large file over many batches and
/// many readers.
///
/// Reader threads take tasks from one `ReadPlan`: a small file whole, or one range of a large
/// file (whose ranges other readers read at the same time through the same descriptor). A
/// reader holds one buffer at a time: it packs as many pieces as fit and reads them with one
/// call, hands the buffer to the compute queue when it is full, and takes a fresh one from the
/// pool (waiting there when all are in flight: back-pressure). A file's problems end that file
/// only.
///
/// When every lane hashes on this CPU, files of at least `inPlaceThreshold` bytes are not copied:
/// each range becomes a batch that borrows its bytes from the file's mapping (`LentRange`), and
/// the CPU executors compute on them where they lie.
public final class ReaderStage: @unchecked Sendable {
    private let pool: BufferPool
    private let strategy: ReadStrategy
    /// Files at least this large are hashed in place; nil: every file is copied into staging.
    /// Set to nil by `stopLending()`.
    private var inPlaceThreshold: UInt64?
    private let initialInPlaceThreshold: UInt64?
    private let inPlaceLock = NSLock()
    private let streamReader: StreamReader
    /// How the run's kernel cuts files into pieces.
    private let layout: any PieceLayout
    private let plan: ReadPlan
    /// Bytes each reader thread read (each thread writes its own slot).
    private let threadBytes: UnsafeMutablePointer<UInt64>
    private let threads: Int
    /// Files at least this large are hashed in place under `--read auto` when every lane
    /// computes on this CPU; smaller ones are copied, packed many to a batch, where the SIMD
    /// lanes take chunks of several files at once. One lent range: on std8k (2-core AMD EPYC,
    /// 6 interleaved runs) thresholds of 1, 4 and 8 MiB and `pread` alone were within the
    /// machine's noise (0.86–1.09 CPU-s each); the gain is on huge files (docs/performance.md).
    nonisolated(unsafe) public static var inPlaceThreshold = UInt64(inPlaceRangeBytes)
    /// The largest range of a file lent as one batch (a multiple of `Piece.maxBytes`),
    /// unless `--batch-size` is given. Each loan costs mapping its pages in and a `madvise` to
    /// drop them (a TLB flush on every core); larger ranges mean fewer. Measured on the 2-core AMD
    /// EPYC when pages came in by `MADV_POPULATE_READ` (before the eighth session; now one read
    /// per 64 KiB, `FileMapping.populate`), huge, hot cache, CPU seconds, min/median of 8
    /// interleaved runs: 1 MiB 1.07/1.13,
    /// 4 MiB 0.96/1.05, 8 MiB 0.94/1.10, 16 MiB 0.90/1.03, against `pread` 0.92/1.06 and b3sum
    /// 0.89/0.99 — the machine's noise is as large as the differences past 4 MiB.
    public static let inPlaceRangeBytes = 4 << 20
    /// The range lent for a run with `readers` readers and `workers` CPU workers: the largest of
    /// 16, 8 and 4 MiB with which every reader and two batches per worker can hold a range at
    /// once within `lentBytesLimit` (16 MiB on 2 cores; 4 MiB for 8 readers and 16 workers, where
    /// 16 MiB ranges would leave workers without one). Measured on the 2-core AMD EPYC (huge,
    /// `sluice bench --repeat 9`, the two sizes in the same run): 16 MiB 0.691 s median against
    /// 4 MiB's 0.743 s (0.93×), system time 0.29–0.32 s against 0.36–0.39 s: a quarter of the
    /// `madvise` calls and their TLB flushes.
    public static func inPlaceRangeBytes(readers: Int, workers: Int) -> Int {
        let holders = max(1, readers + 2 * workers)
        for size in [16 << 20, 8 << 20] where holders * size <= lentBytesLimit { return size }
        return inPlaceRangeBytes
    }
    /// Most bytes of lent batches in flight at once (their pages are resident: RSS).
    public static let lentBytesLimit = 192 << 20
    /// Files at least this large get `posix_fadvise(WILLNEED)` when opened.
    static let adviseThreshold: UInt64 = 1 << 20
    /// Reader-stage totals (waits for buffers and queue space are not counted as busy).
    public let clock: StageClock

    /// - Parameters:
    ///   - rangeBytes: the largest piece of a file one reader reads before the next piece may go
    ///     to another reader (a multiple of `Piece.maxBytes`).
    ///   - inPlaceThreshold: files of at least this many bytes are hashed in place, from their
    ///     mapping; nil when a lane needs staged bytes (an OpenCL device's transfers).
    ///   - kernel: the run's kernel: how files are cut into pieces, and how streams
    ///     (`FileJob.isStream`), computed by the readers themselves, are computed.
    public init(stream: CatalogStream, pool: BufferPool, strategy: ReadStrategy, threads: Int, rangeBytes: Int,
                inPlaceThreshold: UInt64? = nil, kernel: any ComputeKernel = BLAKE3Kernel()) {
        streamReader = StreamReader(kernel: kernel, isa: CPUVectorISA.active(environment: ProcessInfo.processInfo.environment))
        layout = kernel.layout
        self.pool = pool
        self.strategy = strategy
        self.inPlaceThreshold = inPlaceThreshold
        initialInPlaceThreshold = inPlaceThreshold
        self.threads = threads
        plan = ReadPlan(stream: stream, rangeBytes: rangeBytes)
        threadBytes = .allocate(capacity: max(1, threads))
        threadBytes.initialize(repeating: 0, count: max(1, threads))
        clock = StageClock(name: "read", threads: threads)
    }

    deinit { threadBytes.deallocate() }

    /// Bytes read by each reader thread, in thread order (valid once the readers returned).
    public var bytesPerThread: [UInt64] { Array(UnsafeBufferPointer(start: threadBytes, count: threads)) }

    /// One reader thread's loop: runs until every task is taken and read.
    /// - Parameters:
    ///   - index: the thread's number, from 0.
    ///   - batches: where full buffers go (bounded: the compute stage's input).
    ///   - events: where file ends and failures go (the assembler's input).
    ///   - isCancelled: polled between tasks and between reads.
    public func runReader(index: Int, batches: BoundedQueue<StagingBuffer>, events send: @escaping ([FileEvent]) -> Void,
                          isCancelled: () -> Bool) {
        // File events travel in groups: one queue hand-off per batch, not per file (a futex
        // wake-up and a context switch each: 3 per file on 20 000 small files). A group goes out
        // before each batch, before the reader may wait for the walk, and at the end; the
        // assembler needs a file's end only once its batch was computed anyway.
        let outbox = EventOutbox(send: send)
        let queue = OutboxQueue(batches: batches, outbox: outbox)
        // Small files are opened by their names, relative to their folder (the walk hands out a
        // folder's files in a row).
        let directory = ParentDirectory()
        defer { directory.close() }
        var buffer = pool.take()
        while !isCancelled(), let task = plan.next(beforeWaiting: outbox.flush) {
            let bytes: UInt64
            if let file = task.file, let range = task.range {
                bytes = readRange(range, of: file, into: &buffer, batches: queue, events: outbox.note, send: send,
                                  isCancelled: isCancelled)
            } else if task.job.statusAtOpen {
                bytes = readFileListedByEntry(task, in: directory, into: &buffer, batches: queue, outbox: outbox, send: send,
                                              isCancelled: isCancelled)
            } else if task.job.isStream {
                // A stream may take long (a pipe's writer decides): the files packed so far go first.
                sendPacked(&buffer, to: queue)
                bytes = readStream(task.job, at: task.position, events: outbox.note, isCancelled: isCancelled)
            } else if hashesInPlace(task.job) {
                // One range, lent whole.
                let file = SharedFile(position: task.position, job: task.job, ranges: 1)
                bytes = readRange(0 ..< task.job.size, of: file, into: &buffer, batches: queue, events: outbox.note,
                                  send: send, isCancelled: isCancelled)
            } else {
                bytes = readWholeFile(task.job, at: task.position, in: directory, into: &buffer, batches: queue,
                                      events: outbox.note, isCancelled: isCancelled)
            }
            threadBytes[index] &+= bytes
        }
        if isCancelled() {
            for (file, problem) in plan.abandon(with: Self.interrupted) {
                outbox.note(.ended(position: file.position, job: file.job, problem: problem))
            }
        }
        if buffer.pieces.isEmpty {
            pool.recycle(buffer)
        } else {
            queue.push(buffer)
        }
        outbox.flush()
    }

    /// The problem of a file whose reading an interrupt stopped.
    private static func interrupted(_ job: FileJob) -> FileProblem {
        FileProblem(path: job.path, kind: .error, message: "interrupted before the end of the file")
    }

    /// Reads a file that is one task: open, every piece, end-of-read checks, `.ended`.
    private func readWholeFile(_ job: FileJob, at position: Int, in directory: ParentDirectory, into buffer: inout StagingBuffer,
                               batches: OutboxQueue, events: (FileEvent) -> Void, isCancelled: () -> Bool) -> UInt64 {
        let started = StageClock.now()
        let reader: FileReader
        do {
            // Large files: ask the kernel to read the whole file ahead now (one call), so a
            // cold file streams in while its first batches are computed.
            // A whole file in one task is checked against its listing once, after it is read.
            let advise = job.size >= Self.adviseThreshold
            reader = try FileReader(job: job, strategy: strategy, checksOnlyAtFinish: true, directory: directory) { _ in
                FileReader.Choice(adviseWillNeed: advise, inPlace: false)
            }
        } catch {
            clock.record(since: started, items: 1)
            events(.ended(position: position, job: job, problem: error))
            return 0
        }
        return readWhole(reader, listedSize: job.size, at: position, into: &buffer, batches: batches, events: events,
                         started: started, isCancelled: isCancelled)
    }

    /// Reads a file listed by its directory entry alone (`FileJob.statusAtOpen`), whose size
    /// is known once it is open: a file larger than a task, or one to hash in place, is then
    /// cut into ranges that every reader may take (`ReadPlan.opened`), as it would have been
    /// had it been listed with its size; any other is read whole, by this reader.
    private func readFileListedByEntry(_ task: ReadPlan.Task, in directory: ParentDirectory, into buffer: inout StagingBuffer,
                                       batches: OutboxQueue,
                                       outbox: EventOutbox, send: @escaping ([FileEvent]) -> Void,
                                       isCancelled: () -> Bool) -> UInt64 {
        let started = StageClock.now()
        let reader: FileReader
        do {
            reader = try FileReader(job: task.job, strategy: strategy, directory: directory) { job in
                FileReader.Choice(adviseWillNeed: job.size >= Self.adviseThreshold, inPlace: hashesInPlace(job))
            }
        } catch {
            _ = plan.opened(task.position, splitting: nil)
            // A file that is there but could not be opened (permission denied) is reported with
            // its size and identity, as it would have been listed: one `lstat`, on failures only.
            var job = task.job
            if case .success(let status) = SystemCall.status(of: job.path, follow: false), status.type == .regular {
                job = DirectoryReader.job(job.path, status)
                job.index = task.job.index
            }
            clock.record(since: started, items: 1)
            outbox.note(.ended(position: task.position, job: job, problem: error))
            return 0
        }
        guard reader.readsInPlace || (reader.size > plan.rangeBytes && !reader.readsToEnd) else {
            _ = plan.opened(task.position, splitting: nil)
            return readWhole(reader, listedSize: task.job.size, at: task.position, into: &buffer, batches: batches,
                             events: outbox.note, started: started, isCancelled: isCancelled)
        }
        // Other readers may compute ranges of it before this one sends anything: the assembler
        // learns its length first (it would take the listed size, 0, otherwise).
        outbox.note(.measured(position: task.position, size: reader.size))
        outbox.flush()
        clock.record(since: started)
        let (file, first) = plan.opened(task.position, splitting: reader)!
        return readRange(first, of: file, into: &buffer, batches: batches, events: outbox.note, send: send,
                         isCancelled: isCancelled)
    }

    /// Reads an open file that is one task: every piece, end-of-read checks, `.ended`.
    /// `listedSize` is the size the stream lists (0 for a file listed by its entry): the
    /// assembler is told the length when it is another and the file spans batches.
    private func readWhole(_ reader: FileReader, listedSize: UInt64, at position: Int, into buffer: inout StagingBuffer,
                           batches: OutboxQueue, events: (FileEvent) -> Void, started: UInt64,
                           isCancelled: () -> Bool) -> UInt64 {
        let job = reader.job
        // A file that fits in what is left of the buffer (its pieces are packed without gaps
        // after its 64-byte alignment) goes whole into this batch: the lane that computes the
        // batch finalizes it, and the assembler hears of it only if it fails. An empty file has
        // no piece to carry it (a batch of no pieces is never sent): the assembler finalizes it.
        let alignedUsed = min(buffer.capacity, (buffer.used + 63) / 64 * 64)
        let whole = reader.size > 0 && reader.size <= UInt64(buffer.capacity - alignedUsed)
        if reader.size != listedSize && !whole { events(.measured(position: position, size: reader.size)) }
        let firstPiece = buffer.pieces.count
        var cursor = PieceCursor(layout: layout, fileSize: reader.size)
        var (bytes, problem) = readPieces(&cursor, of: reader, job: job, position: position, into: &buffer, batches: batches,
                                            started: started, isCancelled: isCancelled, hasFailed: { false })
        if problem == nil {
            let finishing = StageClock.now()
            do { try reader.finish() } catch { problem = error }
            clock.record(since: finishing, items: 1)
        } else {
            clock.record(since: StageClock.now(), items: 1)
        }
        if whole && problem == nil {
            buffer.wholeFiles.append(WholeFile(position: position, job: job, size: reader.size,
                                               pieces: firstPiece ..< buffer.pieces.count))
        } else {
            // A failed whole file's pieces that are in the batch are dropped by the assembler.
            events(.ended(position: position, job: job, problem: problem))
        }
        return bytes
    }

    /// Reads and computes a stream (see `StreamReader`); its result is one `.computed` or `.ended` event.
    private func readStream(_ job: FileJob, at position: Int, events: (FileEvent) -> Void,
                            isCancelled: () -> Bool) -> UInt64 {
        let started = StageClock.now()
        switch streamReader.compute(job, isCancelled: isCancelled) {
        case .success(let (size, output)):
            clock.record(since: started, items: 1, bytes: size)
            events(.computed(position: position, job: job, size: size, output: output))
            return size
        case .failure(let problem):
            clock.record(since: started, items: 1)
            events(.ended(position: position, job: job, problem: problem))
            return 0
        }
    }

    /// Whether `job` is hashed in place (if its mapping is granted).
    private func hashesInPlace(_ job: FileJob) -> Bool {
        // Most files are below the threshold the run started with: no lock for them (it only
        // ever goes to nil).
        guard let initialInPlaceThreshold, job.size >= max(1, initialInPlaceThreshold), !job.isStream else { return false }
        inPlaceLock.lock()
        defer { inPlaceLock.unlock() }
        return inPlaceThreshold != nil
    }

    /// Hands a partly filled buffer on now, and takes a fresh one: the files packed in it are
    /// not held back while this reader does something that may take long.
    private func sendPacked(_ buffer: inout StagingBuffer, to queue: OutboxQueue) {
        guard !buffer.pieces.isEmpty else { return }
        queue.push(buffer)
        buffer = pool.take()
    }

    /// Lends no more ranges: files not yet opened are copied into staging from now on (a lane
    /// that wants staged bytes, such as an OpenCL device, joined the run). Batches already lent
    /// stay valid for any lane: a lane gives a batch back only once it has read the bytes.
    public func stopLending() {
        inPlaceLock.lock()
        inPlaceThreshold = nil
        inPlaceLock.unlock()
    }

    /// Reads one range of a split file (or the one range of a file hashed in place); the last
    /// range to finish ends the file.
    private func readRange(_ range: Range<UInt64>, of file: SharedFile, into buffer: inout StagingBuffer,
                           batches: OutboxQueue, events: (FileEvent) -> Void, send: @escaping ([FileEvent]) -> Void,
                           isCancelled: () -> Bool) -> UInt64 {
        let position = file.position
        let job = file.job
        let started = StageClock.now()
        var bytes: UInt64 = 0
        let inPlace = hashesInPlace(job)
        // A file whose ranges are lent keeps being lent even after `stopLending()`: its reader is
        // already mapped in place.
        let reader = file.reader { () throws(FileProblem) -> FileReader in
            try FileReader(job: job, strategy: strategy, adviseWillNeed: true, inPlace: inPlace)
        }
        if let reader, reader.readsInPlace {
            // A lent range goes out as a batch of its own while this reader's buffer stays here:
            // push what the buffer holds first, so that the files packed in it (small files read
            // just before) are not held back until it fills, perhaps at the end of the run
            // (`check` prints each verdict as soon as its file is done).
            sendPacked(&buffer, to: batches)
            if lend(range, of: file, reader: reader, batches: batches, send: send, isCancelled: isCancelled) {
                // The batch's return ends this range (`LentRange`).
                clock.record(since: started, bytes: UInt64(range.count))
                return UInt64(range.count)
            }
            clock.record(since: started)
        } else if let reader {
            var cursor: PieceCursor?
            if !reader.readsToEnd {
                cursor = PieceCursor(layout: layout, fileSize: job.size, range: range)
            } else if file.claimWholeFile() {
                // Its listed size was not its length: one range reads the bytes found.
                events(.measured(position: position, size: reader.size))
                cursor = PieceCursor(layout: layout, fileSize: reader.size)
            }
            if var cursor {
                let (read, problem) = readPieces(&cursor, of: reader, job: job, position: position, into: &buffer, batches: batches,
                                                   started: started, isCancelled: isCancelled, hasFailed: { file.hasFailed })
                bytes = read
                if let problem { file.fail(problem) }
            } else {
                clock.record(since: started)
            }
        } else {
            clock.record(since: started)
        }
        if let outcome = file.rangeFinished() {
            clock.record(since: StageClock.now(), items: 1)
            events(.ended(position: position, job: job, problem: outcome))
        }
        return bytes
    }

    /// Lends `range` of a file mapped in place as one batch and pushes it. Returns false when
    /// it could not (the run was interrupted, the range is past the file's end): the file has
    /// failed and the caller ends the range.
    private func lend(_ range: Range<UInt64>, of file: SharedFile, reader: FileReader, batches: OutboxQueue,
                      send: @escaping ([FileEvent]) -> Void, isCancelled: () -> Bool) -> Bool {
        if file.hasFailed { return false }
        guard !isCancelled() else {
            file.fail(FileProblem(path: file.job.path, kind: .error, message: "interrupted before the end of the file"))
            return false
        }
        pool.waitToLend()
        let bytes: UnsafeRawPointer
        do {
            bytes = try reader.lend(range)
        } catch {
            pool.endLoan()
            file.fail(error)
            return false
        }
        let batch = StagingBuffer(borrowing: bytes, count: range.count,
                                  from: LentRange(file: file, reader: reader, range: range, clock: clock, send: send))
        var cursor = PieceCursor(layout: layout, fileSize: reader.size, range: range)
        while let step = cursor.next() {
            batch.pieces.append(Piece(
                bufferOffset: Int(step.fileOffset - range.lowerBound), length: step.length, fileOffset: step.fileOffset,
                fileIndex: file.position, isWholeFile: step.isWholeFile))
        }
        batch.used = range.count
        batches.push(batch)
        return true
    }

    /// Packs the pieces `cursor` yields into buffers and reads them, pushing each full buffer.
    /// Returns the bytes read and the problem that stopped the read, if any.
    private func readPieces(_ cursor: inout PieceCursor, of reader: FileReader, job: FileJob, position: Int,
                              into buffer: inout StagingBuffer, batches: OutboxQueue, started: UInt64,
                              isCancelled: () -> Bool, hasFailed: () -> Bool) -> (UInt64, FileProblem?) {
        var started = started
        var bytesRead: UInt64 = 0
        var unrecorded: UInt64 = 0
        var problem: FileProblem?
        var pending = cursor.next()
        // Each file starts 64-byte aligned in the buffer: whole blocks are then aligned
        // words for the OpenCL kernel's vector loads and the SIMD loads.
        if pending != nil { buffer.alignUsed(to: 64) }
        while let first = pending, problem == nil {
            if isCancelled() {
                // An interrupted run stops inside large files too; this one gets no result.
                problem = FileProblem(path: job.path, kind: .error, message: "interrupted before the end of the file")
                break
            }
            if hasFailed() { break }
            if buffer.remaining < first.length {
                clock.record(since: started, bytes: unrecorded)
                unrecorded = 0
                batches.push(buffer)
                buffer = pool.take()
                started = StageClock.now()
            }
            // Pack every following piece of this file that fits, then read them with one call.
            let runOffset = buffer.used
            var runLength = 0
            var runCount = 0
            var step: PieceCursor.Step? = first
            while let next = step, runLength + next.length <= buffer.remaining {
                buffer.pieces.append(Piece(
                    bufferOffset: runOffset + runLength, length: next.length, fileOffset: next.fileOffset,
                    fileIndex: position, isWholeFile: next.isWholeFile))
                runLength += next.length
                runCount += 1
                step = cursor.next()
            }
            pending = step
            do {
                try reader.read(into: UnsafeMutableRawBufferPointer(start: buffer.bytes + runOffset, count: runLength),
                                at: first.fileOffset)
                buffer.used += runLength
                bytesRead += UInt64(runLength)
                unrecorded += UInt64(runLength)
            } catch {
                // This run never reaches a backend; partials already shipped are dropped by
                // the assembler when it sees the problem.
                buffer.pieces.removeLast(runCount)
                problem = error
            }
        }
        clock.record(since: started, bytes: unrecorded)
        return (bytesRead, problem)
    }
}

/// A reader thread's file events not yet handed to the assembler.
final class EventOutbox {
    private var pending: [FileEvent] = []
    private let send: ([FileEvent]) -> Void

    init(send: @escaping ([FileEvent]) -> Void) { self.send = send }

    /// Adds one event (sent with the next group; at most 256 wait).
    func note(_ event: FileEvent) {
        pending.append(event)
        if pending.count >= 256 { flush() }
    }

    /// Sends what waits.
    func flush() {
        guard !pending.isEmpty else { return }
        send(pending)
        pending.removeAll(keepingCapacity: true)
    }
}

/// The compute queue as a reader pushes to it: its waiting events go out first.
struct OutboxQueue {
    let batches: BoundedQueue<StagingBuffer>
    let outbox: EventOutbox

    func push(_ buffer: StagingBuffer) {
        outbox.flush()
        batches.push(buffer)
    }
}
