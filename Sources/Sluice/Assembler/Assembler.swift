/// The assembler stage: merges each file's partials as batches finish and finalizes the file
/// when its last subtree and its reader's end-of-file check have both arrived.
///
/// Runs on one thread; everything it owns is touched only there.
public final class Assembler {
    private let jobs: [FileJob]
    private let mode: BLAKE3Mode
    private var assemblies: [BLAKE3FileAssembly?]
    private var ended: [Bool]
    private var failed: [Bool]
    /// Each file's length: its listed size unless the reader measured another.
    private var sizes: [UInt64]
    private let emit: (FileResult) -> Void
    /// Assembler-stage totals.
    public let clock = StageClock(name: "assemble", threads: 1)

    /// - Parameter emit: receives each file's result, in completion order.
    public init(jobs: [FileJob], mode: BLAKE3Mode, emit: @escaping (FileResult) -> Void) {
        self.jobs = jobs
        self.mode = mode
        assemblies = Array(repeating: nil, count: jobs.count)
        ended = Array(repeating: false, count: jobs.count)
        failed = Array(repeating: false, count: jobs.count)
        sizes = jobs.map(\.size)
        self.emit = emit
    }

    /// Adds a computed batch's partials.
    public func accept(_ batch: ComputedBatch) {
        let started = StageClock.now()
        batch.records.withUnsafeBufferPointer { records in
            for (index, subtree) in batch.subtrees.enumerated() {
                let position = subtree.fileIndex
                guard !failed[position] else { continue }
                if assemblies[position] == nil {
                    assemblies[position] = BLAKE3FileAssembly(fileSize: sizes[position])
                }
                assemblies[position]!.add(subtree, record: records.baseAddress! + index * BLAKE3PartialRecords.stride)
                finishIfComplete(position)
            }
        }
        clock.record(since: started, items: 1)
    }

    /// Takes note of a file's end (or failure) as the reader saw it.
    public func accept(_ event: FileEvent) {
        switch event {
        case .measured(let position, let size):
            sizes[position] = size
        case .ended(let position, let problem?):
            failed[position] = true
            assemblies[position] = nil
            let job = jobs[position]
            emit(FileResult(index: job.index, path: job.path, size: job.size, digest: nil, problem: problem))
        case .ended(let position, nil):
            ended[position] = true
            if assemblies[position] == nil { assemblies[position] = BLAKE3FileAssembly(fileSize: sizes[position]) }
            finishIfComplete(position)
        }
    }

    private func finishIfComplete(_ position: Int) {
        guard ended[position], assemblies[position]?.isComplete == true else { return }
        let digest = assemblies[position]!.finalize(mode: mode)
        assemblies[position] = nil
        let job = jobs[position]
        emit(FileResult(index: job.index, path: job.path, size: sizes[position], digest: digest, problem: nil))
    }
}
