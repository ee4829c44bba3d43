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

    /// The inner sink's renderer: the store takes the results' fields, not their bytes.
    public var renderer: (any ResultRenderer)? { inner.renderer }

    /// The store first, so that a store that can no longer be written stops the run at once.
    /// - Throws: `OutputError` (exit 3) `--db FILE: why` when a batch failed.
    public func write(_ result: FileResult) throws {
        do {
            try writer.add(result)
        } catch let error as StoreError {
            throw OutputError(message: error.description)
        }
        try inner.write(result)
    }

    /// The inner sink's end, then the last batch.
    public func finish() throws {
        var innerError: Error?
        do { try inner.finish() } catch { innerError = error }
        do {
            try writer.close()
        } catch let error as StoreError {
            throw OutputError(message: error.description)
        }
        if let innerError { throw innerError }
    }

    public func caughtUp() throws { try inner.caughtUp() }

    public func flush() throws { try inner.flush() }
}
