import Foundation
import ArgumentParser
import Sluice

/// The device options shared by the commands that compute (`sluice run`, `sluice devices`).
struct DeviceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to compute: auto, gpu, cpu, opencl, opencl:P or opencl:P:D.",
            discussion: "P and D are an index or a case-insensitive name substring of the platform "
                + "and device, as `sluice devices` lists them; auto takes an OpenCL GPU if present, "
                + "else the CPU SIMD backend.",
            valueName: "device"),
        transform: { try DeviceSpec(parsing: $0) })
    var device: DeviceSpec = .auto

    @Flag(name: .long, help: "Fail (exit 2) instead of falling back to the CPU SIMD backend when the requested device is missing or fails.")
    var strictDevice = false

    /// Resolves `--device` against the machine's devices; warnings are the caller's to print.
    func resolve(inventory: DeviceInventory = .current()) throws -> DeviceResolution {
        try DeviceResolver.resolve(device, strict: strictDevice, inventory: inventory)
    }

    /// The compute backend for `--device`, falling back to the CPU SIMD backend when the chosen
    /// OpenCL device cannot build its program (unless `--strict-device`); prints the warnings.
    /// - Parameter workers: CPU backend threads (default: one per core).
    func makeBackend(workers: Int?) throws -> (ComputeBackend, DeviceResolution) {
        var resolution = try resolveForRun()
        let workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let backend: ComputeBackend
        do {
            backend = try BackendFactory.make(for: resolution.device, workers: workers)
        } catch {
            resolution = try resolution.fallingBack(after: error, strict: strictDevice)
            backend = try BackendFactory.make(for: resolution.device, workers: workers)
        }
        resolution.warnings.forEach(printError)
        return (backend, resolution)
    }

    /// Resolves `--device` for a run: `cpu` needs no OpenCL at all, so the platforms are not
    /// enumerated (loading the ICDs and PoCL costs about 50 ms per process).
    func resolveForRun() throws -> DeviceResolution {
        if device == .cpu {
            return DeviceResolution(device: .cpu(CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)))
        }
        return try resolve()
    }
}
