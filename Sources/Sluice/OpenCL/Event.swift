import COpenCL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The completion of one enqueued command (`cl_event`).
///
/// Waiting and status queries are thread-safe in OpenCL, so the type is `Sendable`.
public final class Event: @unchecked Sendable {
    /// Where a command stands (`CL_EVENT_COMMAND_EXECUTION_STATUS`).
    public enum ExecutionStatus: Equatable, Sendable {
        /// Enqueued, not yet sent to the device (`CL_QUEUED`).
        case queued
        /// Sent to the device (`CL_SUBMITTED`).
        case submitted
        /// Executing (`CL_RUNNING`).
        case running
        /// Done (`CL_COMPLETE`).
        case complete
        /// Terminated abnormally with this negative error code.
        case failed(Int32)

        init(_ value: cl_int) {
            switch value {
            case CL_COMPLETE: self = .complete
            case CL_RUNNING: self = .running
            case CL_SUBMITTED: self = .submitted
            case CL_QUEUED: self = .queued
            default: self = .failed(value)
            }
        }
    }

    /// Thrown by `wait(timeout:)` when the command did not finish in time; the device may be hung
    /// or merely slow, and the command may still complete later.
    public struct TimeoutError: Error, Sendable, CustomStringConvertible {
        /// The call that enqueued the command, for example "clEnqueueNDRangeKernel".
        public var command: String
        /// How long `wait(timeout:)` waited.
        public var timeout: Duration
        /// The status seen last.
        public var lastStatus: ExecutionStatus

        /// Names the command, the timeout and the last status seen.
        public var description: String {
            "\(command) did not complete within \(timeout) (last status: \(lastStatus))"
        }
    }

    /// The OpenCL handle.
    public let id: cl_event
    /// The call that enqueued the command, named in errors.
    public let command: String

    /// Takes ownership of `id` (its reference from the enqueue call; released in `deinit`).
    public init(taking id: cl_event, command: String) {
        self.id = id
        self.command = command
    }

    /// Takes ownership of an event an enqueue call returned through its out-parameter.
    convenience init(returnedBy event: cl_event?, command: String) throws {
        guard let event else { throw OpenCLError(code: CL_INVALID_EVENT, function: command) }
        self.init(taking: event, command: command)
    }

    deinit {
        clReleaseEvent(id)
    }

    /// Creates a user event: a gate the host opens with `setUserEventStatus(_:)`. Commands that
    /// wait for it do not start before; a pipeline can hold back work or cancel it this way.
    /// The corresponding OpenCL function is `clCreateUserEvent`.
    public static func userEvent(context: Context) throws -> Event {
        var status: cl_int = CL_SUCCESS
        let event = clCreateUserEvent(context.id, &status)
        try OpenCLError.check(status, "clCreateUserEvent")
        return try Event(returnedBy: event, command: "clCreateUserEvent")
    }

    /// Completes a user event (`CL_COMPLETE`, the default) or fails it with a negative code,
    /// which makes the commands waiting for it fail. Allowed once per user event.
    /// The corresponding OpenCL function is `clSetUserEventStatus`.
    public func setUserEventStatus(_ executionStatus: Int32 = CL_COMPLETE) throws {
        try OpenCLError.check(clSetUserEventStatus(id, executionStatus), "clSetUserEventStatus")
    }

    /// The command's current status.
    /// The corresponding OpenCL function is `clGetEventInfo` (`CL_EVENT_COMMAND_EXECUTION_STATUS`).
    public var status: ExecutionStatus {
        get throws {
            var value: cl_int = 0
            try OpenCLError.check(
                clGetEventInfo(id, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS),
                               MemoryLayout<cl_int>.size, &value, nil),
                "clGetEventInfo")
            return ExecutionStatus(value)
        }
    }

    /// Blocks until the command completes, with no time limit: use it only on devices that cannot
    /// hang (a CPU device), and prefer `wait(timeout:)` otherwise. Throws the command's error if
    /// it terminated abnormally.
    /// The corresponding OpenCL function is `clWaitForEvents`.
    public func wait() throws {
        var list: cl_event? = id
        let result = clWaitForEvents(1, &list)
        if case .failed(let code) = try status { throw OpenCLError(code: code, function: command) }
        try OpenCLError.check(result, "clWaitForEvents")
    }

    /// Waits until the command completes or `timeout` passes, polling the status with a
    /// back-off from 50 µs to 2 ms, so that a hung device cannot block the caller forever (an
    /// unbounded `clFinish` or `clWaitForEvents` could). Flushes the command's queue first: an
    /// unflushed command may never be submitted, and polling alone does not submit it.
    /// Throws `OpenCLError` (naming the enqueue call) if the command terminated abnormally and
    /// `TimeoutError` if it did not finish in time.
    /// The corresponding OpenCL function is `clGetEventInfo` (`CL_EVENT_COMMAND_EXECUTION_STATUS`).
    public func wait(timeout: Duration) throws {
        try flushQueue()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pause = 50_000  // nanoseconds
        while true {
            let current = try status
            switch current {
            case .complete:
                return
            case .failed(let code):
                throw OpenCLError(code: code, function: command)
            case .queued, .submitted, .running:
                if clock.now >= deadline {
                    throw TimeoutError(command: command, timeout: timeout, lastStatus: current)
                }
                var interval = timespec(tv_sec: 0, tv_nsec: pause)
                nanosleep(&interval, nil)
                pause = min(pause * 2, 2_000_000)
            }
        }
    }

    /// Flushes the queue the command was enqueued on (user events have none).
    /// The corresponding OpenCL function is `clFlush`.
    private func flushQueue() throws {
        var queue: cl_command_queue?
        try OpenCLError.check(
            clGetEventInfo(id, cl_event_info(CL_EVENT_COMMAND_QUEUE),
                           MemoryLayout<cl_command_queue?>.size, &queue, nil),
            "clGetEventInfo")
        if let queue { try OpenCLError.check(clFlush(queue), "clFlush") }
    }

    /// Calls `body` with an OpenCL event wait list for `events` (count and pointer; a null
    /// pointer for an empty list, as OpenCL requires).
    static func withList<R>(_ events: [Event], _ body: (cl_uint, UnsafePointer<cl_event?>?) -> R) -> R {
        if events.isEmpty { return body(0, nil) }
        let ids: [cl_event?] = events.map(\.id)
        return withExtendedLifetime(events) {
            ids.withUnsafeBufferPointer { body(cl_uint(ids.count), $0.baseAddress) }
        }
    }
}
