import Foundation

/// Writes one JSON object per file and line.
///
/// Fields: `path` (UTF-8, U+FFFD for invalid bytes), `path_base64` (the exact bytes, only when
/// the name is not UTF-8), `size`, `kernel`, `device`, then `digest` (hex) or `status`
/// (`error`, `changed`, `vanished`, `skipped`) and `error` (the message).
public final class JSONLinesSink: ResultSink {
    private let output: OutputStream
    private let kernel: String
    private let device: String

    public init(output: OutputStream, kernel: String, device: String) {
        self.output = output
        self.kernel = kernel
        self.device = device
    }

    public func write(_ result: FileResult) throws {
        var line = "{\"path\":" + JSONLinesSink.quoted(result.path.description)
        if !result.path.isValidUTF8 {
            line += ",\"path_base64\":\"" + Data(result.path.bytes).base64EncodedString() + "\""
        }
        line += ",\"size\":\(result.size),\"kernel\":" + JSONLinesSink.quoted(kernel)
        line += ",\"device\":" + JSONLinesSink.quoted(device)
        if let hex = result.hexDigest {
            line += ",\"digest\":\"" + hex + "\""
        } else if let problem = result.problem {
            line += ",\"status\":\"" + problem.kind.rawValue + "\",\"error\":" + JSONLinesSink.quoted(problem.message)
        }
        line += "}\n"
        try output.write(line)
    }

    public func finish() throws { try output.flush() }

    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
