#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the walk does with the entries it meets inside directories, fixed from `CatalogOptions`
/// before it starts. A value shared by the walk thread and the threads that read ahead of it, so
/// an entry gets the same verdict whichever thread reads its directory.
struct WalkRules: Sendable {
    /// Follow symbolic links found inside directories (`CatalogOptions.follow`).
    let follow: Bool
    /// Name and path patterns of entries left out (`CatalogOptions.exclude`), split by kind.
    private let namePatterns: [[CChar]]
    private let pathPatterns: [[CChar]]
    /// Stay on the file system of each argument (`CatalogOptions.oneFileSystem`).
    let oneFileSystem: Bool
    /// Files never listed (`CatalogOptions.excludedFiles`).
    let excludedFiles: Set<FileIdentity>
    /// The inodes of `excludedFiles`: an entry with one of them is `stat`-ed even when
    /// `statusAtOpen` lists files by their entries.
    let excludedInodes: Set<UInt64>
    /// List regular files by their directory entries (`CatalogOptions.statusAtOpen`).
    let statusAtOpen: Bool

    init(options: CatalogOptions) {
        follow = options.follow
        namePatterns = options.exclude.filter { !$0.contains("/") }.map { Array($0.utf8CString) }
        pathPatterns = options.exclude.filter { $0.contains("/") }.map { Array($0.utf8CString) }
        oneFileSystem = options.oneFileSystem
        excludedFiles = options.excludedFiles
        excludedInodes = Set(options.excludedFiles.map(\.inode))
        statusAtOpen = options.statusAtOpen
    }

    /// Whether an entry met while walking is left out by `--exclude`.
    func isExcluded(name terminatedName: [UInt8], path: RawPath) -> Bool {
        if !namePatterns.isEmpty {
            let matched = terminatedName.withUnsafeBufferPointer { name in
                name.withMemoryRebound(to: CChar.self) { name in
                    namePatterns.contains { fnmatch($0, name.baseAddress!, 0) == 0 }
                }
            }
            if matched { return true }
        }
        if !pathPatterns.isEmpty {
            return path.withCString { path in pathPatterns.contains { fnmatch($0, path, 0) == 0 } }
        }
        return false
    }
}
