import COpenCL

/// A device buffer (`cl_mem`) of a fixed size.
///
/// OpenCL's memory-object calls are thread-safe, so the type is `Sendable`; concurrent commands
/// that touch overlapping bytes still need events to order them.
public final class Buffer: @unchecked Sendable {
    /// How a buffer may be used and where its storage lives (`cl_mem_flags`).
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The `cl_mem_flags` bit field.
        public let rawValue: cl_mem_flags
        /// Wraps a `cl_mem_flags` bit field.
        public init(rawValue: cl_mem_flags) { self.rawValue = rawValue }

        /// Kernels read and write it (`CL_MEM_READ_WRITE`, the default).
        public static let readWrite = Flags(rawValue: cl_mem_flags(CL_MEM_READ_WRITE))
        /// Kernels only write it (`CL_MEM_WRITE_ONLY`).
        public static let writeOnly = Flags(rawValue: cl_mem_flags(CL_MEM_WRITE_ONLY))
        /// Kernels only read it (`CL_MEM_READ_ONLY`).
        public static let readOnly = Flags(rawValue: cl_mem_flags(CL_MEM_READ_ONLY))
        /// The device uses the host memory passed to `init` as its storage (`CL_MEM_USE_HOST_PTR`).
        public static let useHostPointer = Flags(rawValue: cl_mem_flags(CL_MEM_USE_HOST_PTR))
        /// Storage in host-accessible, pinned memory: map such a buffer to get a staging area that
        /// the device reads by DMA without a bounce copy (`CL_MEM_ALLOC_HOST_PTR`).
        public static let allocHostPointer = Flags(rawValue: cl_mem_flags(CL_MEM_ALLOC_HOST_PTR))
        /// Initialise from the host memory passed to `init` (`CL_MEM_COPY_HOST_PTR`).
        public static let copyHostPointer = Flags(rawValue: cl_mem_flags(CL_MEM_COPY_HOST_PTR))
        /// The host only writes it (`CL_MEM_HOST_WRITE_ONLY`).
        public static let hostWriteOnly = Flags(rawValue: cl_mem_flags(CL_MEM_HOST_WRITE_ONLY))
        /// The host only reads it (`CL_MEM_HOST_READ_ONLY`).
        public static let hostReadOnly = Flags(rawValue: cl_mem_flags(CL_MEM_HOST_READ_ONLY))
        /// The host never touches it (`CL_MEM_HOST_NO_ACCESS`).
        public static let hostNoAccess = Flags(rawValue: cl_mem_flags(CL_MEM_HOST_NO_ACCESS))
    }

    /// How a mapping will be used (`cl_map_flags`).
    public struct MapFlags: OptionSet, Hashable, Sendable {
        /// The `cl_map_flags` bit field.
        public let rawValue: cl_map_flags
        /// Wraps a `cl_map_flags` bit field.
        public init(rawValue: cl_map_flags) { self.rawValue = rawValue }

        /// The host reads the mapped bytes (`CL_MAP_READ`).
        public static let read = MapFlags(rawValue: cl_map_flags(CL_MAP_READ))
        /// The host writes the mapped bytes (`CL_MAP_WRITE`).
        public static let write = MapFlags(rawValue: cl_map_flags(CL_MAP_WRITE))
        /// The host overwrites the whole region, so the old contents need not be copied to it
        /// (`CL_MAP_WRITE_INVALIDATE_REGION`): the right flag for a staging buffer being filled.
        public static let writeInvalidateRegion = MapFlags(rawValue: cl_map_flags(CL_MAP_WRITE_INVALIDATE_REGION))
    }

    /// The OpenCL handle.
    public let id: cl_mem
    /// The size in bytes.
    public let size: Int
    /// The context the buffer belongs to.
    public let context: Context

    /// Creates a buffer of `size` bytes (more than zero). `hostPointer` is required with
    /// `.useHostPointer` or `.copyHostPointer` and must be `nil` otherwise; with
    /// `.useHostPointer` it must stay valid for the buffer's lifetime.
    /// The corresponding OpenCL function is `clCreateBuffer`.
    public init(context: Context, flags: Flags = .readWrite, size: Int,
                hostPointer: UnsafeMutableRawPointer? = nil) throws {
        var status: cl_int = CL_SUCCESS
        let memory = clCreateBuffer(context.id, flags.rawValue, size, hostPointer, &status)
        try OpenCLError.check(status, "clCreateBuffer")
        guard let memory else { throw OpenCLError(code: CL_OUT_OF_HOST_MEMORY, function: "clCreateBuffer") }
        self.id = memory
        self.size = size
        self.context = context
    }

    deinit {
        clReleaseMemObject(id)
    }

    /// Maps `count` bytes at `offset` (the whole buffer by default) into host memory and returns
    /// them with the map command's event. With `blocking: false` the bytes may be touched only
    /// after the event completed. A mapping must be ended with `unmap(_:on:waitingFor:)` before
    /// a kernel uses the buffer; mapping a `.allocHostPointer` buffer is how a pinned staging
    /// area is obtained.
    /// The corresponding OpenCL function is `clEnqueueMapBuffer`.
    public func map(on queue: CommandQueue, flags: MapFlags, offset: Int = 0, count: Int? = nil,
                    blocking: Bool = true, waitingFor events: [Event] = []) throws
        -> (bytes: UnsafeMutableRawBufferPointer, event: Event)
    {
        let length = count ?? (size - offset)
        var status: cl_int = CL_SUCCESS
        var event: cl_event?
        let pointer = Event.withList(events) { number, list in
            clEnqueueMapBuffer(queue.id, id, blocking ? cl_bool(CL_TRUE) : cl_bool(CL_FALSE), flags.rawValue,
                               offset, length, number, list, &event, &status)
        }
        try OpenCLError.check(status, "clEnqueueMapBuffer")
        guard let pointer, let event else {
            throw OpenCLError(code: CL_MAP_FAILURE, function: "clEnqueueMapBuffer")
        }
        return (UnsafeMutableRawBufferPointer(start: pointer, count: length),
                Event(taking: event, command: "clEnqueueMapBuffer"))
    }

    /// Ends a mapping made by `map(on:flags:offset:count:blocking:waitingFor:)`; the bytes must
    /// not be touched afterwards.
    /// The corresponding OpenCL function is `clEnqueueUnmapMemObject`.
    public func unmap(_ bytes: UnsafeMutableRawBufferPointer, on queue: CommandQueue,
                      waitingFor events: [Event] = []) throws -> Event {
        var event: cl_event?
        let status = Event.withList(events) { number, list in
            clEnqueueUnmapMemObject(queue.id, id, bytes.baseAddress, number, list, &event)
        }
        try OpenCLError.check(status, "clEnqueueUnmapMemObject")
        return try Event(returnedBy: event, command: "clEnqueueUnmapMemObject")
    }
}
