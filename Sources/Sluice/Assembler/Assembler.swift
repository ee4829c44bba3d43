/// The assembler stage: merges each file's partials as batches finish and finalizes the file
/// when its last subtree and its reader's end-of-file check have both arrived.
///
/// Runs on one thread; everything it owns is touched only there.
public final class Assembler {
    private let stream: CatalogStream
    private let mode: BLAKE3Mode
    /// Files with partials or an end seen, by position; removed when the file's result is out,
    /// so memory follows the files in flight, not the corpus.
    private var assemblies: [Int: BLAKE3FileAssembly] = [:]
    private var ended: Set<Int> = []
    private var failed: Set<Int> = []
    /// Files whose length is not their listed size (the reader measured another).
    private var sizes: [Int: UInt64] = [:]
    private let emit: ([FileResult]) -> Void
    /// Results of the current `accept`, handed on together.
    private var finished: [FileResult] = []
    /// Assembler-stage totals.
    public let clock = StageClock(name: "assemble", threads: 1)

    /// - Parameter emit: receives the files' results, in completion order, a group per `accept`.
    public init(stream: CatalogStream, mode: BLAKE3Mode, emit: @escaping ([FileResult]) -> Void) {
        self.stream = stream
        self.mode = mode
        self.emit = emit
    }

    private func size(of position: Int) -> UInt64 { sizes[position] ?? stream.job(at: position).size }

    /// Adds a computed batch's partials.
    public func accept(_ batch: ComputedBatch) {
        let started = StageClock.now()
        batch.records.withUnsafeBufferPointer { records in
            for (index, subtree) in batch.subtrees.enumerated() {
                let position = subtree.fileIndex
                guard !failed.contains(position) else { continue }
                let record = records.baseAddress! + index * BLAKE3PartialRecords.stride
                if assemblies[position] == nil {
                    assemblies[position] = BLAKE3FileAssembly(fileSize: size(of: position))
                }
                assemblies[position]!.add(subtree, record: record)
                finishIfComplete(position)
            }
        }
        handOn()
        clock.record(since: started, items: 1)
    }

    /// Takes note of files' ends (or failures) as the readers saw them.
    public func accept(_ events: [FileEvent]) {
        let started = StageClock.now()
        for event in events { accept(event) }
        handOn()
        clock.record(since: started)
    }

    private func handOn() {
        guard !finished.isEmpty else { return }
        emit(finished)
        finished.removeAll(keepingCapacity: true)
    }

    private func accept(_ event: FileEvent) {
        switch event {
        case .measured(let position, let size):
            sizes[position] = size
        case .ended(let position, let problem?):
            // Partials of it that arrive later are dropped: it stays marked until the run ends.
            failed.insert(position)
            assemblies[position] = nil
            sizes[position] = nil
            let job = stream.job(at: position)
            finished.append(FileResult(index: job.index, path: job.path, size: job.size, digest: nil, problem: problem))
        case .ended(let position, nil):
            ended.insert(position)
            if assemblies[position] == nil { assemblies[position] = BLAKE3FileAssembly(fileSize: size(of: position)) }
            finishIfComplete(position)
        }
    }

    private func finishIfComplete(_ position: Int) {
        guard ended.contains(position), assemblies[position]?.isComplete == true else { return }
        let digest = assemblies[position]!.finalize(mode: mode)
        let length = size(of: position)
        assemblies[position] = nil
        ended.remove(position)
        sizes[position] = nil
        let job = stream.job(at: position)
        finished.append(FileResult(index: job.index, path: job.path, size: length, digest: digest, problem: nil))
    }
}
