#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the `errno` it set and the call's name.
///
/// The message reads like `Permission denied (open)`: the C library's `strerror` text followed
/// by the call, which is what users of coreutils, rsync and b3sum expect to see.
struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value.
    var code: Int32
    /// The name of the C function that failed, e.g. `open`.
    var call: String

    /// Captures the calling thread's current `errno` for `call`.
    static func current(_ call: String) -> SystemCallError {
        SystemCallError(code: errno, call: call)
    }

    /// `strerror(code) (call)`.
    var description: String { "\(SystemCallError.text(for: code)) (\(call))" }

    /// The C library's text for an `errno` value.
    static func text(for code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// The problem this failure means for `path`: ENOENT is `.vanished` (the path was seen
    /// a moment ago), everything else is an `.error`.
    func problem(for path: RawPath) -> FileProblem {
        FileProblem(path: path, kind: code == ENOENT ? .vanished : .error, message: description)
    }
}

/// `O_NOATIME` (Linux): not exported by the Glibc module because it needs `_GNU_SOURCE`.
/// The value is the same on x86-64 and AArch64.
let openNoAccessTime: Int32 = 0o1000000

/// Thin wrappers over the file system calls the catalog and the reader use.
///
/// Each returns a value or throws a `SystemCallError` naming the call; none retries
/// silently except on `EINTR`, where the call is simply repeated.
enum SystemCall {
    /// Opens `path` relative to `directory` (`AT_FDCWD` for the working directory).
    /// The corresponding C function is `openat`.
    static func open(_ path: RawPath, relativeTo directory: Int32 = AT_FDCWD, flags: Int32) throws(SystemCallError) -> Int32 {
        try path.withCString { name in Result { () throws(SystemCallError) in try open(name, relativeTo: directory, flags: flags) } }.get()
    }

    /// `open(_:relativeTo:flags:)` for a NUL-terminated name.
    static func open(_ name: UnsafePointer<CChar>, relativeTo directory: Int32 = AT_FDCWD, flags: Int32) throws(SystemCallError) -> Int32 {
        while true {
            let fd = Glibc.openat(directory, name, flags)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .current("open") }
        }
    }

    /// Status of an open descriptor. The corresponding C function is `fstat`.
    static func status(of fd: Int32) throws(SystemCallError) -> FileStatus {
        var raw = stat()
        if fstat(fd, &raw) != 0 { throw .current("fstat") }
        return FileStatus(raw)
    }

    /// Status of `name` inside `directory` (`AT_FDCWD`: relative to the working directory),
    /// following a final symbolic link only when `follow` is set. Never opens the file, so it
    /// cannot block on a FIFO or wake a device. The corresponding C function is `fstatat`.
    static func status(of name: UnsafePointer<CChar>, relativeTo directory: Int32 = AT_FDCWD, follow: Bool) -> Result<FileStatus, SystemCallError> {
        var raw = stat()
        if fstatat(directory, name, &raw, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0 {
            return .failure(.current(follow ? "stat" : "lstat"))
        }
        return .success(FileStatus(raw))
    }

    /// Status of `path`; see `status(of:relativeTo:follow:)`.
    static func status(of path: RawPath, follow: Bool) -> Result<FileStatus, SystemCallError> {
        path.withCString { status(of: $0, follow: follow) }
    }

    /// Closes a descriptor; errors are ignored because nothing was written through it
    /// (Linux releases the descriptor even when `close` reports `EINTR`).
    /// The corresponding C function is `close`.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
