import Foundation
import Sluice

/// The `--stats-json` file: created (or emptied) before the run, so that an unwritable path is a
/// setup error (exit 2) before any file is read, and written once at the end.
final class StatsFile {
    private let path: RawPath
    private let handle: FileHandle
    /// The file's device and inode: the walk leaves it out, as it does `-o`'s file (it is this
    /// run's output, and it is rewritten at the end).
    let identity: FileIdentity?

    /// Creates or truncates `path`. The corresponding C function is `open`.
    /// - Throws: `SetupError` naming the path and the reason.
    init(creating path: RawPath) throws {
        let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            throw SetupError("cannot write --stats-json \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        var status = stat()
        identity = fstat(fd, &status) == 0 ? FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)) : nil
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Writes `data` as the whole file.
    /// - Throws: `OutputError` (exit 3) when the write fails.
    func write(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data)
            try handle.close()
        } catch {
            throw OutputError(message: "cannot write --stats-json \(path): \(error.localizedDescription)")
        }
    }
}
