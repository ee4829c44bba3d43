import Foundation

/// What the reader stage tells the assembler about a file outside of batches.
public enum FileEvent: Sendable {
    /// The file's length is not its listed size (it was read to its end when opened, see
    /// `FileReader.readsToEnd`); sent before any of its batches, so the assembler cuts the file
    /// as the reader did.
    case measured(position: Int, size: UInt64)
    /// The file was read to its end and passed the end-of-read checks (all its subtrees are in
    /// batches), or it failed with `problem` (its partials, if any, are to be dropped).
    case ended(position: Int, problem: FileProblem?)
}

/// The reader stage: reads files into staging buffers, packing BLAKE3 subtrees of many files
/// into one batch and spreading a large file over many.
///
/// Each reader thread owns one file at a time and one buffer at a time: it takes the next file
/// from the shared catalog cursor, reads as many of its subtrees as fit with one read call,
/// hands the buffer to the compute queue when it is full, and takes a fresh one from the pool
/// (waiting there when all are in flight: back-pressure). A file's problems end that file only.
public final class Batcher: @unchecked Sendable {
    private let jobs: [FileJob]
    private let pool: BufferPool
    private let strategy: ReadStrategy
    private let cursorLock = NSLock()
    private var nextPosition = 0
    /// Files at least this large get `posix_fadvise(WILLNEED)` when opened.
    static let adviseThreshold: UInt64 = 1 << 20
    /// Reader-stage totals (waits for buffers and queue space are not counted as busy).
    public let clock: StageClock

    public init(jobs: [FileJob], pool: BufferPool, strategy: ReadStrategy, threads: Int) {
        self.jobs = jobs
        self.pool = pool
        self.strategy = strategy
        clock = StageClock(name: "read", threads: threads)
    }

    /// The next file position to read, or nil when all are taken.
    private func takePosition() -> Int? {
        cursorLock.lock()
        defer { cursorLock.unlock() }
        guard nextPosition < jobs.count else { return nil }
        defer { nextPosition += 1 }
        return nextPosition
    }

    /// One reader thread's loop: runs until every file is taken and read.
    /// - Parameters:
    ///   - batches: where full buffers go (bounded: the compute stage's input).
    ///   - events: where file ends and failures go (the assembler's input).
    ///   - isCancelled: polled between files and between reads.
    public func runReader(batches: BoundedQueue<StagingBuffer>, events: (FileEvent) -> Void, isCancelled: () -> Bool) {
        var buffer = pool.take()
        while !isCancelled(), let position = takePosition() {
            let job = jobs[position]
            var started = StageClock.now()
            let reader: FileReader
            do {
                // Large files: ask the kernel to read the whole file ahead now (one call), so a
                // cold file streams in while its first batches are computed.
                reader = try FileReader(job: job, strategy: strategy, adviseWillNeed: job.size >= Self.adviseThreshold)
            } catch {
                clock.record(since: started, items: 1)
                events(.ended(position: position, problem: error))
                continue
            }
            if reader.size != job.size { events(.measured(position: position, size: reader.size)) }
            var cursor = BLAKE3SubtreeCursor(fileSize: reader.size)
            var bytesRead: UInt64 = 0
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
                if buffer.remaining < first.length {
                    clock.record(since: started)
                    batches.push(buffer)
                    buffer = pool.take()
                    started = StageClock.now()
                }
                // Pack every following subtree of this file that fits, then read them with one call.
                let runOffset = buffer.used
                var runLength = 0
                var runCount = 0
                var step: BLAKE3SubtreeCursor.Step? = first
                while let next = step, runLength + next.length <= buffer.remaining {
                    buffer.subtrees.append(BLAKE3Subtree(
                        bufferOffset: runOffset + runLength, length: next.length, firstChunk: next.firstChunk,
                        fileIndex: position, isRootChunk: next.isRootChunk))
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
                } catch {
                    // This run never reaches a backend; partials already shipped are dropped by
                    // the assembler when it sees the problem.
                    buffer.subtrees.removeLast(runCount)
                    problem = error
                }
            }
            if problem == nil {
                do { try reader.finish() } catch { problem = error }
            }
            clock.record(since: started, items: 1, bytes: bytesRead)
            events(.ended(position: position, problem: problem))
        }
        if buffer.subtrees.isEmpty {
            pool.recycle(buffer)
        } else {
            batches.push(buffer)
        }
    }
}
