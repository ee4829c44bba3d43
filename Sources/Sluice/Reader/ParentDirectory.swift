#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of the files one reader thread opens, held open (`O_PATH`) while the next files
/// are in it too, so that each file is opened by its name relative to it (`openat`) instead of
/// by its whole path: the kernel then looks up one name, not every folder of the path again.
/// The walk hands out a folder's files one after another, so a reader meets the same folder
/// many times in a row. Measured with a C loop over tiny's 20 000 files of 4 KiB in walk order
/// (2-core VM): open, `fstat`, `pread`, `fstat`, `close` took 8.6–9.0 µs a file by the whole
/// path (7 components), 7.7–8.2 µs relative to the folder.
///
/// The folder is opened only at the second file in a row that it holds: the first is opened by
/// its whole path. A list whose consecutive files are in different folders (bench's tiny list
/// names `d00/…`, `d01/…`, … in turn) would otherwise pay an `O_PATH` open and a `close` for
/// every file, two system calls on top of the whole-path open they replace (eighth session:
/// 7 calls a file against b3sum's 4 on tiny; docs/performance.md).
///
/// A file is then opened in the folder that its path named when the reader came to the folder's
/// second file, as if the whole path had been resolved then; a folder renamed or replaced between
/// two of its files is not seen again (the identity checks against the listing still apply).
/// Used by one thread; holds at most one descriptor.
final class ParentDirectory {
    /// The folder's path, as the bytes before a file path's last `/`.
    private var path: [UInt8] = []
    private var fd: Int32 = -1
    /// The last file's name, NUL-terminated (reused: no allocation a file).
    private var name: [UInt8] = []

    /// `O_PATH` (Linux): not exported by the Glibc module because it needs `_GNU_SOURCE`.
    /// The value is the same on x86-64 and AArch64.
    private static let openPathOnly: Int32 = 0o10000000

    /// Opens `file` with `flags`: by its name relative to its folder's descriptor when the
    /// previous file was in that folder too (the descriptor is opened then, at the second file
    /// in a row), else by its whole path; also by its whole path when it has no folder part or
    /// the folder cannot be opened (the whole path's open then reports what is wrong).
    func open(_ file: RawPath, flags: Int32) throws(SystemCallError) -> Int32 {
        let bytes = file.bytes
        guard let slash = bytes.lastIndex(of: 0x2F), slash + 1 < bytes.count else {
            forget()
            return try SystemCall.open(file, flags: flags)
        }
        let folderLength = slash == 0 ? 1 : slash
        // One `memcmp` a file (the generic slice comparison was 5% of the readers' own time on tiny).
        let sameFolder = folderLength == path.count && bytes.withUnsafeBytes { file in
            path.withUnsafeBytes { folder in memcmp(file.baseAddress!, folder.baseAddress!, folderLength) == 0 }
        }
        if !sameFolder {
            // A folder met for the first time in a row: by the whole path, remembering the folder.
            close()
            path.removeAll(keepingCapacity: true)
            path += bytes[0 ..< folderLength]
            return try SystemCall.open(file, flags: flags)
        }
        if fd < 0 {
            fd = (try? SystemCall.open(RawPath(bytes: path), flags: O_DIRECTORY | O_CLOEXEC | Self.openPathOnly)) ?? -1
        }
        guard fd >= 0 else { return try SystemCall.open(file, flags: flags) }
        name.removeAll(keepingCapacity: true)
        name += bytes[(slash + 1)...]
        name.append(0)
        let folderFD = fd
        return try name.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { name in
                Result { () throws(SystemCallError) in try SystemCall.open(name.baseAddress!, relativeTo: folderFD, flags: flags) }
            }
        }.get()
    }

    /// Closes the folder's descriptor and forgets the folder: the next file is opened by its
    /// whole path whatever its folder.
    private func forget() {
        close()
        path.removeAll(keepingCapacity: true)
    }

    /// Closes the folder's descriptor, if one is open.
    func close() {
        if fd >= 0 {
            SystemCall.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}
