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
    private let lines: B3SumLineRenderer

    public init(output: OutputStream, zero: Bool = false, style: LineStyle = .standard) {
        self.output = output
        lines = B3SumLineRenderer(zero: zero, style: style)
    }

    public func write(_ result: FileResult) throws {
        if result.succeeded {
            try output.write(result.rendered ?? lines.render(result))
        } else if let problem = result.problem {
            Diagnostics.write(ProblemMessage.line(problem))
        }
    }

    /// The lanes render the lines of the files they finalize (`ResultSink.renderer`).
    public var renderer: (any ResultRenderer)? { lines }

    public func flush() throws { try output.flush() }

    public func finish() throws {
        try output.flush()
    }
}

/// A computed file's b3sum line (a problem is a message on stderr, written by the sink).
public struct B3SumLineRenderer: ResultRenderer {
    let zero: Bool
    let style: B3SumSink.LineStyle

    public init(zero: Bool, style: B3SumSink.LineStyle) {
        self.zero = zero
        self.style = style
    }

    public func render(_ result: FileResult) -> [UInt8] {
        guard let hex = result.hexDigest else { return [] }
        switch style {
        case .standard: return B3SumFormat.line(hexDigest: hex, path: result.path, zero: zero)
        case .tag: return B3SumFormat.tagLine(hexDigest: hex, path: result.path, zero: zero)
        case .digestOnly: return Array(hex.utf8) + [zero ? 0 : UInt8(ascii: "\n")]
        }
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
