import CSluice
import Foundation

/// The file system type (`statfs`'s `f_type` magic number) of a device's files, asked once per
/// device (`st_dev`) with `fstatfs` on a descriptor of one of them and cached: the walk asks it
/// of each directory (`DirectoryReader.entryInodeFileSystems`), the reader of each file
/// (`PseudoFileSystems`).
enum FileSystemType {
    nonisolated(unsafe) private static var known: [UInt64: UInt64] = [:]
    private static let lock = NSLock()

    /// The type of the file system of `fd`, which is on `device`; nil when `fstatfs` fails.
    /// The corresponding C function is `fstatfs` (through `sluice_file_system_type`).
    static func of(device: UInt64, fd: Int32) -> UInt64? {
        lock.lock()
        let cached = known[device]
        lock.unlock()
        if let cached { return cached }
        var type: UInt64 = 0
        guard sluice_file_system_type(fd, &type) == 0 else { return nil }
        lock.lock()
        known[device] = type
        lock.unlock()
        return type
    }
}
