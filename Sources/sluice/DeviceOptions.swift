import Foundation
import ArgumentParser
import Sluice

/// The device options shared by the commands that compute (`sluice run`, `check`, `devices`).
struct DeviceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to compute: auto, gpu, cpu, opencl, opencl:P or opencl:P:D, or several joined by commas.",
            discussion: "P and D are an index or a case-insensitive name substring of the platform "
                + "and device, as `sluice devices` lists them. auto runs the CPU SIMD lane and a lane per "
                + "OpenCL GPU or accelerator together; gpu runs only the GPU lanes; a list such as cpu,opencl "
                + "runs exactly those lanes, all taking batches from one queue.",
            valueName: "device"),
        transform: { try DeviceSpec.list(parsing: $0) })
    var device: [DeviceSpec] = [.auto]

    @Flag(name: .long, help: "Fail (exit 2) instead of falling back to the CPU SIMD backend when the requested device is missing or fails.")
    var strictDevice = false

    @Option(name: .long, help: "Submissions in flight per OpenCL lane (default 3 on GPUs; CPU devices such as PoCL's keep at most 2).")
    var inFlight: Int?

    /// Most submissions in flight per OpenCL lane (`--in-flight`).
    static let maximumInFlight = 64

    /// The lanes `--device` selects, for `sluice devices`; warnings are the caller's to print.
    func resolveLanes(inventory: DeviceInventory = .current()) throws -> (devices: [ComputeDevice], warnings: [String]) {
        try DeviceResolver.lanes(for: device, inventory: inventory)
    }

    /// Starts the lanes `--device` asks for: the CPU lane is ready at once; OpenCL discovery,
    /// contexts and program builds start now on their own thread (see `LaneStart`).
    /// - Parameter workers: CPU lane threads (default: one per core).
    /// Starts the lanes for a run of `kernel` (OpenCL lanes build its program as they start).
    func startLanes(workers: Int?, kernel: any ComputeKernel) throws -> LaneStart {
        if let inFlight, !(1...DeviceOptions.maximumInFlight).contains(inFlight) {
            throw ValidationError("--in-flight takes 1 to \(DeviceOptions.maximumInFlight); \(inFlight) is out of range")
        }
        let isa = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)
        let cpu = CPUBackend(isa: isa, workers: workers ?? HostCores.active)
        let wantsCPU = device.contains(.cpu) || device.contains(.auto)
        // `cpu` alone needs no OpenCL at all: the platforms are not even enumerated (loading the
        // ICDs and PoCL costs about 50 ms per process).
        guard device.contains(where: { $0 != .cpu }) else { return LaneStart(cpu: cpu, runsCPULane: true) }
        let specs = device
        let depth = inFlight
        // auto and gpu look for GPUs only: CPU-only OpenCL implementations are not even loaded.
        var filter = GPUVendorFilter.Outcome.unchanged
        if specs.allSatisfy({ $0 == .cpu || $0 == .auto || $0 == .gpu }) { filter = GPUVendorFilter.restrict() }
        if case .noGPUImplementation(let skipped) = filter {
            if wantsCPU { return LaneStart(cpu: cpu, runsCPULane: true) }
            let reason = "the only OpenCL implementations installed drive the CPU: \(skipped.joined(separator: ", "))"
            if strictDevice {
                throw DeviceSelectionError("no OpenCL GPU or accelerator found (\(reason)); "
                                           + "--strict-device forbids the fallback to the CPU SIMD backend")
            }
            return LaneStart(cpu: cpu, runsCPULane: true,
                             warnings: ["sluice: warning: no OpenCL GPU found (\(reason)); fallback to the CPU SIMD backend (\(isa.rawValue))"])
        }
        let failure = LaneStartFailure()
        let restrictedFolder: String? = if case .restricted(let folder) = filter { folder } else { nil }
        // Beside the CPU lane, OpenCL implementations that all drive this CPU (PoCL) would only
        // take its cores: their start (about 0.2 CPU-s for PoCL) and their threads, which inherit
        // the starting thread's priority, run at a lower one, on the cycles the CPU lane leaves
        // (on Linux a nice value is per thread: `setpriority(PRIO_PROCESS, 0, …)` sets this one's).
        let sharesTheCPU = wantsCPU && (GPUVendorFilter.classify(environment: ProcessInfo.processInfo.environment)
            .map { $0.kept.isEmpty && !$0.skipped.isEmpty } ?? false)
        let lane = StartingLane(name: "OpenCL") {
            if sharesTheCPU { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
            let inventory = DeviceInventory.current()
            // The loader has read the private vendor folder; it is not needed any more.
            if let restrictedFolder { try? FileManager.default.removeItem(atPath: restrictedFolder) }
            // An entry that matches nothing is left out: beside a CPU lane it is a warning;
            // without one, the recorded error ends the command (exit 2).
            let found = DeviceResolver.lanesLeavingOutUnmatched(for: specs.filter { $0 != .cpu }, inventory: inventory)
            var warnings = found.warnings
            for (spec, error) in found.unmatched {
                failure.record(error, device: nil)
                warnings.append("sluice: warning: no OpenCL device matches '\(spec)' (see `sluice devices`); that lane is left out")
            }
            var backends: [ComputeBackend] = []
            for case .opencl(let device) in found.devices {
                do {
                    backends.append(try OpenCLBackend(device: device, kernel: kernel, depth: depth))
                } catch {
                    failure.record(error, device: ComputeDevice.opencl(device))
                    let reason = String(describing: error).split(separator: "\n").first.map(String.init) ?? ""
                    warnings.append("sluice: warning: \(ComputeDevice.opencl(device).displayName) failed (\(reason))")
                }
            }
            return (backends, warnings)
        }
        return LaneStart(cpu: cpu, runsCPULane: wantsCPU, openCL: lane, waits: !wantsCPU || strictDevice,
                         strict: strictDevice, failure: failure)
    }
}

