import ArgumentParser
import Foundation
import Sluice

/// `sluice devices`: every OpenCL platform and device and the CPU SIMD backend, as a table or
/// JSON, with the device `--device` selects marked.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL devices and the CPU SIMD backend.",
        discussion: "The lanes that --device (default auto) selects are marked with '*' (JSON: \"selected\": true). "
            + "Without any OpenCL platform, only the CPU backend is listed.")

    @Flag(name: .long, help: "Print a JSON array with one object per device.")
    var json = false

    @OptionGroup
    var deviceOptions: DeviceOptions

    func run() throws {
        let inventory = DeviceInventory.current()
        if let note = inventory.note { printError("sluice: \(note)") }
        for problem in inventory.problems { printError("sluice: warning: \(problem)") }
        var (devices, warnings) = try deviceOptions.resolveLanes(inventory: inventory)
        if devices.isEmpty && deviceOptions.strictDevice {
            throw DeviceSelectionError("no OpenCL GPU or accelerator found (\(warnings.joined(separator: "; "))); "
                                       + "--strict-device forbids the fallback to the CPU SIMD backend")
        }
        if devices.isEmpty {
            // `--device gpu` without a GPU: a run falls back to the CPU SIMD lane.
            devices = [.cpu(inventory.cpu.isa)]
            warnings = warnings.map { $0 + "; fallback to the CPU SIMD backend (\(inventory.cpu.isa.rawValue))" }
        }
        warnings.forEach(printError)
        let records = inventory.records(selecting: devices)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        } else {
            print(table(records))
            for platform in inventory.platforms where !inventory.openCL.contains(where: { $0.platformIndex == platform.index }) {
                print("(OpenCL platform \(platform.index), \(platform.name), has no devices)")
            }
        }
    }

    /// Aligned columns, like `clinfo -l` with the facts that matter for sluice.
    private func table(_ records: [DeviceRecord]) -> String {
        let header = ["", "INDEX", "BACKEND", "TYPE", "NAME", "PLATFORM", "UNITS", "GLOBAL MEM", "MAX ALLOC",
                      "LOCAL MEM", "VERSION / ISA"]
        let rows = records.map { record in
            [record.selected ? "*" : "", record.index, record.backend, record.type, record.name, record.platform,
             String(record.computeUnits), bytes(record.globalMemBytes), bytes(record.maxAllocBytes),
             record.localMemBytes.map(bytes) ?? "-", record.openclCVersion ?? record.isa ?? "-"]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    private func bytes(_ count: UInt64) -> String { RunSummary.formatBytes(count) }
}

/// Writes one line to standard error.
/// A closed or full standard error loses the line; it never stops the command.
func printError(_ line: String) {
    Diagnostics.line(line)
}
