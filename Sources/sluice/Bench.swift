import ArgumentParser
import Foundation
import Sluice

/// `sluice bench`: measure sluice against its peers on deterministic corpora, and the kernels alone.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark sluice against b3sum, xargs -P b3sum and cat on generated corpora, or the kernels alone.",
        subcommands: [BenchKernels.self])
}

/// `sluice bench kernels`: in-memory GB/s of the CPU kernels per instruction set (no I/O).
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernels",
        abstract: "In-memory throughput of the CPU BLAKE3 kernels per instruction set, one thread.")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Option(name: [.customLong("repeat")], help: "Repetitions (the best is kept).")
    var repetitions: Int = 5

    func run() throws {
        let results = KernelBenchmark.run(repetitions: max(1, self.repetitions))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
            return
        }
        print("isa       workload  GB/s (best of \(self.repetitions), one thread)")
        for result in results {
            print(result.isa.padding(toLength: 10, withPad: " ", startingAt: 0)
                + result.workload.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "%.2f", result.gigabytesPerSecond))
        }
    }
}
