/// A range of a file's mapping lent to a batch that hashes it in place, on a CPU lane.
///
/// Its loan ends when the batch has been computed (the pool recycles the batch). That is also
/// when the range counts as read: a SIGBUS while the kernels read it (the file shrank; they saw
/// zeros) fails the file, and the last range of the file to come back runs the end-of-read
/// checks and sends the file's one `.ended` event. So the checks that the file did not change
/// come after its last byte was hashed, as they do after the last `pread`.
final class LentRange: BatchLender, @unchecked Sendable {
    private let file: SharedFile
    private let reader: FileReader
    private let range: Range<UInt64>
    private let clock: StageClock
    private let send: ([FileEvent]) -> Void

    /// - Parameters:
    ///   - send: takes the file's `.ended` event (from whichever thread gives the last range back).
    init(file: SharedFile, reader: FileReader, range: Range<UInt64>, clock: StageClock,
         send: @escaping ([FileEvent]) -> Void) {
        self.file = file
        self.reader = reader
        self.range = range
        self.clock = clock
        self.send = send
    }

    func giveBack() {
        if reader.shrankWhileLent {
            file.fail(FileProblem(path: file.job.path, kind: .changed,
                                  message: "file shrank while being hashed (SIGBUS on the mapping)"))
        }
        reader.giveBack(range)
        if let outcome = file.rangeFinished() {
            clock.record(since: StageClock.now(), items: 1)
            send([.ended(position: file.position, job: file.job, problem: outcome)])
        }
    }
}
