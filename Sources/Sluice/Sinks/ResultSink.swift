/// Where results go: the write stage.
public protocol ResultSink: AnyObject {
    /// Writes one file's result (a digest or a problem).
    func write(_ result: FileResult) throws
    /// Flushes and closes whatever the sink holds.
    func finish() throws
    /// Called when the writer has written every result that is ready and is about to wait for
    /// more: a sink that shows results as they become known (`check`'s verdicts) writes out what
    /// it holds here.
    func caughtUp() throws
    /// Writes out what the sink holds now (the progress line is about to be drawn below it).
    func flush() throws
    /// What renders a result into the bytes this sink writes, on any thread: the lanes render
    /// the files they finalize (`FileResult.rendered`), so the one writer thread only writes.
    /// `nil` for a sink that renders as it writes.
    var renderer: (any ResultRenderer)? { get }
}

/// Renders a result into the bytes a sink writes for it, on any thread.
public protocol ResultRenderer: Sendable {
    func render(_ result: FileResult) -> [UInt8]
}

extension ResultSink {
    /// Nothing by default: run's sinks write out when their buffer is full, and at the end.
    public func caughtUp() throws {}
    /// Nothing by default.
    public func flush() throws {}
    /// None by default: the sink renders as it writes.
    public var renderer: (any ResultRenderer)? { nil }
}

/// The output formats of `sluice run`.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// `HEX  PATH` lines, as b3sum prints them.
    case b3sum
    /// One JSON object per line.
    case jsonl
}
