#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSluice

/// A read-only shared mapping of a file, one window at a time, unmapped on `deinit`.
///
/// Only one window of `windowBytes` is mapped at once: mapped file pages count in the process's
/// resident memory (RSS) as long as they stay mapped, so mapping a 5 GiB file whole showed a
/// 5 GiB RSS. Moving the window unmaps the pages behind it; RSS then stays at most one window
/// per reader thread whatever the file's size (docs/catalog-and-reader.md).
///
/// Bytes leave the mapping only through `sluice_guarded_copy`, a C `memcpy` under a thread-local
/// SIGBUS guard: if another process truncates the file, touching the vanished pages raises
/// SIGBUS, which the guard turns into an error return instead of killing the process.
final class FileMapping {
    /// What a copy out of the mapping did.
    enum CopyOutcome {
        /// Every byte was copied.
        case copied
        /// The copy hit SIGBUS: the file is now shorter than the range.
        case shrank
        /// A window could not be mapped (ENOMEM, …): the caller reads these bytes another way.
        case unmapped
    }

    /// Bytes per window (a multiple of the page size). 16 MiB: 2 readers keep 32 MiB mapped, a
    /// window change costs one `munmap` + `mmap` (microseconds) per 16 MiB read.
    nonisolated(unsafe) static var windowBytes = 16 << 20

    /// The open descriptor (owned by the caller, who keeps it open while this lives).
    private let fd: Int32
    /// The file's listed length in bytes.
    let length: Int
    private let windowBytes: Int
    /// The window now mapped: its first byte, its file offset and its length.
    private var window: UnsafeRawPointer?
    private var windowOffset = 0
    private var windowLength = 0

    /// Maps the first window of `length` bytes of `fd` and advises sequential access.
    /// `nil` when `length` is 0 or the kernel refuses the mapping (ENOMEM, a file system
    /// without mmap support, …): the caller then reads with `pread`.
    /// The corresponding C functions are `mmap` and `madvise`.
    init?(fd: Int32, length: UInt64, windowBytes: Int = FileMapping.windowBytes) {
        guard length > 0, length <= UInt64(Int.max) else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        self.fd = fd
        self.length = Int(length)
        self.windowBytes = max(page, windowBytes / page * page)
        guard mapWindow(containing: 0) else { return nil }
    }

    /// Copies `destination.count` bytes starting at `offset` into `destination`, moving the
    /// window as needed. The caller guarantees `offset + destination.count <= length`.
    func copy(into destination: UnsafeMutableRawBufferPointer, at offset: Int) -> CopyOutcome {
        guard let target = destination.baseAddress, destination.count > 0 else { return .copied }
        var done = 0
        while done < destination.count {
            let position = offset + done
            if window == nil || position < windowOffset || position >= windowOffset + windowLength {
                guard mapWindow(containing: position) else { return .unmapped }
            }
            let count = min(destination.count - done, windowOffset + windowLength - position)
            guard sluice_guarded_copy(target + done, window! + (position - windowOffset), count) == 0 else {
                return .shrank
            }
            done += count
        }
        return .copied
    }

    /// Replaces the mapped window by the one holding `position`. False when `mmap` fails.
    private func mapWindow(containing position: Int) -> Bool {
        unmapWindow()
        let start = position / windowBytes * windowBytes
        let count = min(windowBytes, length - start)
        guard let address = mmap(nil, count, PROT_READ, MAP_SHARED, fd, off_t(start)), address != MAP_FAILED else {
            return false
        }
        // Advice only: a refusal changes nothing but read-ahead.
        _ = madvise(address, count, MADV_SEQUENTIAL)
        window = UnsafeRawPointer(address)
        windowOffset = start
        windowLength = count
        return true
    }

    private func unmapWindow() {
        if let window { munmap(UnsafeMutableRawPointer(mutating: window), windowLength) }
        window = nil
        windowLength = 0
    }

    deinit {
        unmapWindow()
    }
}
