#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide set-up that must happen before the first OpenCL call.
///
/// PoCL compiles every kernel for the host CPU and keeps the result in a cache directory
/// (`POCL_CACHE_DIR`, else `$XDG_CACHE_HOME/pocl` or `~/.cache/pocl`). A read-only home or a cache
/// shared between users makes every build fail or recompile, so sluice points PoCL at a private,
/// writable folder unless the user chose one.
public enum OpenCLEnvironment {
    /// The cache folder chosen by `prepare()`, or `nil` if `POCL_CACHE_DIR` was already set or no
    /// candidate folder was writable.
    public static var poclCacheDirectory: String? { prepared }

    private static let prepared: String? = choosePoclCacheDirectory()

    /// Sets `POCL_CACHE_DIR` to a private writable folder if it is unset: the first of
    /// `$XDG_CACHE_HOME/sluice/pocl`, `$HOME/.cache/sluice/pocl` and `/tmp/sluice-pocl-UID` that
    /// can be created and written. Runs once per process; later calls do nothing. Every entry
    /// point of the OpenCL layer (`Platform.all()`) calls it, so calling it explicitly is needed
    /// only before OpenCL is reached by other means.
    public static func prepare() {
        _ = prepared
    }

    private static func choosePoclCacheDirectory() -> String? {
        if let existing = getenv("POCL_CACHE_DIR"), existing.pointee != 0 { return nil }
        var candidates: [String] = []
        if let xdg = environment("XDG_CACHE_HOME") { candidates.append(xdg + "/sluice/pocl") }
        if let home = environment("HOME") { candidates.append(home + "/.cache/sluice/pocl") }
        candidates.append("/tmp/sluice-pocl-\(getuid())")
        for candidate in candidates where makeWritableDirectory(candidate) {
            setenv("POCL_CACHE_DIR", candidate, 1)
            return candidate
        }
        return nil
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// Creates `path` and its parents (mode 0700 for the ones it creates) and checks that the
    /// process owns it and may write there (a folder another user planted in `/tmp` is refused).
    private static func makeWritableDirectory(_ path: String) -> Bool {
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return false }
        }
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR,
              status.st_uid == getuid() else { return false }
        return access(path, W_OK | X_OK) == 0
    }
}
