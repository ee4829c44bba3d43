/// Builds the compute backend for a resolved device.
public enum BackendFactory {
    /// The backend for `device`; for OpenCL this builds the kernel program (which may throw, and
    /// the caller then falls back to the CPU according to `--strict-device`).
    public static func make(for device: ComputeDevice, workers: Int) throws -> ComputeBackend {
        switch device {
        case .cpu(let isa):
            return CPUBackend(isa: isa, workers: workers)
        case .opencl(let device):
            return try OpenCLBackend(device: device)
        }
    }
}
