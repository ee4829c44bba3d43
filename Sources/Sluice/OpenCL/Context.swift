import COpenCL

/// An OpenCL context: the devices, buffers, programs and queues that work together.
///
/// OpenCL's context calls are thread-safe, so the type is `Sendable`.
public final class Context: @unchecked Sendable {
    /// The OpenCL handle.
    public let id: cl_context
    /// The devices of the context, all of one platform.
    public let devices: [Device]

    /// Creates a context for `devices`, which must belong to one platform.
    /// The corresponding OpenCL function is `clCreateContext`.
    public init(devices: [Device]) throws {
        guard let platform = devices.first?.platform else {
            throw OpenCLError(code: CL_INVALID_VALUE, function: "clCreateContext")
        }
        let properties: [cl_context_properties] = [
            cl_context_properties(CL_CONTEXT_PLATFORM), Int(bitPattern: UnsafeRawPointer(platform.id)), 0,
        ]
        let ids: [cl_device_id?] = devices.map(\.id)
        var status: cl_int = CL_SUCCESS
        let context = clCreateContext(properties, cl_uint(ids.count), ids, nil, nil, &status)
        try OpenCLError.check(status, "clCreateContext")
        guard let context else { throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateContext") }
        self.id = context
        self.devices = devices
    }

    /// Creates a context for one device.
    /// The corresponding OpenCL function is `clCreateContext`.
    public convenience init(device: Device) throws {
        try self.init(devices: [device])
    }

    deinit {
        clReleaseContext(id)
    }
}
