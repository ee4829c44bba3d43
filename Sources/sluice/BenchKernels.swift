import ArgumentParser
import Foundation
import Sluice

/// `sluice bench kernels`: in-memory GB/s of the CPU kernels per instruction set (no I/O).
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernels",
        abstract: "In-memory throughput of the CPU kernels (BLAKE3 per instruction set, and the others), one thread.")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Option(name: .customLong("repeat"), help: "Repetitions (the best is kept).")
    var repetitions: Int = 5

    func run() throws {
        let results = KernelBenchmark.run(repetitions: max(1, repetitions))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
            return
        }
        print("isa       workload  GB/s (best of \(repetitions), one thread)")
        for result in results {
            print(result.isa.padding(toLength: 10, withPad: " ", startingAt: 0)
                + result.workload.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "%.2f", result.gigabytesPerSecond))
        }
    }
}
