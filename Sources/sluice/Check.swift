import ArgumentParser
import Foundation
import Sluice

/// `sluice check`: verify b3sum-format checksum lines (sluice's or b3sum's) against the files.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify HEX  PATH checksum lines (as b3sum --check); exit 1 if any file fails.",
        discussion: "Each file named in the lists is hashed (through the same pipeline as run) and "
            + "reported as 'PATH: OK' or 'PATH: FAILED'. Names are matched byte for byte, escaped "
            + "names (a leading backslash) included.")

    @Argument(help: "Checksum files (- for standard input).")
    var lists: [String] = ["-"]

    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var hashMode: HashModeOptions

    @Flag(name: .long, help: "Do not print OK lines.")
    var quiet = false

    @Flag(name: [.customShort("z"), .long], help: "The lists hold NUL-terminated records, as `run -z` writes them (names not escaped).")
    var zero = false

    func run() throws {
        var entries: [B3SumFormat.Entry] = []
        var malformed = 0
        for list in RawArguments.recover(lists) {
            let data: Data
            if list.bytes == Array("-".utf8) {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                data = try readWholeFile(list)
            }
            let bytes = [UInt8](data)
            let separator: UInt8 = zero ? 0 : UInt8(ascii: "\n")
            for (number, line) in bytes.split(separator: separator, omittingEmptySubsequences: false).enumerated()
            where !line.isEmpty {
                do {
                    entries.append(try B3SumFormat.parse(line: line, zero: zero))
                } catch {
                    printError("sluice: \(list):\(number + 1): \(error)")
                    malformed += 1
                }
            }
        }
        // A line that cannot be parsed is a failure, never an OK: with nothing else to check,
        // the command still fails.
        guard !entries.isEmpty else {
            if malformed > 0 { throw ExitCode(1) }
            throw SetupError("no checksum lines found")
        }

        let length = entries.map(\.digest.count).max()!
        let mode = try hashMode.mode(length: length)
        let interrupt = InterruptFlag.install()
        let start = try deviceOptions.startLanes(workers: nil)

        var unique: [RawPath] = []
        var seen = Set<RawPath>()
        for entry in entries where seen.insert(entry.path).inserted { unique.append(entry.path) }
        var options = CatalogOptions()
        options.order = .given
        let catalog = try Catalog.build(paths: unique, options: options)
        let sink = CollectingSink()
        var configuration = RunConfiguration()
        configuration.mode = mode
        configuration.readers = Run.defaultReaders(cores: ProcessInfo.processInfo.activeProcessorCount,
                                                   withOpenCL: start.hasOpenCL)
        _ = try Pipeline(catalog: catalog, lanes: try start.lanes().lanes, configuration: configuration, sink: sink,
                         cancellation: Cancellation(external: { interrupt.isSet })).run()
        // Interrupted: files were left unchecked, so no verdict is printed at all (an OK line
        // for what was checked would read as a passed list).
        if interrupt.isSet {
            printError("sluice: check interrupted; no file was reported")
            throw ExitCode(130)
        }

        var outcomes: [RawPath: FileResult] = [:]
        for result in sink.results { outcomes[result.path] = result }
        let output = Sluice.OutputStream(fd: 1)
        var failures = malformed
        for entry in entries {
            var line = B3SumFormat.displayName(entry.path) + Array(": ".utf8)
            if let result = outcomes[entry.path], let digest = result.digest {
                if Array(digest.prefix(entry.digest.count)) == entry.digest {
                    if quiet { continue }
                    line += Array("OK".utf8)
                } else {
                    line += Array("FAILED".utf8)
                    failures += 1
                }
            } else {
                let reason = outcomes[entry.path]?.problem?.message ?? "not a regular file"
                line += Array("FAILED (\(reason))".utf8)
                failures += 1
            }
            line.append(UInt8(ascii: "\n"))
            try output.write(line)
        }
        try output.flush()
        if failures > 0 { throw ExitCode(1) }
    }
}
