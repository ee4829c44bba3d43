#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSluice

/// A read-only shared mapping of a whole file, unmapped on `deinit`.
///
/// Bytes leave the mapping only through `sluice_guarded_copy`, a C `memcpy` under a thread-local
/// SIGBUS guard: if another process truncates the file, touching the vanished pages raises
/// SIGBUS, which the guard turns into an error return instead of killing the process.
final class FileMapping {
    /// The first byte of the mapping.
    private let base: UnsafeRawPointer
    /// The mapped length in bytes (the file's listed size).
    let length: Int

    /// Maps `length` bytes of `fd` from offset 0 and advises sequential access.
    /// `nil` when `length` is 0 or the kernel refuses the mapping (ENOMEM, a file system
    /// without mmap support, …): the caller then reads with `pread`.
    /// The corresponding C functions are `mmap` and `madvise`.
    init?(fd: Int32, length: UInt64) {
        guard length > 0, length <= UInt64(Int.max) else { return nil }
        guard let address = mmap(nil, Int(length), PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else {
            return nil
        }
        // Advice only: a refusal changes nothing but read-ahead.
        _ = madvise(address, Int(length), MADV_SEQUENTIAL)
        self.base = UnsafeRawPointer(address)
        self.length = Int(length)
    }

    /// Copies `destination.count` bytes starting at `offset` into `destination`.
    /// Returns false when the copy hit SIGBUS (the file is shorter than the mapping now).
    /// The caller guarantees `offset + destination.count <= length`.
    func copy(into destination: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        guard let target = destination.baseAddress, destination.count > 0 else { return true }
        return sluice_guarded_copy(target, base + offset, destination.count) == 0
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }
}
