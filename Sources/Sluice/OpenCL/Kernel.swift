import COpenCL

/// One `__kernel` function of a built program, with its arguments.
///
/// Not `Sendable`: `clSetKernelArg` is the one OpenCL call that is not thread-safe, since the
/// arguments are state of the kernel object. Give each thread its own `Kernel` (creating one is
/// cheap) or set arguments and enqueue under one lock.
public final class Kernel {
    /// The OpenCL handle.
    public let id: cl_kernel
    /// The program the kernel comes from.
    public let program: Program
    /// The kernel function's name.
    public let name: String

    /// Creates the kernel `name` of a built program.
    /// The corresponding OpenCL function is `clCreateKernel`.
    public init(program: Program, name: String) throws {
        var status: cl_int = CL_SUCCESS
        let kernel = clCreateKernel(program.id, name, &status)
        try OpenCLError.check(status, "clCreateKernel")
        guard let kernel else { throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateKernel") }
        self.id = kernel
        self.program = program
        self.name = name
    }

    deinit {
        clReleaseKernel(id)
    }

    /// Sets argument `index` (a `__global` or `__constant` pointer parameter) to `buffer`.
    /// The corresponding OpenCL function is `clSetKernelArg`.
    public func setArg(_ index: Int, _ buffer: Buffer) throws {
        var memory: cl_mem? = buffer.id
        try OpenCLError.check(
            clSetKernelArg(id, cl_uint(index), MemoryLayout<cl_mem?>.size, &memory), "clSetKernelArg")
    }

    /// Sets argument `index` to a scalar or vector value passed by value. The Swift type must have
    /// the size of the OpenCL C type: `UInt32` for `uint`, `UInt64` for `ulong`, `Float` for
    /// `float`. Never pass a Swift `Int`: `size_t` is not a valid kernel parameter type.
    /// The corresponding OpenCL function is `clSetKernelArg`.
    public func setArg<Value: BitwiseCopyable>(_ index: Int, _ value: Value) throws {
        var copy = value
        try OpenCLError.check(
            clSetKernelArg(id, cl_uint(index), MemoryLayout<Value>.size, &copy), "clSetKernelArg")
    }

    /// Sets argument `index` (a `__local` pointer parameter) to `byteCount` bytes of local memory
    /// per work-group.
    /// The corresponding OpenCL function is `clSetKernelArg`.
    public func setArg(_ index: Int, localBytes byteCount: Int) throws {
        try OpenCLError.check(clSetKernelArg(id, cl_uint(index), byteCount, nil), "clSetKernelArg")
    }

    /// The largest work-group this kernel can run with on `device` (at most the device's
    /// `maxWorkGroupSize`, lower when the kernel uses many registers).
    /// The corresponding OpenCL function is `clGetKernelWorkGroupInfo` (`CL_KERNEL_WORK_GROUP_SIZE`).
    public func workGroupSize(on device: Device) throws -> Int {
        try workGroupInfo(CL_KERNEL_WORK_GROUP_SIZE, device, as: Int.self)
    }

    /// The work-group size multiple that runs best on `device` (the warp or wavefront width).
    /// The corresponding OpenCL function is `clGetKernelWorkGroupInfo`
    /// (`CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE`).
    public func preferredWorkGroupSizeMultiple(on device: Device) throws -> Int {
        try workGroupInfo(CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, device, as: Int.self)
    }

    /// Local memory the kernel uses on `device`, including `__local` arguments set so far.
    /// The corresponding OpenCL function is `clGetKernelWorkGroupInfo` (`CL_KERNEL_LOCAL_MEM_SIZE`).
    public func localMemSize(on device: Device) throws -> UInt64 {
        try workGroupInfo(CL_KERNEL_LOCAL_MEM_SIZE, device, as: cl_ulong.self)
    }

    private func workGroupInfo<T: BitwiseCopyable>(_ parameter: Int32, _ device: Device, as: T.Type) throws -> T {
        try withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { value in
            try OpenCLError.check(
                clGetKernelWorkGroupInfo(id, device.id, cl_kernel_work_group_info(parameter),
                                         MemoryLayout<T>.size, value.baseAddress, nil),
                "clGetKernelWorkGroupInfo")
            return value[0]
        }
    }
}
