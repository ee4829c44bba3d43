/// What a run says about one file: its kernel's output, or the problem that stopped it.
public struct FileResult: Sendable {
    /// The file's position in the catalog's given order.
    public var index: Int
    /// The path as given or walked.
    public var path: RawPath
    /// Size in bytes as listed (0 when unknown, e.g. a file that could not be listed).
    public var size: UInt64
    /// What the kernel computed, or nil when `problem` is set.
    public var output: (any KernelOutput)?
    /// Why there is no output.
    public var problem: FileProblem?
    /// The file as the catalog listed it (size, mtime, device, inode: its identity for the
    /// results store); nil for a problem found while listing, and for a file listed by its
    /// directory entry alone that failed before its `fstat` at open (`FileJob.statusAtOpen`).
    public var listed: FileJob?
    /// The bytes the run's sink writes for it, when a lane rendered them (`ResultSink.renderer`).
    public var rendered: [UInt8]?

    public init(index: Int, path: RawPath, size: UInt64, output: (any KernelOutput)?, problem: FileProblem?,
                listed: FileJob? = nil) {
        self.index = index
        self.path = path
        self.size = size
        self.output = output
        self.problem = problem
        self.listed = listed
    }

    /// The result of `job`: `size` bytes computed into `output`, or `problem`. A job still
    /// listed by its entry alone (`FileJob.statusAtOpen`: it failed before its `fstat` at open)
    /// has no identity to give (`listed` nil).
    public init(job: FileJob, size: UInt64, output: (any KernelOutput)?, problem: FileProblem?) {
        self.init(index: job.index, path: job.path, size: size, output: output, problem: problem,
                  listed: job.statusAtOpen ? nil : job)
    }

    /// A BLAKE3 result: `digest`, or nil with `problem`.
    public init(index: Int, path: RawPath, size: UInt64, digest: [UInt8]?, problem: FileProblem?) {
        self.init(index: index, path: path, size: size, output: digest.map { BLAKE3Digest(bytes: $0) }, problem: problem)
    }

    /// The digest, for kernels that compute one (nil for a problem, or figures).
    public var digest: [UInt8]? { output?.digest }

    /// Whether the kernel's output is there (no problem stopped the file).
    public var succeeded: Bool { output != nil }

    /// The digest in lowercase hexadecimal.
    public var hexDigest: String? { digest.map(Hex.lowercase) }
}
