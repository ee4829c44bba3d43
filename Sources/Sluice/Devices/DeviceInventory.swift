import Foundation

/// Every compute device sluice can use: each OpenCL device of each platform, and the CPU SIMD
/// backend, which is always there.
///
/// Taking an inventory never fails: a machine without OpenCL (no ICD loader configuration,
/// `CL_PLATFORM_NOT_FOUND_KHR`, an empty vendors folder, platforms without devices) gives an
/// inventory with no OpenCL devices and a `note` saying so.
public struct DeviceInventory: Sendable {
    /// One OpenCL platform, with or without devices.
    public struct PlatformEntry: Sendable {
        /// Position in the ICD loader's list: the `P` of `opencl:P:D`.
        public var index: Int
        /// The platform, for example "Portable Computing Language".
        public var name: String
        /// The platform's vendor, for example "The pocl project".
        public var vendor: String
        /// The OpenCL version string.
        public var version: String
    }

    /// One OpenCL device with the facts `sluice devices` shows, queried once.
    public struct OpenCLEntry: Sendable {
        /// The device, usable for contexts and queues.
        public var device: Device
        /// Position of the platform: the `P` of `opencl:P:D`.
        public var platformIndex: Int
        /// Position in the platform's device list: the `D` of `opencl:P:D`.
        public var deviceIndex: Int
        /// The platform's name.
        public var platformName: String
        /// The platform's vendor.
        public var platformVendor: String
        /// The device's name.
        public var name: String
        /// The device's vendor.
        public var vendor: String
        /// GPU, CPU or accelerator.
        public var type: DeviceType
        /// Parallel compute units.
        public var computeUnits: Int
        /// Global memory in bytes.
        public var globalMemBytes: UInt64
        /// The largest single buffer in bytes.
        public var maxAllocBytes: UInt64
        /// Local memory per work-group in bytes.
        public var localMemBytes: UInt64
        /// The most work-items per work-group.
        public var maxWorkGroupSize: Int
        /// For example "OpenCL C 1.2 PoCL".
        public var openCLCVersion: String
        /// The device's OpenCL version string.
        public var version: String
        /// The driver's version string.
        public var driverVersion: String
        /// Whether the device shares physical memory with the host.
        public var hostUnifiedMemory: Bool

        /// "P:D", the form `--device opencl:P:D` accepts.
        public var index: String { "\(platformIndex):\(deviceIndex)" }

        /// Whether `--device gpu` and `auto` would take it.
        public var isGPUOrAccelerator: Bool { !type.isDisjoint(with: [.gpu, .accelerator]) }

        init(device: Device, platform: PlatformEntry, deviceIndex: Int) throws {
            self.device = device
            self.platformIndex = platform.index
            self.deviceIndex = deviceIndex
            self.platformName = platform.name
            self.platformVendor = platform.vendor
            self.name = try device.name
            self.vendor = try device.vendor
            self.type = try device.type
            self.computeUnits = try device.computeUnits
            self.globalMemBytes = try device.globalMemSize
            self.maxAllocBytes = try device.maxMemAllocSize
            self.localMemBytes = try device.localMemSize
            self.maxWorkGroupSize = try device.maxWorkGroupSize
            self.openCLCVersion = try device.openCLCVersion
            self.version = try device.version
            self.driverVersion = try device.driverVersion
            self.hostUnifiedMemory = (try? device.hostUnifiedMemory) ?? false
        }
    }

    /// The native CPU SIMD backend.
    public struct CPUBackendEntry: Sendable {
        /// The vector instruction set its kernels run with (`SLUICE_ISA` may lower it).
        public var isa: CPUVectorISA
        /// Worker threads it runs: the active processor count.
        public var cores: Int
        /// Physical memory in bytes.
        public var memoryBytes: UInt64
    }

    /// The note used when OpenCL has nothing to offer.
    public static let noPlatformNote = "no OpenCL platform found"

    /// Every OpenCL platform, in loader order.
    public var platforms: [PlatformEntry]
    /// Every OpenCL device, platform by platform, in platform order.
    public var openCL: [OpenCLEntry]
    /// The CPU SIMD backend.
    public var cpu: CPUBackendEntry
    /// Why there are no OpenCL devices ("no OpenCL platform found", …), or `nil` if there are some.
    public var note: String?
    /// Platforms or devices that answered a query with an error and were left out, one line each.
    public var problems: [String]

    /// Creates an inventory from parts (tests build synthetic ones this way).
    public init(platforms: [PlatformEntry], openCL: [OpenCLEntry], cpu: CPUBackendEntry,
                note: String?, problems: [String] = []) {
        self.platforms = platforms
        self.openCL = openCL
        self.cpu = cpu
        self.note = note
        self.problems = problems
    }

    /// Lists the devices of this machine now. `environment` feeds the CPU ISA choice
    /// (`SLUICE_ISA`).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> DeviceInventory
    {
        let cpu = CPUBackendEntry(isa: CPUVectorISA.active(environment: environment),
                                  cores: HostCores.active,
                                  memoryBytes: ProcessInfo.processInfo.physicalMemory)
        let clPlatforms: [Platform]
        do {
            clPlatforms = try Platform.all()
        } catch let error as OpenCLError where error.code == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ {
            return DeviceInventory(platforms: [], openCL: [], cpu: cpu, note: noPlatformNote)
        } catch {
            return DeviceInventory(platforms: [], openCL: [], cpu: cpu, note: "\(noPlatformNote) (\(error))")
        }
        var platforms: [PlatformEntry] = []
        var devices: [OpenCLEntry] = []
        var problems: [String] = []
        for (platformIndex, platform) in clPlatforms.enumerated() {
            do {
                let entry = PlatformEntry(index: platformIndex, name: try platform.name,
                                          vendor: try platform.vendor, version: try platform.version)
                platforms.append(entry)
                for (deviceIndex, device) in try platform.devices().enumerated() {
                    do {
                        devices.append(try OpenCLEntry(device: device, platform: entry, deviceIndex: deviceIndex))
                    } catch {
                        problems.append("OpenCL device \(platformIndex):\(deviceIndex) left out: \(error)")
                    }
                }
            } catch {
                problems.append("OpenCL platform \(platformIndex) left out: \(error)")
            }
        }
        let note: String? =
            if platforms.isEmpty { noPlatformNote }
            else if devices.isEmpty {
                "\(noPlatformNote) with a usable device (\(platforms.count) platform(s), 0 devices)"
                    + (platforms.contains { $0.name.contains("Portable Computing Language") }
                        ? PoCLCacheFolder.problem(environment: environment).map { ": \($0)" } ?? "" : "")
            }
            else { nil }
        return DeviceInventory(platforms: platforms, openCL: devices, cpu: cpu, note: note, problems: problems)
    }

    /// One line per OpenCL device ("0:0 pthread-haswell-AMD EPYC (cpu) on Portable Computing
    /// Language"), or the note when there are none: what selection errors show.
    public var availableDevicesSummary: String {
        if openCL.isEmpty { return note ?? Self.noPlatformNote }
        return openCL.map { "\($0.index) \($0.name) (\($0.type)) on \($0.platformName)" }
            .joined(separator: "\n")
    }
}
