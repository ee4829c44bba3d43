import Foundation

/// The reader stage's work list, shared by its threads: every listed file in catalog order, a
/// large file cut into ranges that any reader may take, so that two huge files keep every
/// reader busy instead of two.
///
/// A file of at most `rangeBytes` is one task, read whole by one reader. A larger one is cut
/// into ranges of `rangeBytes` (a multiple of `Piece.maxBytes`, so each range is
/// whole pieces); its ranges are handed out one after another, so readers work on neighbouring
/// ranges of the same file and the kernel's read-ahead still sees one sequential stream.
final class ReadPlan: @unchecked Sendable {
    /// One unit of reading.
    struct Task {
        /// The file's position in the catalog's jobs.
        var position: Int
        /// The file as listed.
        var job: FileJob
        /// The bytes to read, or nil for the whole file (one reader, one task).
        var range: Range<UInt64>?
        /// The state shared by the ranges of a split file (nil for a whole-file task).
        var file: SharedFile?
    }

    /// Largest task, in bytes.
    let rangeBytes: UInt64
    private let stream: CatalogStream
    private let lock = NSLock()
    private var nextPosition = 0
    private var nextRangeStart: UInt64 = 0
    private var current: SharedFile?
    /// Set by `abandon`: no task is handed out any more.
    private var abandoned = false

    init(stream: CatalogStream, rangeBytes: Int) {
        precondition(rangeBytes > 0 && rangeBytes % Piece.maxBytes == 0)
        self.stream = stream
        self.rangeBytes = UInt64(rangeBytes)
    }

    /// The next task, or nil when every file is handed out. When the walk has not listed the
    /// next file yet, calls `beforeWaiting` (a reader sends the events it holds) and waits.
    func next(beforeWaiting: () -> Void = {}) -> Task? {
        lock.lock()
        defer { lock.unlock() }
        guard !abandoned else { return nil }
        let position = nextPosition
        guard let job = stream.jobIfListed(at: position) ?? {
            beforeWaiting()
            return stream.waitForJob(at: position)
        }() else { return nil }
        let size = job.size
        guard size > rangeBytes else {
            nextPosition += 1
            return Task(position: position, job: job, range: nil, file: nil)
        }
        if nextRangeStart == 0 {
            current = SharedFile(position: position, job: job, ranges: Int((size + rangeBytes - 1) / rangeBytes))
        }
        let start = nextRangeStart
        let end = min(size, start + rangeBytes)
        let file = current
        if end == size {
            nextPosition += 1
            nextRangeStart = 0
            current = nil
        } else {
            nextRangeStart = end
        }
        return Task(position: position, job: job, range: start ..< end, file: file)
    }
}

extension ReadPlan {
    /// Stops handing out tasks (an interrupted run). The ranges of the file being handed out that
    /// no reader took end with `problem`; returns that file's outcome if no range of it is still
    /// being read (the caller sends its `.ended` event), so that the file gets its one report.
    func abandon(with problem: (FileJob) -> FileProblem) -> (file: SharedFile, problem: FileProblem?)? {
        lock.lock()
        defer { lock.unlock() }
        abandoned = true
        guard let file = current else { return nil }
        current = nil
        let job = file.job
        let untaken = Int((job.size - nextRangeStart + rangeBytes - 1) / rangeBytes)
        file.fail(problem(job))
        var outcome: (SharedFile, FileProblem?)?
        for _ in 0..<untaken {
            if let last = file.rangeFinished() { outcome = (file, last) }
        }
        return outcome
    }
}

/// A file split into ranges, while readers read them: the reader (one descriptor, opened by
/// whichever range comes first), the first problem any range met, and how many ranges are
/// still out. The reader whose range is the last to finish ends the file: it runs the
/// end-of-read checks and sends the one `.ended` event.
final class SharedFile: @unchecked Sendable {
    /// The file's position in the catalog's jobs.
    let position: Int
    /// The file as listed.
    let job: FileJob
    private let lock = NSLock()
    private var opened = false
    private var reader: FileReader?
    private var problem: FileProblem?
    private var remaining: Int
    private var wholeClaimed = false

    init(position: Int, job: FileJob, ranges: Int) {
        self.position = position
        self.job = job
        remaining = ranges
    }

    /// The open reader; the first caller opens it with `open`. Nil when the file failed (an open
    /// error, or a problem another range met): this range then has nothing to read.
    func reader(open: () throws(FileProblem) -> FileReader) -> FileReader? {
        lock.lock()
        defer { lock.unlock() }
        if !opened {
            opened = true
            do { reader = try open() } catch { problem = error }
        }
        return problem == nil ? reader : nil
    }

    /// Whether a range failed: the others stop early (their bytes would be dropped anyway).
    var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return problem != nil
    }

    /// Records a range's problem (the first one is the file's).
    func fail(_ range: FileProblem) {
        lock.lock()
        if problem == nil { problem = range }
        lock.unlock()
    }

    /// For a file whose listed size was not its length (read to its end when opened): true for
    /// exactly one caller, who reads the whole file; the other ranges read nothing.
    func claimWholeFile() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        defer { wholeClaimed = true }
        return !wholeClaimed
    }

    /// One range is done. For the last one, checks and closes the file and returns its outcome
    /// (`.some(nil)`: every byte read and unchanged); for the others, nil.
    func rangeFinished() -> FileProblem?? {
        lock.lock()
        defer { lock.unlock() }
        remaining -= 1
        guard remaining == 0 else { return nil }
        if problem == nil, let reader {
            do { try reader.finish() } catch { problem = error }
        }
        reader = nil
        return .some(problem)
    }
}
