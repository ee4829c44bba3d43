import Foundation

/// How far the threads reading ahead of a walk may get (`CatalogOptions.walkLookAhead`): a
/// thread starts reading another directory ahead only while fewer than `directories`
/// directories, holding fewer than `entries` entries in all, are read and not yet reached by
/// the walk. The directory the walk needs now is always read, whatever the bound.
struct WalkLookAhead: Sendable, Hashable {
    var directories = 4096
    var entries = 1 << 18
}

/// Reads directories for a walk on several threads while the walk itself hands out the
/// results in walk order (`CatalogOptions.walkThreads`).
///
/// The walk thread asks for each directory's listing when it reaches it (`listing(of:)`).
/// Reading a directory queues the subdirectories it will enter, in a heap ordered by walk
/// order; `threads - 1` helper threads take the earliest queued directory and read it ahead,
/// within `WalkLookAhead`. The walk thread reads the directory it needs itself when no thread
/// has taken it yet, and while it waits for one a helper is reading, it reads ahead too. A
/// directory of at least `DirectoryReader.parallelClassificationThreshold` entries has its
/// `fstatat`s cut into chunks that idle threads share, and so has a list of as many arguments
/// (`statuses(of:where:)`). Each thread has at most one directory
/// open, so at most `threads` descriptors are open at once.
///
/// Helpers start only when there is something for them to do (a subdirectory queued, a large
/// directory's chunks), so listing a file or a small flat directory starts no thread. They stop
/// when the pool is released.
final class DirectoryReadPool {
    private let state: PoolState

    /// A pool for `threads` reading threads (the walk thread and `threads - 1` helpers).
    init(reader: DirectoryReader, threads: Int, lookAhead: WalkLookAhead) {
        state = PoolState(reader: reader, helpers: max(0, threads - 1), lookAhead: lookAhead)
    }

    deinit { state.stop() }

    /// The listing of `node`, which the walk has reached: read here, or taken from the thread
    /// that read it ahead (waiting for it, and reading ahead meanwhile). Called by the walk
    /// thread only, once per node.
    func listing(of node: DirectoryNode) -> DirectoryListing { state.listing(of: node) }

    /// The `stat`s (following links) of `paths`, in their order, shared with the helpers in
    /// chunks (arguments, e.g. a `--files-from` list); nil where `include` says no. Called by
    /// the walk thread only.
    func statuses(of paths: [RawPath], where include: (RawPath) -> Bool) -> [Result<FileStatus, SystemCallError>?] {
        state.statuses(of: paths, where: include)
    }

    /// The most directories that were being read at once (each with its descriptor open at
    /// some point) and the most that were read ahead at once; for tests.
    var peaks: (reads: Int, directoriesAhead: Int) { state.peaks }

    /// Stops the helpers (the walk has taken every listing) and returns the CPU time they used.
    func finish() -> Double { state.stop() }

    /// How many helper threads were started; for tests.
    var helpersStarted: Int { state.startedHelpers }
}

/// The shared part of a `DirectoryReadPool`, which its helper threads hold; everything mutable
/// is guarded by `condition`.
private final class PoolState: @unchecked Sendable {
    private let condition = NSCondition()
    private let reader: DirectoryReader
    private let helperCount: Int
    private let lookAhead: WalkLookAhead
    /// Entries of a chunk of a large directory's `fstatat`s, or of a list of arguments' `stat`s.
    private static let chunkEntries = 64

    private var queued = WalkOrderHeap()
    private var shares: [any SharedChunks] = []
    private var directoriesAhead = 0
    private var entriesAhead = 0
    private var reads = 0
    private var peakReads = 0
    private var peakAhead = 0
    private(set) var startedHelpers = 0
    private var exitedHelpers = 0
    /// CPU time of the helpers that have exited.
    private var helperCPUSeconds: Double = 0
    private var stopping = false

