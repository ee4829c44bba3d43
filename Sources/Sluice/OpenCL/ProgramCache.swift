import COpenCL
import Foundation

/// Programs built once per device and process, with one context and in-order queue per device.
///
/// Building an OpenCL program takes PoCL seconds (a GPU driver less, but still far more than a
/// batch), so every kernel launch path asks this cache instead of building. A failed build is
/// cached too: the same source would fail the same way, and its error (with the build log) is
/// thrown again at once.
///
/// Across processes, the binary of each successful build is kept in a `ProgramBinaryCache` and
/// tried first the next time; a binary that is missing, damaged or refused by the driver is
/// silently replaced by a build from source, exactly as without the cache.
public final class ProgramCache: @unchecked Sendable {
    /// A device's context and queue, and one program built for it.
    public struct Entry: Sendable {
        /// The context holding only this device.
        public let context: Context
        /// The device's shared in-order queue.
        public let queue: CommandQueue
        /// The built program.
        public let program: Program
        /// Whether the program was made from a binary of the `ProgramBinaryCache` (true) or
        /// compiled from source in this process (false).
        public let loadedFromBinary: Bool
    }

    /// The process-wide cache, CPU-type devices (PoCL) included (`cachesCPUDevices`).
    public static let shared = ProgramCache(binaryCache: ProgramBinaryCache.fromEnvironment(), cachesCPUDevices: true)

    private struct BuiltProgram {
        let program: Program
        let loadedFromBinary: Bool
    }

    private struct DeviceState {
        let context: Context
        let queue: CommandQueue
        var programs: [String: Result<BuiltProgram, OpenCLError>] = [:]
    }

    private let lock = NSLock()
    private var states: [UInt: DeviceState] = [:]

    /// The on-disk binaries tried before building from source, or nil when there are none.
    public let binaryCache: ProgramBinaryCache?
    /// Whether CPU-type devices (PoCL) use `binaryCache` too; GPUs and accelerators always do.
    /// On in the shared cache: PoCL keeps a cache of its own (in the persistent `POCL_CACHE_DIR`
    /// sluice gives it), but finding an entry there costs a run of clang's preprocessor over the
    /// source in every process, while a binary is loaded as it is. A 4 KiB file with
    /// `--device opencl` took 148 ms of CPU from PoCL's cache and 72 ms from the binary
    /// (`perf stat -r 10`, 2-core AMD EPYC). The price: reading a PoCL program's binary makes
    /// PoCL compile every kernel of the program at once, about 2.5 s more in the one process that
    /// stores the entry when PoCL's own cache is cold (docs/devices.md).
    public let cachesCPUDevices: Bool

    /// Creates an empty cache (tests use their own; the pipeline uses `shared`) over the binary
    /// cache the environment asks for (`ProgramBinaryCache.fromEnvironment()`).
    public convenience init() {
        self.init(binaryCache: ProgramBinaryCache.fromEnvironment())
    }

    /// Creates an empty cache over `binaryCache` (nil: always build from source).
    public init(binaryCache: ProgramBinaryCache?, cachesCPUDevices: Bool = false) {
        self.binaryCache = binaryCache
        self.cachesCPUDevices = cachesCPUDevices
    }

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
        let result: Result<BuiltProgram, OpenCLError>
        if let cached = state.programs[programKey] {
            result = cached
        } else {
            result = try build(source: source, options: options, device: device, context: state.context)
            state.programs[programKey] = result
        }
        states[deviceKey] = state
        let built = try result.get()
        return Entry(context: state.context, queue: state.queue, program: built.program,
                     loadedFromBinary: built.loadedFromBinary)
    }

    /// The program from its cached binary if that loads and builds, else from source (then its
    /// binary is stored for the next process). Only the source build's failure is a failure.
    private func build(source: String, options: String, device: Device,
                       context: Context) throws -> Result<BuiltProgram, OpenCLError> {
        let usesBinaries = cachesCPUDevices || ((try? device.isGPUOrAccelerator) ?? false)
        let key = usesBinaries ? binaryCache?.key(source: source, options: options, device: device) : nil
        if let key, let binary = binaryCache?.load(key) {
            // clBuildProgram is required for a binary too; any failure means "compile instead".
            let program = try? binary.withUnsafeBytes { try Program(context: context, device: device, binary: $0) }
            if let program, (try? program.build(options: options)) != nil {
                return .success(BuiltProgram(program: program, loadedFromBinary: true))
            }
        }
        do {
            let program = try Program(context: context, source: source)
            try program.build(options: options)
            if let key, let binary = try? program.binaries.first, !binary.isEmpty {
                binaryCache?.store(binary, for: key)
            }
            return .success(BuiltProgram(program: program, loadedFromBinary: false))
        } catch let error as OpenCLError {
            return .failure(error)
        }
    }
}
