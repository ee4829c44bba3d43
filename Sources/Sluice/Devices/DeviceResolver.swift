/// Turns a `--device` request into a device, following the selection table of docs/devices.md.
public enum DeviceResolver {
    /// Resolves `spec` against `inventory` (the machine's devices by default).
    ///
    /// - `auto`: the first OpenCL GPU or accelerator, else the CPU backend, silently.
    /// - `gpu`: the first OpenCL GPU or accelerator, else the CPU backend with one warning line
    ///   containing "fallback"; with `strict`, a `DeviceSelectionError` instead.
    /// - `cpu`: the CPU backend.
    /// - `opencl[:P[:D]]`: the first OpenCL device (of any type) whose platform matches `P` and
    ///   which matches `D`; none is a `DeviceSelectionError` listing the available devices.
    public static func resolve(_ spec: DeviceSpec, strict: Bool,
                               inventory: DeviceInventory = .current()) throws -> DeviceResolution {
        let cpu = ComputeDevice.cpu(inventory.cpu.isa)
        switch spec {
        case .cpu:
            return DeviceResolution(device: cpu)
        case .auto:
            if let gpu = inventory.openCL.first(where: \.isGPUOrAccelerator) {
                return DeviceResolution(device: .opencl(gpu.device))
            }
            return DeviceResolution(device: cpu)
        case .gpu:
            if let gpu = inventory.openCL.first(where: \.isGPUOrAccelerator) {
                return DeviceResolution(device: .opencl(gpu.device))
            }
            let reason = inventory.note
                ?? "only " + inventory.openCL.map { "\($0.index) \($0.name) (\($0.type))" }.joined(separator: ", ")
            if strict {
                throw DeviceSelectionError("no OpenCL GPU or accelerator found (\(reason)); "
                                           + "--strict-device forbids the fallback to the CPU SIMD backend")
            }
            return DeviceResolution(
                device: cpu,
                warnings: ["sluice: warning: no OpenCL GPU found (\(reason)); "
                           + "fallback to the CPU SIMD backend (\(inventory.cpu.isa.rawValue))"])
        case .opencl(let platform, let device):
            let match = inventory.openCL.first { entry in
                (platform?.matches(index: entry.platformIndex, names: [entry.platformName, entry.platformVendor]) ?? true)
                    && (device?.matches(index: entry.deviceIndex, names: [entry.name, entry.vendor]) ?? true)
            }
            guard let match else {
                throw DeviceSelectionError("no OpenCL device matches '\(spec)'; available:\n"
                                           + inventory.availableDevicesSummary)
            }
            return DeviceResolution(device: .opencl(match.device))
        }
    }
}

extension DeviceResolver {
    /// The lanes a `--device` list asks for, in order, each device once:
    /// - `cpu`: the CPU SIMD lane.
    /// - `auto`: the CPU lane and one lane per OpenCL GPU or accelerator (CPU-type OpenCL
    ///   devices such as PoCL's are left out: the CPU lane already has those cores, faster).
    /// - `gpu`: one lane per OpenCL GPU or accelerator (none found: no lane, and a warning).
    /// - `opencl[:P[:D]]`: the first matching OpenCL device; none is a `DeviceSelectionError`.
    public static func lanes(for specs: [DeviceSpec], inventory: DeviceInventory = .current())
        throws -> (devices: [ComputeDevice], warnings: [String])
    {
        let found = lanesLeavingOutUnmatched(for: specs, inventory: inventory)
        if let first = found.unmatched.first { throw first.error }
        return (found.devices, found.warnings)
    }

    /// `lanes(for:)`, but an `opencl…` entry that matches nothing is left out (with its error in
    /// `unmatched`) and the other entries still give their lanes: beside a CPU lane, one typo
    /// must not drop the rest of the list.
    public static func lanesLeavingOutUnmatched(for specs: [DeviceSpec], inventory: DeviceInventory = .current())
        -> (devices: [ComputeDevice], warnings: [String], unmatched: [(spec: DeviceSpec, error: DeviceSelectionError)])
    {
        var devices: [ComputeDevice] = []
        var warnings: [String] = []
        var unmatched: [(spec: DeviceSpec, error: DeviceSelectionError)] = []
        func add(_ device: ComputeDevice) {
            let present = devices.contains { existing in
                switch (existing, device) {
                case (.cpu, .cpu): return true
                case (.opencl(let a), .opencl(let b)): return a.id == b.id
                default: return false
                }
            }
            if !present { devices.append(device) }
        }
        let gpus = inventory.openCL.filter(\.isGPUOrAccelerator).map { ComputeDevice.opencl($0.device) }
        for spec in specs {
            switch spec {
            case .cpu:
                add(.cpu(inventory.cpu.isa))
            case .auto:
                add(.cpu(inventory.cpu.isa))
                gpus.forEach(add)
            case .gpu:
                if gpus.isEmpty {
                    let reason = inventory.note
                        ?? "only " + inventory.openCL.map { "\($0.index) \($0.name) (\($0.type))" }.joined(separator: ", ")
                    warnings.append("sluice: warning: no OpenCL GPU found (\(reason))")
                }
                gpus.forEach(add)
            case .opencl:
                do {
                    add(try resolve(spec, strict: true, inventory: inventory).device)
                } catch let error as DeviceSelectionError {
                    unmatched.append((spec, error))
                } catch {
                    unmatched.append((spec, DeviceSelectionError("\(error)")))
                }
            }
        }
        return (devices, warnings, unmatched)
    }
}
