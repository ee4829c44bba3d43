#if canImport(Glibc)
import Glibc
#endif

/// File systems whose files' listed sizes are not their lengths: procfs lists `/proc/cpuinfo`
/// as 0 bytes, sysfs lists its attributes as 4096, and their contents are made when read.
/// Reading such a file for its listed size gives a wrong digest (the empty input's for
/// `/proc/cpuinfo`), so the reader reads them to their end instead, as b3sum does.
///
/// The type is cached per device (`FileSystemType`): one `fstatfs` per file system, not per file.
enum PseudoFileSystems {
    /// `f_type` magic numbers from `<linux/magic.h>`: proc, sysfs, debugfs, tracefs, securityfs,
    /// cgroup v1 and v2, configfs, efivarfs, bpf, pstore, selinuxfs, fusectl.
    static let magicNumbers: Set<UInt64> = [
        0x9fa0, 0x6265_6572, 0x6462_6720, 0x7472_6163, 0x7363_6673, 0x0027_e0eb, 0x6367_7270,
        0x6265_6570, 0xde5e_81e4, 0xcafe_4a11, 0x6165_676c, 0xf97c_ff8c, 0x6573_5543,
    ]

    /// Whether the open file `fd`, on device `device`, lives on such a file system.
    static func holds(device: UInt64, fd: Int32) -> Bool {
        FileSystemType.of(device: device, fd: fd).map(magicNumbers.contains) ?? false
    }
}
