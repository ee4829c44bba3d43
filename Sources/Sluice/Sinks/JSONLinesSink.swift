import Foundation

/// Writes one JSON object per file and line: a `FileRecord` (its fields are the schema).
public final class JSONLinesSink: ResultSink {
    private let output: OutputStream
    private let kernel: any ComputeKernel
    private let device: String

    public init(output: OutputStream, kernel: any ComputeKernel = BLAKE3Kernel(), device: String) {
        self.output = output
        self.kernel = kernel
        self.device = device
    }

    /// The file's line, then one line per frame (`FrameRecord`).
    public func write(_ result: FileResult) throws {
        try output.write(FileRecord(result, kernel: kernel, device: device).jsonLine())
        guard let frames = result.output?.frames, !frames.isEmpty else { return }
        var line: [UInt8] = []
        for frame in frames {
            line.removeAll(keepingCapacity: true)
            FrameRecord.append(frame, of: result, kernel: kernel.name, to: &line)
            try output.write(line)
        }
    }

    public func flush() throws { try output.flush() }

    public func finish() throws { try output.flush() }
}
