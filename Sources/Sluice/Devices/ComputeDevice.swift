/// The device a run computes on: the CPU SIMD backend or one OpenCL device.
public enum ComputeDevice: Sendable, CustomStringConvertible {
    /// The native CPU backend with the vector instruction set its kernels use.
    case cpu(CPUVectorISA)
    /// An OpenCL device (its platform is `device.platform`).
    case opencl(Device)

    /// For the run summary: "CPU SIMD backend (avx2)" or "OpenCL pthread-haswell-AMD EPYC
    /// (Portable Computing Language)".
    public var displayName: String {
        switch self {
        case .cpu(let isa):
            return "CPU SIMD backend (\(isa.rawValue))"
        case .opencl(let device):
            let name = (try? device.name) ?? "unnamed device"
            let platform = (try? device.platform.name) ?? "unnamed platform"
            return "OpenCL \(name) (\(platform))"
        }
    }

    /// The display name.
    public var description: String { displayName }

    /// The OpenCL device, or `nil` for the CPU backend.
    public var openCLDevice: Device? {
        if case .opencl(let device) = self { return device }
        return nil
    }
}
