/// One row of `sluice devices --json` (schema in docs/devices.md): the same keys for both
/// backends, with the backend-specific ones left out where they do not apply.
public struct DeviceRecord: Codable, Equatable, Sendable {
    /// "opencl" or "cpu".
    public var backend: String
    /// "P:D" for OpenCL devices, "cpu" for the CPU backend: what `--device` accepts
    /// (`opencl:P:D`, `cpu`).
    public var index: String
    /// The OpenCL platform's name, or "sluice" for the CPU backend.
    public var platform: String
    /// The device's name.
    public var name: String
    /// "gpu", "cpu" or "accelerator".
    public var type: String
    /// Compute units (OpenCL) or worker threads (CPU backend).
    public var computeUnits: Int
    /// Global memory (OpenCL) or physical memory (CPU backend), in bytes.
    public var globalMemBytes: UInt64
    /// The largest single buffer (OpenCL) or physical memory (CPU backend), in bytes.
    public var maxAllocBytes: UInt64
    /// Whether `--device` (default `auto`) selects this device.
    public var selected: Bool
    /// CPU backend only: the vector ISA, "baseline", "avx2" or "avx512".
    public var isa: String?
    /// OpenCL only: the OpenCL C version, for example "OpenCL C 1.2 PoCL".
    public var openclCVersion: String?
    /// OpenCL only: local memory per work-group, in bytes.
    public var localMemBytes: UInt64?
    /// OpenCL only: the most work-items per work-group.
    public var maxWorkGroupSize: Int?
    /// OpenCL only: the device's vendor.
    public var vendor: String?
    /// OpenCL only: the device's OpenCL version string.
    public var version: String?
    /// OpenCL only: the driver's version string.
    public var driverVersion: String?
    /// OpenCL only: whether the device shares physical memory with the host.
    public var hostUnifiedMemory: Bool?

    /// The record of an OpenCL device.
    public init(_ entry: DeviceInventory.OpenCLEntry, selected: Bool) {
        backend = "opencl"
        index = entry.index
        platform = entry.platformName
        name = entry.name
        type = entry.type.description
        computeUnits = entry.computeUnits
        globalMemBytes = entry.globalMemBytes
        maxAllocBytes = entry.maxAllocBytes
        self.selected = selected
        openclCVersion = entry.openCLCVersion
        localMemBytes = entry.localMemBytes
        maxWorkGroupSize = entry.maxWorkGroupSize
        vendor = entry.vendor
        version = entry.version
        driverVersion = entry.driverVersion
        hostUnifiedMemory = entry.hostUnifiedMemory
    }

    /// The record of the CPU SIMD backend.
    public init(_ entry: DeviceInventory.CPUBackendEntry, selected: Bool) {
        backend = "cpu"
        index = "cpu"
        platform = "sluice"
        name = "CPU SIMD backend (\(entry.isa.rawValue))"
        type = "cpu"
        computeUnits = entry.cores
        globalMemBytes = entry.memoryBytes
        maxAllocBytes = entry.memoryBytes
        self.selected = selected
        isa = entry.isa.rawValue
    }
}

extension DeviceInventory {
    /// The rows of `sluice devices`: every OpenCL device, then the CPU backend, with `selected`
    /// marking the device `selection` resolved to (none when `nil`).
    public func records(selecting selection: ComputeDevice?) -> [DeviceRecord] {
        records(selecting: selection.map { [$0] } ?? [])
    }

    /// Every device, those in `selection` (the lanes of a run) marked.
    public func records(selecting selection: [ComputeDevice]) -> [DeviceRecord] {
        var rows = openCL.map { entry -> DeviceRecord in
            let chosen = selection.contains { $0.openCLDevice?.id == entry.device.id }
            return DeviceRecord(entry, selected: chosen)
        }
        let cpuChosen = selection.contains { if case .cpu = $0 { return true } else { return false } }
        rows.append(DeviceRecord(cpu, selected: cpuChosen))
        return rows
    }
}
