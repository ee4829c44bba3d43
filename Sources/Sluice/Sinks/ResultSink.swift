/// Where results go: the write stage.
public protocol ResultSink: AnyObject {
    /// Writes one file's result (a digest or a problem).
    func write(_ result: FileResult) throws
    /// Flushes and closes whatever the sink holds.
    func finish() throws
}

/// The output formats of `sluice run`.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// `HEX  PATH` lines, as b3sum prints them.
    case b3sum
    /// One JSON object per line.
    case jsonl
}
