import Foundation

/// Keeps CPU-only OpenCL implementations out of a search for GPUs.
///
/// `--device auto` and `gpu` look only for GPUs and accelerators, but the ICD loader loads
/// every installed implementation to list them: PoCL brings in LLVM, 0.08–0.12 s and ~80 MiB
/// per process on the development machine, which made `auto` 5–10% slower than `cpu` on a
/// machine whose only OpenCL device is PoCL's CPU device. Before such a search, the vendor
/// files that name a CPU-only implementation (PoCL as Debian builds it, Intel's CPU runtime)
/// are left out: the loader is pointed (`OCL_ICD_VENDORS`) at a private folder holding copies
/// of the others, and when no other is installed the search is skipped.
///
/// Trap: a PoCL built with its CUDA driver does drive NVIDIA GPUs; with it, name the device
/// (`--device opencl:portable`) instead of relying on `auto`.
public enum GPUVendorFilter {
    /// What `restrict()` did.
    public enum Outcome: Equatable, Sendable {
        /// Nothing was left out (no CPU-only vendor file, or `OCL_ICD_VENDORS` names one file).
        case unchanged
        /// The loader now reads only copies of the vendor files that may drive a GPU, in
        /// `folder` (remove it once the platforms are listed: the loader reads it once).
        case restricted(folder: String)
        /// Every vendor file names a CPU-only implementation: there is no GPU to look for.
        case noGPUImplementation(skipped: [String])
    }

    /// Library names of OpenCL implementations that drive only the host CPU.
    static let cpuOnlyLibraries = ["libpocl", "libintelocl", "libcpu_device"]

    /// The vendor folder the loader would read under `environment`.
    static func vendorFolder(environment: [String: String]) -> String? {
        if let folder = environment["OCL_ICD_VENDORS"], !folder.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                return nil
            }
            return folder
        }
        if let folder = environment["OPENCL_VENDOR_PATH"], !folder.isEmpty { return folder }
        return "/etc/OpenCL/vendors"
    }

    /// The vendor files of the loader's folder under `environment`, split into those that may
    /// drive a GPU (`kept`, full paths) and those naming a CPU-only implementation (`skipped`,
    /// file names); nil when the loader would not read a folder.
    public static func classify(environment: [String: String]) -> (kept: [String], skipped: [String])? {
        guard let folder = vendorFolder(environment: environment),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        var kept: [String] = []
        var skipped: [String] = []
        for name in names.sorted() where name.hasSuffix(".icd") {
            let path = folder + "/" + name
            let library = (try? String(contentsOfFile: path, encoding: .utf8))?
                .split(separator: "\n").first.map { String($0).trimmingWhitespace() } ?? ""
            let base = library.split(separator: "/").last.map(String.init) ?? library
            if cpuOnlyLibraries.contains(where: { base.hasPrefix($0) }) { skipped.append(name) } else { kept.append(path) }
        }
        return (kept, skipped)
    }

    /// Points the loader at the vendor files that may drive a GPU. Call before any OpenCL call
    /// of the process, from one thread. The corresponding C function is `setenv`.
    public static func restrict(environment: [String: String] = ProcessInfo.processInfo.environment) -> Outcome {
        guard let (kept, skipped) = classify(environment: environment) else { return .unchanged }
        if skipped.isEmpty { return .unchanged }
        if kept.isEmpty { return .noGPUImplementation(skipped: skipped) }
        let template = NSTemporaryDirectory() + "sluice-gpu-vendors-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { return .unchanged }
        let privateFolder = String(cString: made)
        for path in kept {
            let target = privateFolder + "/" + (path.split(separator: "/").last.map(String.init) ?? "vendor.icd")
            guard (try? FileManager.default.copyItem(atPath: path, toPath: target)) != nil else { return .unchanged }
        }
        setenv("OCL_ICD_VENDORS", privateFolder, 1)
        return .restricted(folder: privateFolder)
    }
}
