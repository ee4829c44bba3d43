import Sluice

/// The write stage's sink for `--db`: every result goes to the inner sink (stdout, `-o`) and to
/// the store's `ResultsWriter`.
public final class StoreSink: ResultSink {
    private let inner: ResultSink
    private let writer: ResultsWriter

    public init(inner: ResultSink, writer: ResultsWriter) {
        self.inner = inner
        self.writer = writer
    }

    /// The store first, so that a store that can no longer be written stops the run at once.
    public func write(_ result: FileResult) throws {
        try writer.add(result)
        try inner.write(result)
    }

    /// The inner sink's end, then the last batch.
    public func finish() throws {
        var innerError: Error?
        do { try inner.finish() } catch { innerError = error }
        try writer.close()
        if let innerError { throw innerError }
    }

    public func caughtUp() throws { try inner.caughtUp() }

    public func flush() throws { try inner.flush() }
}
