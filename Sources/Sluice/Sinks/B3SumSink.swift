/// Writes digests as b3sum lines on an output stream and problems as messages on stderr.
/// Only a failure to write the digests is an error: a lost diagnostic is not.
public final class B3SumSink: ResultSink {
    /// The line each digest is written as.
    public enum LineStyle: Sendable {
        /// `HEX  PATH`, as b3sum and sha256sum print it.
        case standard
        /// `BLAKE3 (PATH) = HEX`, the BSD form (`--tag`).
        case tag
        /// `HEX` alone (`--no-names`, as b3sum).
        case digestOnly
    }

    private let output: OutputStream
    private let zero: Bool
    private let style: LineStyle

    public init(output: OutputStream, zero: Bool = false, style: LineStyle = .standard) {
        self.output = output
        self.zero = zero
        self.style = style
    }

    public func write(_ result: FileResult) throws {
        if let hex = result.hexDigest {
            switch style {
            case .standard: try output.write(B3SumFormat.line(hexDigest: hex, path: result.path, zero: zero))
            case .tag: try output.write(B3SumFormat.tagLine(hexDigest: hex, path: result.path, zero: zero))
            case .digestOnly: try output.write(Array(hex.utf8) + [zero ? 0 : UInt8(ascii: "\n")])
            }
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
