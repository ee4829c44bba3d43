import Foundation

/// The reader stage's work list, shared by its threads: every listed file in catalog order, a
/// large file cut into ranges that any reader may take, so that two huge files keep every
/// reader busy instead of two.
///
/// A file of at most `rangeBytes` is one task, read whole by one reader. A larger one is cut
/// into ranges of `rangeBytes` (a multiple of `Piece.maxBytes`, so each range is
/// whole pieces); its ranges are handed out one after another, so readers work on neighbouring
/// ranges of the same file and the kernel's read-ahead still sees one sequential stream.
///
/// A file listed by its directory entry alone (`FileJob.statusAtOpen`) has no size until a
/// reader opens it: it is one task, and the reader that finds it large gives it back to be cut
/// (`opened(_:splitting:)`). Until every such task is back, a reader that finds nothing to do
/// waits instead of leaving: the file it waits for may yet be cut into ranges for it.
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

    /// A file being cut into ranges: the start of its next range not handed out yet.
    private struct Split {
        var file: SharedFile
        var next: UInt64
    }

    /// Largest task, in bytes.
    let rangeBytes: UInt64
    private let stream: CatalogStream
    private let condition = NSCondition()
    private var nextPosition = 0
    /// Files with ranges not handed out yet, earliest first.
    private var splits: [Split] = []
    /// Tasks of files listed by their entries that readers have not given back yet.
    private var opening = 0
    /// Set by `abandon`: no task is handed out any more, and ranges no reader took end with
    /// this problem.
    private var abandonment: ((FileJob) -> FileProblem)?
    /// How often a reader waiting for the walk looks for ranges of a file found large when it
    /// was opened (only while such a file is being opened).
    static let splitPollSeconds = 0.002

    init(stream: CatalogStream, rangeBytes: Int) {
        precondition(rangeBytes > 0 && rangeBytes % Piece.maxBytes == 0)
        self.stream = stream
        self.rangeBytes = UInt64(rangeBytes)
    }

    /// The next task, or nil when every file is handed out. When the walk has not listed the
    /// next file yet, calls `beforeWaiting` (a reader sends the events it holds) and waits. A
    /// task of a file listed with `statusAtOpen` must be given back with `opened(_:splitting:)`.
    func next(beforeWaiting: () -> Void = {}) -> Task? {
        condition.lock()
        defer { condition.unlock() }
        while abandonment == nil {
            if let task = nextRange() { return task }
            let position = nextPosition
            if let job = stream.jobIfListed(at: position) {
                nextPosition += 1
                guard job.size > rangeBytes else {
                    if job.statusAtOpen { opening += 1 }
                    return Task(position: position, job: job, range: nil, file: nil)
                }
                let ranges = SharedFile.rangeCount(size: job.size, rangeBytes: rangeBytes)
                splits.append(Split(file: SharedFile(position: position, job: job, ranges: ranges), next: 0))
                return nextRange()
            }
            let listed = stream.snapshot
            if listed.complete && position >= listed.count {
                guard opening > 0 else { return nil }
                // A file being opened may be cut into ranges for this reader.
                condition.wait()
            } else {
                // While a file listed by its entry is being opened, its ranges may come before
                // the walk's next file: look again every few milliseconds (a wait on the stream
                // alone would leave them all to the reader that opened it while the walk goes on).
                let timeout = opening > 0 ? Self.splitPollSeconds : nil
                condition.unlock()
                beforeWaiting()
                _ = stream.waitForJob(at: position, timeout: timeout)
                condition.lock()
            }
        }
        return nil
    }

    /// The next range of the earliest file being cut (locked).
    private func nextRange() -> Task? {
        guard var split = splits.first else { return nil }
        let size = split.file.job.size
        let end = min(size, split.next + rangeBytes)
        let task = Task(position: split.file.position, job: split.file.job, range: split.next ..< end, file: split.file)
        split.next = end
        if end == size { splits.removeFirst() } else { splits[0] = split }
        return task
    }

    /// Gives back the task of a file listed with `statusAtOpen`, now open by `reader` when it
    /// is to be read in ranges (larger than `rangeBytes`, or lent in place); nil when it is read
    /// whole or failed. Returns the file's shared state and its first range, for the caller to
    /// read; the other ranges go to any reader, before any new file (after `abandon`, they end
    /// at once with its problem).
    func opened(_ position: Int, splitting reader: FileReader?) -> (file: SharedFile, first: Range<UInt64>)? {
        condition.lock()
        defer { condition.unlock() }
        opening -= 1
        condition.broadcast()
        guard let reader else { return nil }
        let size = reader.job.size
        let file = SharedFile(position: position, job: reader.job, ranges: SharedFile.rangeCount(size: size, rangeBytes: rangeBytes),
                              reader: reader)
        let first = 0 ..< min(size, rangeBytes)
        guard first.upperBound < size else { return (file, first) }
        let split = Split(file: file, next: first.upperBound)
        if let abandonment {
            // The caller reads the first range; it is still out, so none of these is the last.
            _ = end(split, with: abandonment)
        } else {
            splits.append(split)
        }
        return (file, first)
    }

    /// Ends the ranges of `split` not handed out with `problem` (locked); the file's outcome
    /// when none of its ranges is still being read.
    private func end(_ split: Split, with problem: (FileJob) -> FileProblem) -> FileProblem?? {
        let file = split.file
        file.fail(problem(file.job))
        var outcome: FileProblem??
        for _ in 0 ..< SharedFile.rangeCount(size: file.job.size - split.next, rangeBytes: rangeBytes) {
            if let last = file.rangeFinished() { outcome = last }
        }
        return outcome
    }
}

extension ReadPlan {
    /// Stops handing out tasks (an interrupted run). The ranges of the files being handed out
    /// that no reader took end with `problem`; returns the outcomes of those files no range of
    /// which is still being read (the caller sends their `.ended` events), so that each file
    /// gets its one report.
    func abandon(with problem: @escaping (FileJob) -> FileProblem) -> [(file: SharedFile, problem: FileProblem?)] {
        condition.lock()
        defer { condition.unlock() }
        abandonment = problem
        condition.broadcast()
        let outcomes = splits.compactMap { split in end(split, with: problem).map { (split.file, $0) } }
        splits = []
        return outcomes
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

    /// A file of `ranges` ranges; `reader`, when given, is already open (a file whose size was
    /// learnt when it was opened, `FileJob.statusAtOpen`).
    init(position: Int, job: FileJob, ranges: Int, reader: FileReader? = nil) {
        self.position = position
        self.job = job
        remaining = ranges
        if let reader {
            opened = true
            self.reader = reader
        }
    }

    /// The ranges of `rangeBytes` a file of `size` bytes is read in (at least one).
    static func rangeCount(size: UInt64, rangeBytes: UInt64) -> Int {
        max(1, Int((size + rangeBytes - 1) / rangeBytes))
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
