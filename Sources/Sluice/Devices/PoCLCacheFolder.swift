import Foundation

/// PoCL's kernel cache folder, the usual reason PoCL lists a platform with no device: PoCL
/// needs a writable cache folder (`POCL_CACHE_DIR`, else `$XDG_CACHE_HOME/pocl` or
/// `~/.cache/pocl`) and hides its devices when it cannot create one.
enum PoCLCacheFolder {
    /// The folder PoCL will use under `environment`.
    static func path(environment: [String: String]) -> String {
        if let folder = environment["POCL_CACHE_DIR"], !folder.isEmpty { return folder }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/pocl" }
        return (environment["HOME"] ?? "") + "/.cache/pocl"
    }

    /// Why PoCL cannot use its cache folder (it cannot be created or written), or nil.
    static func problem(environment: [String: String]) -> String? {
        let folder = path(environment: environment)
        let name = environment["POCL_CACHE_DIR"].map { _ in "POCL_CACHE_DIR=\(folder)" } ?? "PoCL's cache folder \(folder)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return "\(name) cannot be created; set POCL_CACHE_DIR to a writable folder"
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            return "\(name) is not writable; set POCL_CACHE_DIR to a writable folder"
        }
        return nil
    }
}
