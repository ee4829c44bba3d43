import Foundation

/// The whole contents of a file, read with `read(2)` until end of file, so that pipes, FIFOs and
/// `/dev/stdin` work (FileManager's `contents(atPath:)` returns nil for them).
func readWholeFile(_ path: String) throws -> Data {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw SetupError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { try? handle.close() }
    do {
        return try handle.readToEnd() ?? Data()
    } catch {
        throw SetupError("cannot read \(path): \(error.localizedDescription)")
    }
}
