/// How a `FileReader` gets a file's bytes.
public enum ReadStrategy: String, Sendable, CaseIterable {
    /// `mmap` for files of at least `FileReader.mmapThreshold` bytes, `pread` below (the
    /// threshold is above every size by default: `pread` measured faster, see `FileReader`).
    case automatic
    /// Always `pread` into the caller's buffer.
    case pread
    /// Always map the file (except a 0-byte file, which is never mapped), copying out through
    /// the SIGBUS-guarded copy; if `mmap` fails the reader falls back to `pread` silently.
    case mmap
}
