import COpenCL

/// An in-order command queue on one device.
///
/// Enqueue calls never block: each returns the command's `Event`, and the host memory a command
/// reads or writes must stay valid until that event completed. OpenCL's queue calls are
/// thread-safe, so the type is `Sendable`; commands from several threads run in enqueue order.
public final class CommandQueue: @unchecked Sendable {
    /// The OpenCL handle.
    public let id: cl_command_queue
    /// The context of the queue.
    public let context: Context
    /// The device the queue feeds.
    public let device: Device

    /// Creates an in-order queue for `device`, which must belong to `context`. With `profiling`,
    /// events record device timestamps (`CL_QUEUE_PROFILING_ENABLE`).
    /// The corresponding OpenCL function is `clCreateCommandQueue` (the OpenCL 1.2 entry point,
    /// which every platform still answers, unlike `clCreateCommandQueueWithProperties`).
    public init(context: Context, device: Device, profiling: Bool = false) throws {
        let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        var status: cl_int = CL_SUCCESS
        let queue = clCreateCommandQueue(context.id, device.id, properties, &status)
        try OpenCLError.check(status, "clCreateCommandQueue")
        guard let queue else { throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateCommandQueue") }
        self.id = queue
        self.context = context
        self.device = device
    }

    deinit {
        clReleaseCommandQueue(id)
    }

    /// Copies `source` (not empty) into `buffer` at `offset` without blocking; `source` must stay
    /// valid and unchanged until the returned event completed.
    /// The corresponding OpenCL function is `clEnqueueWriteBuffer`.
    public func enqueueWrite(_ buffer: Buffer, offset: Int = 0, from source: UnsafeRawBufferPointer,
                             waitingFor events: [Event] = []) throws -> Event {
        var event: cl_event?
        let status = Event.withList(events) { number, list in
            clEnqueueWriteBuffer(id, buffer.id, cl_bool(CL_FALSE), offset, source.count, source.baseAddress,
                                 number, list, &event)
        }
        try OpenCLError.check(status, "clEnqueueWriteBuffer")
        return try Event(returnedBy: event, command: "clEnqueueWriteBuffer")
    }

    /// Copies `destination.count` bytes (more than zero) from `buffer` at `offset` into
    /// `destination` without blocking; the bytes are there once the returned event completed.
    /// The corresponding OpenCL function is `clEnqueueReadBuffer`.
    public func enqueueRead(_ buffer: Buffer, offset: Int = 0, into destination: UnsafeMutableRawBufferPointer,
                            waitingFor events: [Event] = []) throws -> Event {
        var event: cl_event?
        let status = Event.withList(events) { number, list in
            clEnqueueReadBuffer(id, buffer.id, cl_bool(CL_FALSE), offset, destination.count,
                                destination.baseAddress, number, list, &event)
        }
        try OpenCLError.check(status, "clEnqueueReadBuffer")
        return try Event(returnedBy: event, command: "clEnqueueReadBuffer")
    }

    /// Fills `count` bytes of `buffer` at `offset` (the whole buffer by default) with copies of
    /// `pattern`, for example zeroes before a kernel accumulates into the buffer.
    /// The corresponding OpenCL function is `clEnqueueFillBuffer`.
    public func enqueueFill<Pattern: BitwiseCopyable>(_ buffer: Buffer, pattern: Pattern, offset: Int = 0,
                                                      count: Int? = nil, waitingFor events: [Event] = []) throws
        -> Event
    {
        var event: cl_event?
        var value = pattern
        let status = Event.withList(events) { number, list in
            clEnqueueFillBuffer(id, buffer.id, &value, MemoryLayout<Pattern>.size, offset,
                                count ?? (buffer.size - offset), number, list, &event)
        }
        try OpenCLError.check(status, "clEnqueueFillBuffer")
        return try Event(returnedBy: event, command: "clEnqueueFillBuffer")
    }

    /// Runs `kernel` over `globalSize` work-items (one to three dimensions) in work-groups of
    /// `localSize` (the implementation chooses when `nil`). The kernel's arguments are read at
    /// this call, so the `Kernel` may be given new arguments as soon as it returns.
    /// The corresponding OpenCL function is `clEnqueueNDRangeKernel`.
    public func enqueueNDRangeKernel(_ kernel: Kernel, globalSize: [Int], localSize: [Int]? = nil,
                                     waitingFor events: [Event] = []) throws -> Event {
        guard (1...3).contains(globalSize.count), localSize.map({ $0.count == globalSize.count }) ?? true else {
            throw OpenCLError(code: CL_INVALID_WORK_DIMENSION, function: "clEnqueueNDRangeKernel")
        }
        var event: cl_event?
        let status = Event.withList(events) { number, list in
            globalSize.withUnsafeBufferPointer { global in
                if let localSize {
                    return localSize.withUnsafeBufferPointer { local in
                        clEnqueueNDRangeKernel(id, kernel.id, cl_uint(globalSize.count), nil, global.baseAddress,
                                               local.baseAddress, number, list, &event)
                    }
                }
                return clEnqueueNDRangeKernel(id, kernel.id, cl_uint(globalSize.count), nil, global.baseAddress,
                                              nil, number, list, &event)
            }
        }
        try OpenCLError.check(status, "clEnqueueNDRangeKernel")
        return try Event(returnedBy: event, command: "clEnqueueNDRangeKernel")
    }

    /// Sends every enqueued command to the device without waiting for any. Needed before polling
    /// an event from another thread (`Event.wait(timeout:)` does it itself).
    /// The corresponding OpenCL function is `clFlush`.
    public func flush() throws {
        try OpenCLError.check(clFlush(id), "clFlush")
    }

    /// Blocks until every enqueued command completed, with no time limit: on a device that may
    /// hang, wait for the last command's event with `Event.wait(timeout:)` instead.
    /// The corresponding OpenCL function is `clFinish`.
    public func finish() throws {
        try OpenCLError.check(clFinish(id), "clFinish")
    }
}
