/// Writes digests as b3sum lines on an output stream and problems as messages on stderr.
/// Only a failure to write the digests is an error: a lost diagnostic is not.
public final class B3SumSink: ResultSink {
    private let output: OutputStream
    private let zero: Bool

    public init(output: OutputStream, zero: Bool = false) {
        self.output = output
        self.zero = zero
    }

    public func write(_ result: FileResult) throws {
        if let hex = result.hexDigest {
            try output.write(B3SumFormat.line(hexDigest: hex, path: result.path, zero: zero))
        } else if let problem = result.problem {
            Diagnostics.write(ProblemMessage.line(problem))
        }
    }

    public func flush() throws { try output.flush() }

    public func finish() throws {
        try output.flush()
    }
}

/// How a file's problem is printed on stderr.
public enum ProblemMessage {
    /// `sluice: PATH: MESSAGE` (`skipped:` / `vanished:` / `changed:` before the message for
    /// those kinds), newline-terminated; the path as its raw bytes, escaped like b3sum lines.
    public static func line(_ problem: FileProblem) -> [UInt8] {
        var line = Array("sluice: ".utf8)
        line += B3SumFormat.displayName(problem.path)
        line += Array(": ".utf8)
        if problem.kind != .error { line += Array("\(problem.kind.rawValue): ".utf8) }
        line += Array(problem.message.utf8)
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
