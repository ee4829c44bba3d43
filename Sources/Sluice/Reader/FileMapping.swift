#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSluice

/// A read-only shared mapping of a whole file that several reader threads copy from at once,
/// unmapped on `deinit`.
///
/// Mapped file pages count in the process's resident memory (RSS) while they stay mapped, so a
/// 5 GiB file mapped whole showed a 5 GiB RSS. Each copy therefore drops the whole pages it has
/// read from this process's page tables (`MADV_DONTNEED`: the page cache keeps them, nothing is
/// re-read); RSS then holds only the ranges being copied right now, whatever the file's size.
/// That is safe because readers copy disjoint ranges whose ends are page-aligned (subtree
/// boundaries, multiples of 64 KiB) except at the end of the file.
///
/// Bytes leave the mapping only through `sluice_guarded_copy`, a C `memcpy` under a thread-local
/// SIGBUS guard: if another process truncates the file, touching the vanished pages raises
/// SIGBUS, which the guard turns into an error return instead of killing the process.
final class FileMapping: @unchecked Sendable {
    /// What a copy out of the mapping did.
    enum CopyOutcome {
        /// Every byte was copied.
        case copied
        /// The copy hit SIGBUS: the file is now shorter than the range.
        case shrank
    }

    /// The first byte of the mapping.
    private let base: UnsafeRawPointer
    /// The mapped length in bytes (the file's listed size).
    let length: Int
    private let pageSize: Int

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
        base = UnsafeRawPointer(address)
        self.length = Int(length)
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Copies `destination.count` bytes starting at `offset` into `destination`, then releases
    /// the whole pages of that range from the page tables. Safe to call from several threads
    /// for disjoint ranges. The caller guarantees `offset + destination.count <= length`.
    func copy(into destination: UnsafeMutableRawBufferPointer, at offset: Int) -> CopyOutcome {
        guard let target = destination.baseAddress, destination.count > 0 else { return .copied }
        let copied = sluice_guarded_copy(target, base + offset, destination.count) == 0
        release(offset ..< offset + destination.count)
        return copied ? .copied : .shrank
    }

    /// Drops the pages wholly inside `range` (and the file's last, partial page when `range`
    /// reaches the end) from this process's page tables. The corresponding C function is `madvise`.
    private func release(_ range: Range<Int>) {
        let start = (range.lowerBound + pageSize - 1) / pageSize * pageSize
        let end = range.upperBound == length ? (length + pageSize - 1) / pageSize * pageSize
                                             : range.upperBound / pageSize * pageSize
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }
}
