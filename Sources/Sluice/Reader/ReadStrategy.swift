/// How the reader gets a file's bytes.
///
/// "In place" applies only when every lane of the run computes on this CPU: the file is
/// mapped and the SIMD kernels hash its bytes where they lie, with no copy (`LentRange`).
/// Otherwise (an OpenCL lane wants staged, possibly pinned, bytes) files are copied into staging.
public enum ReadStrategy: String, Sendable, CaseIterable {
    /// Files of at least `ReaderStage.inPlaceThreshold` bytes in place, when that applies;
    /// everything else `pread` into staging (or mapped and copied from `FileReader.mmapThreshold`
    /// bytes, a threshold above every size by default: `pread` measured faster, see `FileReader`).
    case automatic
    /// Always `pread` into staging: no file is mapped.
    case pread
    /// Always map the file (except a 0-byte file, which is never mapped): hashed in place when
    /// that applies, else copied out through the SIGBUS-guarded copy. If `mmap` fails the
    /// reader falls back to `pread` silently.
    case mmap
}
