/// What the reader stage tells the assembler about a file outside of batches.
public enum FileEvent: Sendable {
    /// The file's length is not its listed size (it was read to its end when opened, see
    /// `FileReader.readsToEnd`); sent before any of its batches, so the assembler cuts the file
    /// as the reader did.
    case measured(position: Int, size: UInt64)
    /// The file was read to its end and passed the end-of-read checks (all its pieces are in
    /// batches), or it failed with `problem` (its partials, if any, are to be dropped). Sent
    /// once per file that a reader took, after every range of it was read, except for a file
    /// that went whole into one batch and passed its checks (`WholeFile`: the batch says so). `job` is the
    /// file as listed (the result carries its index and path).
    case ended(position: Int, job: FileJob, problem: FileProblem?)
    /// A stream (`FileJob.isStream`) was read to its end and computed by the reader: its length
    /// and the kernel's output. Sent instead of `.ended`, and the stream has no batches.
    case computed(position: Int, job: FileJob, size: UInt64, output: any KernelOutput)
}
