/// The assembler stage: adds each file's partials to its kernel's accumulator as batches
/// finish, and finalizes the file when the pieces of all its bytes and its reader's
/// end-of-file check have both arrived. Files wholly in one batch arrive finalized by their
/// lane (`WholeFile`); the assembler passes their results on.
///
/// Runs on one thread; everything it owns is touched only there.
public final class Assembler<Kernel: ComputeKernel> {
    private let stream: CatalogStream
    private let kernel: Kernel
    /// A file with partials or its end seen; removed when its result is out, so memory
    /// follows the files in flight, not the corpus.
    private struct InFlight {
        var accumulator: Kernel.Accumulator
        /// The file's length (measured, else as listed).
        let size: UInt64
        /// Bytes of the pieces received so far: the file is complete at `size` (pieces never overlap).
        var bytes: UInt64 = 0
        /// The file as the reader listed it, once its end arrived.
        var ended: FileJob?
    }
    private var inFlight: [Int: InFlight] = [:]
    /// Files that failed: partials of theirs that arrive later are dropped.
    private var failed: Set<Int> = []
    /// Lengths the readers measured (a listed size that was not the length), until the file is in flight.
    private var measured: [Int: UInt64] = [:]
    private let emit: ([FileResult]) -> Void
    /// Results finished since the last `handOn()`, handed on together.
    private var finished: [FileResult] = []
    /// Assembler-stage totals.
    public let clock = StageClock(name: "assemble", threads: 1)

    /// - Parameter emit: receives the files' results, in completion order, a group per `handOn()`.
    public init(stream: CatalogStream, kernel: Kernel, emit: @escaping ([FileResult]) -> Void) {
        self.stream = stream
        self.kernel = kernel
        self.emit = emit
    }

    /// Puts the file in flight if it is not yet, with its length (measured, else as listed in
    /// `job` or, for a batch that comes before the file's end, in the stream). Mutate the state
    /// in place (`inFlight[position]!…`): a copy taken out would make every `add` copy the
    /// file's partials (copy-on-write), quadratic in a large file's subtrees.
    private func start(_ position: Int, job: FileJob? = nil) {
        guard inFlight[position] == nil else { return }
        let size = measured.removeValue(forKey: position) ?? job?.size ?? stream.job(at: position).size
        inFlight[position] = InFlight(accumulator: kernel.makeAccumulator(), size: size)
    }

    /// Adds a computed batch's partials. The files it completes go out with the next `handOn()`.
    public func accept(_ batch: ComputedBatch) {
        let started = StageClock.now()
        // A lane's thread normally did this; a batch that skipped it loses no file.
        let batch = batch.wholeFiles.isEmpty ? batch : batch.finishingWholeFiles(with: kernel)
        let words = kernel.partialWords
        // Files wholly in the batch, finalized by the lane (`ComputedBatch.finishingWholeFiles`).
        finished += batch.results
        batch.partials.withUnsafeBufferPointer { partials in
            for (index, piece) in batch.pieces.enumerated() {
                let position = piece.fileIndex
                guard !failed.contains(position) else { continue }
                start(position)
                inFlight[position]!.accumulator.add(piece, partial: partials.baseAddress! + index * words)
                inFlight[position]!.bytes += UInt64(piece.length)
                finishIfComplete(position)
            }
        }
        clock.record(since: started, items: 1)
    }

    /// Takes note of files' ends (or failures) as the readers saw them. The files they complete
    /// go out with the next `handOn()`.
    public func accept(_ events: [FileEvent]) {
        let started = StageClock.now()
        for event in events { accept(event) }
        clock.record(since: started)
    }

    /// Passes the results finished since the last call on, as one group (none if there are none).
    public func handOn() {
        guard !finished.isEmpty else { return }
        emit(finished)
        finished.removeAll(keepingCapacity: true)
    }

    private func accept(_ event: FileEvent) {
        switch event {
        case .measured(let position, let size):
            measured[position] = size
        case .ended(let position, let job, let problem?):
            failed.insert(position)
            inFlight[position] = nil
            measured[position] = nil
            finished.append(FileResult(job: job, size: job.size, output: nil, problem: problem))
        case .computed(let position, let job, let size, let output):
            inFlight[position] = nil
            measured[position] = nil
            finished.append(FileResult(job: job, size: size, output: output, problem: nil))
        case .ended(let position, let job, nil):
            start(position, job: job)
            inFlight[position]!.ended = job
            finishIfComplete(position)
        }
    }

    /// Emits the file's result once its end and all its partials are in.
    private func finishIfComplete(_ position: Int) {
        // Optional chaining reads the entry in place: a copy would share its partials' storage,
        // and the next `add` would then copy them (copy-on-write).
        guard inFlight[position]?.ended != nil, let bytes = inFlight[position]?.bytes, bytes == inFlight[position]?.size,
              var file = inFlight.removeValue(forKey: position), let job = file.ended else { return }
        let output = file.accumulator.finalize(fileSize: file.size)
        finished.append(FileResult(job: job, size: file.size, output: output, problem: nil))
    }
}