    init(reader: DirectoryReader, helpers: Int, lookAhead: WalkLookAhead) {
        self.reader = reader
        helperCount = helpers
        self.lookAhead = lookAhead
    }

    var peaks: (reads: Int, directoriesAhead: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (peakReads, peakAhead)
    }

    private enum Work {
        case directory(DirectoryNode)
        case chunk(any SharedChunks, Range<Int>)
    }

    // MARK: The walk thread

    func listing(of node: DirectoryNode) -> DirectoryListing {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch node.state {
            case .new, .queued:
                if case .queued = node.state { queued.remove(node) }
                node.state = .reading(ahead: false)
                let listing = read(node)
                node.state = .taken
                // The walk enters the first of the subdirectories queued next: the helpers are
                // woken only when there is more than that (a chain of single folders stays on
                // this thread instead of bouncing between threads at every level).
                if queued.count > 1 { wake() }
                return listing
            case .read(let listing, let ahead):
                node.state = .taken
                if ahead {
                    directoriesAhead -= 1
                    entriesAhead -= listing.steps?.count ?? 0
                    condition.broadcast()
                }
                return listing
            case .reading:
                if let work = nextWork() { perform(work) } else { condition.wait() }
            case .taken:
                preconditionFailure("a directory's listing is taken once")
            }
        }
    }

    // MARK: Helpers

    private func helperLoop() {
        condition.lock()
        while !stopping {
            if let work = nextWork() { perform(work) } else { condition.wait() }
        }
        exitedHelpers += 1
        helperCPUSeconds += ThreadCPUTime.seconds()
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the helpers and waits until they are gone (they are idle: the walk took every
    /// listing before the pool was released).
    /// Returns the CPU time the helpers used.
    @discardableResult
    func stop() -> Double {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while exitedHelpers < startedHelpers { condition.wait() }
        return helperCPUSeconds
    }

    /// Starts the helpers the first time there is work for them (locked).
    private func startHelpersIfNeeded() {
        guard startedHelpers == 0, helperCount > 0, !stopping else { return }
        startedHelpers = helperCount
        for number in 0 ..< helperCount {
            let thread = Thread { [self] in
                Thread.current.name = "sluice-walk-\(number + 2)"
                helperLoop()
            }
            thread.start()
        }
    }

    // MARK: Work (all called locked)

    /// A chunk of a large directory's entries first (some thread waits for it), else the
    /// earliest queued directory if the look-ahead bound allows.
    private func nextWork() -> Work? {
        while let share = shares.first {
            if let range = share.claim() { return .chunk(share, range) }
            shares.removeFirst()
        }
        guard !queued.isEmpty, directoriesAhead < lookAhead.directories, entriesAhead < lookAhead.entries else { return nil }
        let node = queued.popFirst()
        node.state = .reading(ahead: true)
        directoriesAhead += 1
        peakAhead = max(peakAhead, directoriesAhead)
        return .directory(node)
    }

    /// Does `work` unlocked; returns locked.
    private func perform(_ work: Work) {
        switch work {
        case .directory(let node):
            let listing = read(node)
            node.state = .read(listing, ahead: true)
            entriesAhead += listing.steps?.count ?? 0
            if !queued.isEmpty { startHelpersIfNeeded() }
            condition.broadcast()
        case .chunk(let share, let range):
            condition.unlock()
            share.perform(range)
            condition.lock()
            if share.finishChunk() { condition.broadcast() }
        }
    }

    /// Starts the helpers if they are not running yet and wakes every waiting thread (locked).
    private func wake() {
        startHelpersIfNeeded()
        condition.broadcast()
    }

    /// Reads `node` unlocked, then queues the subdirectories it will enter; returns locked. The
    /// caller wakes whoever should take them.
    private func read(_ node: DirectoryNode) -> DirectoryListing {
        reads += 1
        peakReads = max(peakReads, reads)
        condition.unlock()
        let listing = reader.read(node) { names, directory in classify(names, in: directory) }
        condition.lock()
        reads -= 1
        for step in (listing.steps ?? []).reversed() {
            guard case .enter(let child) = step else { continue }
            child.state = .queued
            queued.insert(child)
        }
        return listing
    }

    /// The classifier of a read-ahead walk (called unlocked, by the thread reading the
    /// directory): a large directory's chunks are offered to idle threads, and this thread takes
    /// them too until none is left; it then waits for the ones others took.
    private func classify(_ names: [[UInt8]], in directory: Int32) -> [EntryClass] {
        guard helperCount > 0, names.count >= DirectoryReader.parallelClassificationThreshold else {
            return names.map { reader.classify($0, in: directory) }
        }
        let entryReader = reader
        return share(ChunkedResults(count: names.count, chunkEntries: Self.chunkEntries) { index in
            entryReader.classify(names[index], in: directory)
        })
    }

    /// See `DirectoryReadPool.statuses(of:where:)` (called unlocked, by the walk thread).
    func statuses(of paths: [RawPath], where include: (RawPath) -> Bool) -> [Result<FileStatus, SystemCallError>?] {
        let wanted = paths.map(include)
        guard helperCount > 0, paths.count >= DirectoryReader.parallelClassificationThreshold else {
            return zip(paths, wanted).map { path, wanted in wanted ? SystemCall.status(of: path, follow: true) : nil }
        }
        return share(ChunkedResults(count: paths.count, chunkEntries: Self.chunkEntries) { index in
            wanted[index] ? SystemCall.status(of: paths[index], follow: true) : nil
        })
    }

    /// Offers `work`'s chunks to idle threads, takes them on this thread too until none is
    /// left, then waits for the ones others took (called unlocked; returns unlocked).
    private func share<Output>(_ work: ChunkedResults<Output>) -> [Output] {
        condition.lock()
        shares.append(work)
        wake()
        while let range = work.claim() {
            condition.unlock()
            work.perform(range)
            condition.lock()
            _ = work.finishChunk()
        }
        while !work.isFinished { condition.wait() }
        condition.unlock()
        return work.takeResults()
    }
}

/// Work on consecutive indices cut into chunks that the pool's threads share.
private protocol SharedChunks: AnyObject {
    /// The next unclaimed chunk, if any (locked).
    func claim() -> Range<Int>?
    /// Does a claimed chunk (unlocked).
    func perform(_ range: Range<Int>)
    /// Records a chunk as done (locked); true when it was the last.
    func finishChunk() -> Bool
}

/// One result per index (the `fstatat`s of a large directory, the `stat`s of a list of
/// arguments), computed in chunks by several threads. Claims and completions are made under the
/// pool's lock; each chunk's slots are written by the one thread that claimed it, and read by
/// the owner only after every chunk is finished.
private final class ChunkedResults<Output>: SharedChunks, @unchecked Sendable {
    private let count: Int
    private let compute: (Int) -> Output
    private let chunkEntries: Int
    private let chunkCount: Int
    private var claimed = 0
    private var finished = 0
    private let slots: UnsafeMutableBufferPointer<Output?>

    init(count: Int, chunkEntries: Int, compute: @escaping (Int) -> Output) {
        self.count = count
        self.compute = compute
        self.chunkEntries = chunkEntries
        chunkCount = (count + chunkEntries - 1) / chunkEntries
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func claim() -> Range<Int>? {
        guard claimed < chunkCount else { return nil }
        let start = claimed * chunkEntries
        claimed += 1
        return start ..< min(count, start + chunkEntries)
    }

    func perform(_ range: Range<Int>) {
        for index in range { slots[index] = compute(index) }
    }

    func finishChunk() -> Bool {
        finished += 1
        return finished == chunkCount
    }

    /// Every chunk is done (locked).
    var isFinished: Bool { finished == chunkCount }

    /// The results in index order, once finished.
    func takeResults() -> [Output] { slots.map { $0! } }
}
