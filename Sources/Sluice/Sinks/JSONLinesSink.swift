import Foundation

/// Writes one JSON object per file and line: a `FileRecord` (its fields are the schema).
public final class JSONLinesSink: ResultSink {
    private let output: OutputStream
    private let kernel: String
    private let mode: BLAKE3Mode
    private let device: String

    public init(output: OutputStream, kernel: String, mode: BLAKE3Mode = .hash(), device: String) {
        self.output = output
        self.kernel = kernel
        self.mode = mode
        self.device = device
    }

    public func write(_ result: FileResult) throws {
        try output.write(FileRecord(result, kernel: kernel, mode: mode, device: device).jsonLine())
    }

    public func flush() throws { try output.flush() }

    public func finish() throws { try output.flush() }
}
