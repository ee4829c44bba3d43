#if canImport(Glibc)
import Glibc
#endif

/// Writes diagnostics (problems, warnings, progress, summaries) to standard error.
///
/// Diagnostics never stop a run: a closed, full or broken standard error (`2>&-`,
/// `2>/dev/full`) loses the message, nothing else. (`FileHandle.standardError.write` traps on
/// such an error, which killed whole runs.)
public enum Diagnostics {
    /// Writes `bytes` to file descriptor 2, retrying short writes and `EINTR`; any other failure
    /// drops the rest of the message. The corresponding C function is `write`.
    public static func write<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var message = Array(bytes)
        message.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Writes `text` to standard error as UTF-8.
    public static func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes `text` and a newline to standard error.
    public static func line(_ text: String) { write(Array((text + "\n").utf8)) }

    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, so that a file the
    /// run opens can never take one of their numbers (with `2>&-`, the first file opened would
    /// otherwise become "standard error" and receive diagnostics, or be written to as output).
    /// Call it first thing in `main`. The corresponding C functions are `fcntl` and `open`.
    public static func reserveStandardDescriptors() {
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0 && opened != descriptor {
                _ = dup2(opened, descriptor)
                close(opened)
            }
        }
    }
}
