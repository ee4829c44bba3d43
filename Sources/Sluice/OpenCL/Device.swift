import COpenCL

/// An OpenCL device together with the platform it belongs to.
///
/// Owns one reference to the `cl_device_id` (a no-op for root devices, counted for
/// sub-devices). Device queries are thread-safe in OpenCL, so the type is `Sendable`.
public final class Device: @unchecked Sendable {
    /// The OpenCL handle.
    public let id: cl_device_id
    /// The platform the device belongs to.
    public let platform: Platform

    /// Wraps `id`, taking a reference of its own.
    /// The corresponding OpenCL function is `clRetainDevice`.
    public init(retaining id: cl_device_id, platform: Platform) throws {
        try OpenCLError.check(clRetainDevice(id), "clRetainDevice")
        self.id = id
        self.platform = platform
    }

    deinit {
        clReleaseDevice(id)
    }

    /// GPU, CPU, accelerator or custom.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_TYPE`).
    public var type: DeviceType {
        get throws { DeviceType(rawValue: try scalar(CL_DEVICE_TYPE, as: cl_device_type.self)) }
    }

    /// Whether the device is a GPU or an accelerator: what `--device gpu` and `auto` look for.
    public var isGPUOrAccelerator: Bool {
        get throws { !(try type).isDisjoint(with: [.gpu, .accelerator]) }
    }

    /// The device's name, for example "pthread-haswell-AMD EPYC" or "NVIDIA H100 80GB HBM3".
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_NAME`).
    public var name: String { get throws { try string(CL_DEVICE_NAME) } }

    /// The device's vendor.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_VENDOR`).
    public var vendor: String { get throws { try string(CL_DEVICE_VENDOR) } }

    /// The OpenCL version the device supports, for example "OpenCL 3.0 PoCL ...".
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_VERSION`).
    public var version: String { get throws { try string(CL_DEVICE_VERSION) } }

    /// The driver's own version string.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DRIVER_VERSION`).
    public var driverVersion: String { get throws { try string(CL_DRIVER_VERSION) } }

    /// The highest OpenCL C version the compiler accepts, for example "OpenCL C 1.2 PoCL".
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_OPENCL_C_VERSION`).
    public var openCLCVersion: String { get throws { try string(CL_DEVICE_OPENCL_C_VERSION) } }

    /// The device's extensions, space separated in OpenCL, split here.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_EXTENSIONS`).
    public var extensions: [String] {
        get throws { try string(CL_DEVICE_EXTENSIONS).split(separator: " ").map(String.init) }
    }

    /// Parallel compute units (streaming multiprocessors, or CPU threads for PoCL).
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_MAX_COMPUTE_UNITS`).
    public var computeUnits: Int {
        get throws { Int(try scalar(CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self)) }
    }

    /// Global memory in bytes.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_GLOBAL_MEM_SIZE`).
    public var globalMemSize: UInt64 {
        get throws { try scalar(CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self) }
    }

    /// The largest single buffer the device allows, in bytes.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_MAX_MEM_ALLOC_SIZE`).
    public var maxMemAllocSize: UInt64 {
        get throws { try scalar(CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self) }
    }

    /// Local (work-group shared) memory in bytes.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_LOCAL_MEM_SIZE`).
    public var localMemSize: UInt64 {
        get throws { try scalar(CL_DEVICE_LOCAL_MEM_SIZE, as: cl_ulong.self) }
    }

    /// The most work-items one work-group may hold on this device (a kernel may allow fewer:
    /// see `Kernel.workGroupSize(on:)`).
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_MAX_WORK_GROUP_SIZE`).
    public var maxWorkGroupSize: Int {
        get throws { try scalar(CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self) }
    }

    /// The device's float64 capabilities (denormals, infinities and NaNs, rounding modes, FMA);
    /// 0 when it has no float64.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_DOUBLE_FP_CONFIG`).
    public var doubleFPConfig: UInt64 {
        get throws { UInt64(try scalar(CL_DEVICE_DOUBLE_FP_CONFIG, as: cl_device_fp_config.self)) }
    }

    /// Whether device and host share physical memory (integrated GPUs, CPU devices), in which
    /// case mapping a buffer costs no copy. Deprecated in OpenCL 2.0 but still answered.
    /// The corresponding OpenCL function is `clGetDeviceInfo` (`CL_DEVICE_HOST_UNIFIED_MEMORY`).
    public var hostUnifiedMemory: Bool {
        get throws { try scalar(CL_DEVICE_HOST_UNIFIED_MEMORY, as: cl_bool.self) != 0 }
    }

    private func scalar<T: BitwiseCopyable>(_ parameter: Int32, as: T.Type) throws -> T {
        try withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { value in
            try OpenCLError.check(
                clGetDeviceInfo(id, cl_device_info(parameter), MemoryLayout<T>.size, value.baseAddress, nil),
                "clGetDeviceInfo")
            return value[0]
        }
    }

    private func string(_ parameter: Int32) throws -> String {
        let info = cl_device_info(parameter)
        var size = 0
        try OpenCLError.check(clGetDeviceInfo(id, info, 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLError.check(clGetDeviceInfo(id, info, size, &bytes, nil), "clGetDeviceInfo")
        return String(cString: bytes).trimmingTrailingSpaces()
    }
}
