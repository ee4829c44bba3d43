import Foundation
import Sluice

/// The whole contents of a file, read with `read(2)` until end of file, so that pipes, FIFOs and
/// `/dev/stdin` work (FileManager's `contents(atPath:)` returns nil for them), and a name that
/// is not UTF-8 is opened by its exact bytes.
func readWholeFile(_ path: RawPath) throws -> Data {
    let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
    guard fd >= 0 else {
        throw SetupError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    do {
        return try handle.readToEnd() ?? Data()
    } catch {
        throw SetupError("cannot read \(path): \(error.localizedDescription)")
    }
}
