import ArgumentParser
import Sluice

/// The `sluice` command: streams batches of files through compute kernels on OpenCL or CPU SIMD.
@main
struct SluiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Stream batches of files through compute kernels on a GPU (OpenCL) or CPU SIMD.",
        version: "sluice \(SluiceVersion.current)",
        subcommands: [Run.self, Check.self, Devices.self, Bench.self, Audit.self, Export.self, Merge.self]
    )
}
