#if canImport(Glibc)
import Glibc
#endif

/// A buffered writer on a file descriptor (standard output by default).
///
/// Results are small and many; one `write` per 64 KiB instead of one per line. A failed write
/// (EPIPE, ENOSPC, EIO) is thrown, never retried and pretended.
public final class OutputStream {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold = 64 * 1024

    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// Appends bytes, writing out when the buffer is full.
    public func write<S: Sequence>(_ bytes: S) throws where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Appends a string's UTF-8.
    public func write(_ string: String) throws { try write(string.utf8) }

    /// Writes out everything buffered.
    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                buffer.removeAll(keepingCapacity: true)
                throw OutputError(message: "cannot write output: \(String(cString: strerror(code)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A failure writing results.
public struct OutputError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