/// The first error met while starting OpenCL lanes (a device that matches nothing, a program
/// that does not build), for the commands that must report it.
final class LaneStartFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (error: Error, device: ComputeDevice?)?

    func record(_ error: Error, device: ComputeDevice?) {
        lock.lock()
        if first == nil { first = (error, device) }
        lock.unlock()
    }

    var error: (error: Error, device: ComputeDevice?)? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }
}

/// The lanes of a run while they start.
///
/// With a CPU lane (`auto`, `cpu,…`), the run starts at once and the OpenCL lanes join when
/// ready; their warnings are printed then. Without one (`gpu`, `opencl…`) or under
/// `--strict-device`, `lanes()` waits for the start (which overlapped the walk): a selection
/// error is exit 2, and no usable device means the CPU lane with a warning containing
/// "fallback" (or exit 2 under `--strict-device`).
struct LaneStart {
    /// The CPU lane: run from the start when `runsCPULane`, else the fallback.
    let cpu: CPUBackend
    let runsCPULane: Bool
    var openCL: StartingLane?
    var waits = false
    var strict = false
    var failure: LaneStartFailure?
    /// Warnings known before any lane started (printed by `lanes()`).
    var warnings: [String] = []

    /// Whether OpenCL lanes were asked for (they change the reader default).
    var hasOpenCL: Bool { openCL != nil }

    /// Lets the OpenCL start run now instead of once the pipeline's threads exist
    /// (`StartingLane.begin`): for a run that lists every file before the first read (size or
    /// path order), so that the start overlaps the listing. Threads the listing creates while
    /// the start loads a vendor library may wait for the loader's lock; the pipeline's own
    /// threads come after the listing.
    func beginStarting() {
        openCL?.begin()
    }

    /// The lanes for the pipeline, and the warnings printed on the way.
    func lanes() throws -> (lanes: [PipelineLane], warnings: [String]) {
        guard let openCL else {
            warnings.forEach(printError)
            return ([.ready(cpu)], warnings)
        }
        guard waits else { return ([.ready(cpu), .starting(openCL)], []) }
        let backends = openCL.wait().backends
        let warnings = openCL.takeWarnings()
        if let (error, device) = failure?.error {
            if let selection = error as? DeviceSelectionError { throw selection }
            if strict {
                throw DeviceSelectionError("\(device?.displayName ?? "OpenCL") failed: \(error); --strict-device forbids "
                                           + "the fallback to the CPU SIMD backend")
            }
        }
        var lanes: [PipelineLane] = backends.map { .ready($0) }
        var printed = warnings
        if runsCPULane { lanes.insert(.ready(cpu), at: 0) }
        if lanes.isEmpty {
            let isa = cpu.isa.rawValue
            if strict {
                throw DeviceSelectionError("no usable OpenCL device (\(warnings.joined(separator: "; "))); "
                                           + "--strict-device forbids the fallback to the CPU SIMD backend")
            }
            // One line says what went wrong and that the CPU takes over.
            let fallbackText = "fallback to the CPU SIMD backend (\(isa))"
            if let last = printed.popLast() {
                printed.append(last + "; " + fallbackText)
            } else {
                printed.append("sluice: warning: no OpenCL device started; " + fallbackText)
            }
            lanes = [.ready(cpu)]
        }
        printed.forEach(printError)
        return (lanes, printed)
    }

    /// Prints the warnings of a lane start that finished during the run but never joined it
    /// (the run ended first); a start still going is not waited for.
    func printLateWarnings() -> [String] {
        let late = openCL?.takeWarnings() ?? []
        late.forEach(printError)
        return late
    }

    /// A name for the lanes, known before they all joined (JSON lines carry it).
    func name(of lanes: [PipelineLane]) -> String {
        lanes.map { lane -> String in
            switch lane {
            case .ready(let backend): return backend.deviceName
            case .starting(let lane): return lane.name
            }
        }.joined(separator: "+")
    }
}
