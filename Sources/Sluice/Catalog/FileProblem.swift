/// Something the catalog or the reader could not process, reported for that path alone.
public struct FileProblem: Sendable, Hashable, Error, CustomStringConvertible {
    /// How serious it is; it decides the exit code (see docs/cli.md).
    public enum Kind: String, Sendable, Hashable {
        /// Not a regular file (FIFO, socket, device) or a directory loop: noted, not an error.
        case skipped
        /// Removed between listing and reading (ENOENT): a warning kept apart from errors.
        case vanished
        /// Size, mtime or inode differed between listing and the end of reading.
        case changed
        /// Anything else that stopped the file (EACCES, EIO, ELOOP, a dangling link, …).
        case error
    }

    /// The path as the user will recognise it.
    public var path: RawPath
    /// The category.
    public var kind: Kind
    /// A short human explanation, e.g. "Permission denied (open)".
    public var message: String

    public init(path: RawPath, kind: Kind, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    /// Whether this problem makes the run exit 1 (skips and vanished files do not).
    public var isFailure: Bool { kind == .error || kind == .changed }

    public var description: String { "\(path): \(message)" }
}
