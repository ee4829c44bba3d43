import COpenCL
import Foundation

/// Programs built once per device and process, with one context and in-order queue per device.
///
/// Building an OpenCL program takes PoCL seconds (a GPU driver less, but still far more than a
/// batch), so every kernel launch path asks this cache instead of building. A failed build is
/// cached too: the same source would fail the same way, and its error (with the build log) is
/// thrown again at once.
public final class ProgramCache: @unchecked Sendable {
    /// A device's context and queue, and one program built for it.
    public struct Entry: Sendable {
        /// The context holding only this device.
        public let context: Context
        /// The device's shared in-order queue.
        public let queue: CommandQueue
        /// The built program.
        public let program: Program
    }

    /// The process-wide cache.
    public static let shared = ProgramCache()

    private struct DeviceState {
        let context: Context
        let queue: CommandQueue
        var programs: [String: Result<Program, OpenCLError>] = [:]
    }

    private let lock = NSLock()
    private var states: [UInt: DeviceState] = [:]

    /// Creates an empty cache (tests use their own; the pipeline uses `shared`).
    public init() {}

    /// The program built from `Kernels/NAME.cl` (embedded) with `options` for `device`, building
    /// it on first use. Throws the build's `OpenCLError` (with its log) if it fails, now and on
    /// every later request.
    public func entry(for device: Device, kernelSource name: String, options: String = "") throws -> Entry {
        guard let source = Program.embeddedSource(named: name) else {
            throw OpenCLError(code: CL_INVALID_KERNEL_NAME, function: "sluice_kernel_source(\(name))")
        }
        return try entry(for: device, source: source, key: name, options: options)
    }

    /// The program built from `source` with `options` for `device`, cached under `key` and
    /// `options`.
    public func entry(for device: Device, source: String, key: String, options: String = "") throws -> Entry {
        lock.lock()
        defer { lock.unlock() }
        let deviceKey = UInt(bitPattern: device.id)
        var state: DeviceState
        if let existing = states[deviceKey] {
            state = existing
        } else {
            let context = try Context(device: device)
            state = DeviceState(context: context, queue: try CommandQueue(context: context, device: device))
        }
        let programKey = key + "\u{0}" + options
        let result: Result<Program, OpenCLError>
        if let cached = state.programs[programKey] {
            result = cached
        } else {
            do {
                let program = try Program(context: state.context, source: source)
                try program.build(options: options)
                result = .success(program)
            } catch let error as OpenCLError {
                result = .failure(error)
            }
            state.programs[programKey] = result
        }
        states[deviceKey] = state
        return Entry(context: state.context, queue: state.queue, program: try result.get())
    }
}
