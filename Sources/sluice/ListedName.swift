import Foundation
import Sluice

/// What a name in a checksum list is before `check` hashes it, found with `fstatat(2)` (links
/// followed): a missing file (ENOENT, a dangling link included) is what `--ignore-missing`
/// leaves out, and a directory must not reach the catalog, which would walk it.
enum ListedName {
    enum Kind {
        case missing
        case directory
        /// Anything else, unreadable ones included: the catalog and the readers report those.
        case other
    }

    static func kind(of path: RawPath) -> Kind {
        var status = stat()
        let failed = path.withCString { fstatat(AT_FDCWD, $0, &status, 0) } != 0
        if failed { return errno == ENOENT ? .missing : .other }
        return status.st_mode & S_IFMT == S_IFDIR ? .directory : .other
    }
}
