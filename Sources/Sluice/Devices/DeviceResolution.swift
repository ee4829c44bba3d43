import Foundation

/// The device a `--device` request resolved to, with the warnings to print once on stderr
/// before the run (each a full line starting with "sluice: warning:").
public struct DeviceResolution: Sendable {
    /// The device to run on.
    public var device: ComputeDevice
    /// Warnings for stderr, for example the fallback from `--device gpu` to the CPU backend.
    public var warnings: [String]

    /// Creates a resolution.
    public init(device: ComputeDevice, warnings: [String] = []) {
        self.device = device
        self.warnings = warnings
    }

    /// What to run on after the chosen OpenCL device failed to set up, typically because its
    /// program failed to build (`error`). Documented policy: fall back to the CPU SIMD backend
    /// with one warning containing "fallback", unless `strict` (`--strict-device`), in which case
    /// a `DeviceSelectionError` is thrown, which the CLI reports with exit status 2.
    /// A resolution that already is the CPU backend has nothing to fall back to and throws too.
    public func fallingBack(after error: Error, strict: Bool,
                            isa: CPUVectorISA = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)) throws
        -> DeviceResolution
    {
        guard case .opencl = device else {
            throw DeviceSelectionError("the \(device.displayName) failed: \(error)")
        }
        if strict {
            throw DeviceSelectionError("\(device.displayName) failed: \(error); --strict-device forbids "
                                       + "the fallback to the CPU SIMD backend")
        }
        let reason = String(describing: error).split(separator: "\n").first.map(String.init) ?? ""
        return DeviceResolution(
            device: .cpu(isa),
            warnings: warnings + ["sluice: warning: \(device.displayName) failed (\(reason)); "
                                  + "fallback to the CPU SIMD backend (\(isa.rawValue))"])
    }
}
