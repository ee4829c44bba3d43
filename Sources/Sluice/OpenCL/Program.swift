import CKernelSources
import COpenCL

/// An OpenCL program: OpenCL C source, or a binary a driver made from it earlier, built for the
/// devices of a context.
///
/// Building and creating kernels are thread-safe in OpenCL, so the type is `Sendable`.
public final class Program: @unchecked Sendable {
    /// The OpenCL handle.
    public let id: cl_program
    /// The context the program belongs to.
    public let context: Context

    /// Creates a program from OpenCL C source; call `build(options:)` before creating kernels.
    /// The corresponding OpenCL function is `clCreateProgramWithSource`.
    public init(context: Context, source: String) throws {
        var status: cl_int = CL_SUCCESS
        let program = source.withCString { text -> cl_program? in
            var strings: [UnsafePointer<CChar>?] = [text]
            return clCreateProgramWithSource(context.id, 1, &strings, nil, &status)
        }
        try OpenCLError.check(status, "clCreateProgramWithSource")
        guard let program else {
            throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateProgramWithSource")
        }
        self.id = program
        self.context = context
    }

    /// Creates a program from a binary that `binaries` returned for `device` earlier (in this
    /// process or another); call `build(options:)` before creating kernels, as for source. A
    /// binary the driver rejects (another device or driver, a damaged file) throws: both the
    /// call's status and the device's `binary_status` are checked.
    /// The corresponding OpenCL function is `clCreateProgramWithBinary`.
    public init(context: Context, device: Device, binary: UnsafeRawBufferPointer) throws {
        guard let base = binary.baseAddress, !binary.isEmpty else {
            throw OpenCLError(code: CL_INVALID_BINARY, function: "clCreateProgramWithBinary")
        }
        var status: cl_int = CL_SUCCESS
        var binaryStatus: cl_int = CL_SUCCESS
        var devices: [cl_device_id?] = [device.id]
        var lengths = [binary.count]
        var pointers: [UnsafePointer<UInt8>?] = [base.assumingMemoryBound(to: UInt8.self)]
        let program = clCreateProgramWithBinary(context.id, 1, &devices, &lengths, &pointers, &binaryStatus, &status)
        if status != CL_SUCCESS || binaryStatus != CL_SUCCESS {
            if let program { clReleaseProgram(program) }
            try OpenCLError.check(status, "clCreateProgramWithBinary")
            throw OpenCLError(code: binaryStatus, function: "clCreateProgramWithBinary (binary_status)")
        }
        guard let program else {
            throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateProgramWithBinary")
        }
        self.id = program
        self.context = context
    }

    deinit {
        clReleaseProgram(id)
    }

    /// The size in bytes of each device's binary, in the order of the program's devices (the
    /// context's); 0 for a device the program was not built for.
    /// The corresponding OpenCL function is `clGetProgramInfo` (`CL_PROGRAM_BINARY_SIZES`).
    public var binarySizes: [Int] {
        get throws {
            var count: cl_uint = 0
            try OpenCLError.check(
                clGetProgramInfo(id, cl_program_info(CL_PROGRAM_NUM_DEVICES), MemoryLayout<cl_uint>.size, &count, nil),
                "clGetProgramInfo")
            var sizes = [Int](repeating: 0, count: Int(count))
            try OpenCLError.check(
                clGetProgramInfo(id, cl_program_info(CL_PROGRAM_BINARY_SIZES), sizes.count * MemoryLayout<Int>.size,
                                 &sizes, nil),
                "clGetProgramInfo")
            return sizes
        }
    }

    /// Each device's binary of the built program (what the driver accepts back through
    /// `init(context:device:binary:)`), in the order of `binarySizes`; empty for a device the
    /// program was not built for. PoCL gives its own container of bitcode and compiled kernels,
    /// NVIDIA gives PTX text.
    /// The corresponding OpenCL function is `clGetProgramInfo` (`CL_PROGRAM_BINARIES`).
    public var binaries: [[UInt8]] {
        get throws {
            let sizes = try binarySizes
            let areas = sizes.map { $0 > 0 ? UnsafeMutableRawBufferPointer.allocate(byteCount: $0, alignment: 16) : nil }
            defer { areas.forEach { $0?.deallocate() } }
            var pointers = areas.map { $0?.baseAddress }
            try OpenCLError.check(
                clGetProgramInfo(id, cl_program_info(CL_PROGRAM_BINARIES),
                                 pointers.count * MemoryLayout<UnsafeMutableRawPointer?>.size, &pointers, nil),
                "clGetProgramInfo")
            return areas.map { $0.map { [UInt8]($0) } ?? [] }
        }
    }

    /// The source of `Kernels/NAME.cl`, embedded in the binary at build time, or `nil` if there is
    /// no kernel of that name.
    public static func embeddedSource(named name: String) -> String? {
        sluice_kernel_source(name).map { String(cString: $0) }
    }

    /// Compiles and links the program for every device of its context (or only `devices`) with
    /// compiler `options` such as `"-cl-std=CL1.2 -DLANES=8"`. A failure throws an
    /// `OpenCLError` whose `buildLog` holds every device's compiler output.
    /// The corresponding OpenCL function is `clBuildProgram`.
    public func build(options: String = "", devices: [Device]? = nil) throws {
        let targets = devices ?? context.devices
        let ids: [cl_device_id?] = targets.map(\.id)
        let status = clBuildProgram(id, cl_uint(ids.count), ids, options, nil, nil)
        guard status == CL_SUCCESS else {
            let logs = targets.compactMap { device -> String? in
                guard let log = try? buildLog(for: device), !log.isEmpty else { return nil }
                let name = (try? device.name) ?? "device"
                return targets.count > 1 ? "[\(name)]\n\(log)" : log
            }
            throw OpenCLError(code: status, function: "clBuildProgram",
                              buildLog: logs.isEmpty ? nil : logs.joined(separator: "\n"))
        }
    }

    /// The compiler output of the last build for `device` (warnings, or the errors of a failed
    /// build).
    /// The corresponding OpenCL function is `clGetProgramBuildInfo` (`CL_PROGRAM_BUILD_LOG`).
    public func buildLog(for device: Device) throws -> String {
        let info = cl_program_build_info(CL_PROGRAM_BUILD_LOG)
        var size = 0
        try OpenCLError.check(clGetProgramBuildInfo(id, device.id, info, 0, nil, &size), "clGetProgramBuildInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLError.check(clGetProgramBuildInfo(id, device.id, info, size, &bytes, nil), "clGetProgramBuildInfo")
        let log = String(cString: bytes)
        return String(log.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
