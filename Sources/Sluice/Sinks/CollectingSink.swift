/// Keeps every result in memory (for `check`, which prints in checksum-file order at the end).
public final class CollectingSink: ResultSink {
    /// Results in the order they were written.
    public private(set) var results: [FileResult] = []

    public init() {}

    public func write(_ result: FileResult) throws { results.append(result) }

    public func finish() throws {}
}
