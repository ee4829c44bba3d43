import Foundation
import Sluice

/// `--frames-npy DIR`: writes each file's frames to `DIR/NNNNNNNN.npy` (the file's position in
/// given order, from 0) before its JSONL line, which names the file (`frames_npy`).
final class FramesNPYSink: ResultSink {
    private let inner: ResultSink
    private let directory: String

    /// Creates `directory` if it is missing.
    init(inner: ResultSink, directory: String) throws {
        self.inner = inner
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SetupError("--frames-npy \(directory): \(error.localizedDescription)")
        }
    }

    func write(_ result: FileResult) throws {
        guard let output = result.output, !output.frames.isEmpty, result.index >= 0 else {
            return try inner.write(result)
        }
        let path = (directory as NSString).appendingPathComponent(String(format: "%08d.npy", result.index))
        // A new file beside the final name, renamed over it: a reader never sees half a file.
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(FramesNPY.bytes(of: output.frames))),
              rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OutputError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        var annotated = result
        annotated.output = AnnotatedOutput(base: output, extra: [JSONMember("frames_npy", .string(path))])
        try inner.write(annotated)
    }

    func finish() throws { try inner.finish() }
    func caughtUp() throws { try inner.caughtUp() }
    func flush() throws { try inner.flush() }
}

/// A kernel's output with more members on the file's line.
private struct AnnotatedOutput: KernelOutput {
    let base: any KernelOutput
    let extra: [JSONMember]
    var digest: [UInt8]? { base.digest }
    var members: [JSONMember] { base.members + extra }
    var frames: [FrameOutput] { base.frames }
}
