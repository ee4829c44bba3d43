import Foundation

/// Writes one JSON object per file and line: a `FileRecord` (its fields are the schema).
public final class JSONLinesSink: ResultSink {
    private let output: OutputStream
    private let kernel: String
    private let mode: BLAKE3Mode
    private let device: String
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Sorted keys: the same line for the same result on every run (Foundation keeps no field order).
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public init(output: OutputStream, kernel: String, mode: BLAKE3Mode = .hash(), device: String) {
        self.output = output
        self.kernel = kernel
        self.mode = mode
        self.device = device
    }

    public func write(_ result: FileResult) throws {
        var line = try encoder.encode(FileRecord(result, kernel: kernel, mode: mode, device: device))
        line.append(UInt8(ascii: "\n"))
        try output.write(line)
    }

    public func flush() throws { try output.flush() }

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
