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
/// That is safe because readers copy disjoint ranges; only pages wholly inside a copy are
/// dropped. A copy's ends are page-aligned (multiples of 64 KiB) except at the end of the file
/// and where frames (`UnitLayout`) cut pieces elsewhere: then the page at each end of a copy
/// stays mapped until the mapping goes.
///
/// If another process truncates the file, touching the vanished pages raises SIGBUS. A mapping
/// is read in one of two ways (Sources/CSluice/sigbus_guard.c), neither of which lets SIGBUS
/// kill the process:
/// - copied out with `copy(into:at:)`, a C `memcpy` under a thread-local SIGBUS guard that turns
///   the fault into an error return;
/// - read in place (`inPlace`): the SIMD kernels hash the bytes where they are, with no copy; a
///   SIGBUS inside the mapping maps a zero page over the vanished page and sets `faulted`, and
///   whoever reads a range checks `faulted` afterwards and drops what it computed.
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
    /// The SIGBUS registration of a mapping read in place, -1 for one copied from.
    private let guardHandle: Int32

    /// Maps `length` bytes of `fd` from offset 0 and advises sequential access.
    /// `nil` when `length` is 0, the kernel refuses the mapping (ENOMEM, a file system without
    /// mmap support, …) or, with `inPlace`, every SIGBUS registration is taken: the caller then
    /// reads with `pread`. The corresponding C functions are `mmap` and `madvise`.
    /// - Parameter inPlace: the mapping's bytes will be read where they are (see the type's note).
    init?(fd: Int32, length: UInt64, inPlace: Bool = false) {
        guard length > 0, length <= UInt64(Int.max) else { return nil }
        guard let address = mmap(nil, Int(length), PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else {
            return nil
        }
        if inPlace {
            guardHandle = sluice_guard_mapping(address, Int(length))
            guard guardHandle >= 0 else {
                munmap(address, Int(length))
                return nil
            }
        } else {
            guardHandle = -1
        }
        // Advice only: a refusal changes nothing but read-ahead.
        _ = madvise(address, Int(length), MADV_SEQUENTIAL)
        base = UnsafeRawPointer(address)
        self.length = Int(length)
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Whether this mapping is read in place.
    var inPlace: Bool { guardHandle >= 0 }

    /// For a mapping read in place: whether a read touched a page the file no longer has (the
    /// file shrank; that read saw zeros). Check it after the read.
    var faulted: Bool { guardHandle >= 0 && sluice_mapping_faulted(guardHandle) != 0 }

    /// The bytes at `offset`, to be read in place; `offset + count <= length`.
    func bytes(at offset: Int) -> UnsafeRawPointer { base + offset }

    /// Maps the pages of `range` into the page tables now, from the calling (reader) thread, so
    /// that the kernels that hash them later take no page faults. Returns false when the range
    /// is no longer all inside the file (it shrank: a read met SIGBUS and saw a zero page).
    ///
    /// It reads one byte per 64 KiB (`sluice_touch_pages`): each read faults, and the kernel's
    /// fault-around (`fault_around_bytes`, 64 KiB by default) maps the 16 pages of that window
    /// in one go, the page-fault path b3sum takes. A page fault-around leaves out (one still
    /// being read from disk, or a kernel with a smaller window) is faulted in by the kernel that
    /// reads it, under the same SIGBUS guard. Measured on 2 × 1 GiB (eighth session, 9
    /// alternated runs, system CPU s): `MADV_POPULATE_READ`, used before, 0.31–0.33 (after
    /// faulting it walks the page tables again page by page, `follow_page_pte`: 8% of the CPU);
    /// one read a page 0.23 (the reads themselves 2.2% of the CPU: a TLB miss each); one read
    /// per 64 KiB 0.21; b3sum 0.22 ([performance.md](../../../docs/performance.md)).
    func populate(_ range: Range<Int>) -> Bool {
        let start = range.lowerBound / pageSize * pageSize
        guard range.upperBound > start else { return true }
        sluice_touch_pages(base + start, range.upperBound - start, max(pageSize, Self.faultAroundBytes))
        return !faulted
    }

    /// The span one page fault maps in on Linux by default (`fault_around_bytes`).
    private static let faultAroundBytes = 64 << 10

    /// Copies `destination.count` bytes starting at `offset` into `destination`, then releases
    /// the whole pages of that range from the page tables. Safe to call from several threads
    /// for disjoint ranges. The caller guarantees `offset + destination.count <= length`.
    func copy(into destination: UnsafeMutableRawBufferPointer, at offset: Int) -> CopyOutcome {
        guard let target = destination.baseAddress, destination.count > 0 else { return .copied }
        // A mapping read in place turns SIGBUS into zeros, not into the guard's error: check both.
        let copied = sluice_guarded_copy(target, base + offset, destination.count) == 0 && !faulted
        release(offset ..< offset + destination.count)
        return copied ? .copied : .shrank
    }

    /// Drops the pages wholly inside `range` (and the file's last, partial page when `range`
    /// reaches the end) from this process's page tables. The corresponding C function is `madvise`.
    func release(_ range: Range<Int>) {
        let start = (range.lowerBound + pageSize - 1) / pageSize * pageSize
        let end = range.upperBound == length ? (length + pageSize - 1) / pageSize * pageSize
                                             : range.upperBound / pageSize * pageSize
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        // Unregistered first: nothing reads the mapping any more, and its address range may be
        // reused by the next mapping as soon as it is unmapped.
        if guardHandle >= 0 { sluice_unguard_mapping(guardHandle) }
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }
}
