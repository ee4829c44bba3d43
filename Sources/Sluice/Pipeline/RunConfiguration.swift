/// Everything a run needs, decided before any file is read.
public struct RunConfiguration: Sendable {
    /// What to compute over every file.
    public var kernel: any ComputeKernel = BLAKE3Kernel()
    /// Reader threads.
    public var readers: Int = 2
    /// Upper bound on staging memory in bytes; the pool never has fewer buffers than readers +
    /// workers + 1. Small by default: staging that stays in the CPU caches was measured faster
    /// than more of it (docs/performance.md).
    public var memoryBytes: Int = 4 << 20
    /// Staging buffer size; nil for the backend's preference.
    public var batchBytes: Int?
    /// How files are read.
    public var readStrategy: ReadStrategy = .automatic
    /// Emit results in the catalog's given order instead of completion order.
    public var ordered = false
    /// Show a progress line on stderr (only when it is a terminal).
    public var progress = false

    public init() {}
}
