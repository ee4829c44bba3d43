import ArgumentParser
import Foundation
import Sluice

/// `sluice check`: verify checksum lines (b3sum's, sluice's, or the `--tag` form) against the
/// files, with the options, messages and exit statuses of `sha256sum --check`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify HEX  PATH or BLAKE3 (PATH) = HEX checksum lines (as b3sum --check, sha256sum --check).",
        discussion: "Each file named in the lists is hashed (through the same pipeline as run) and "
            + "reported as soon as it is done: 'PATH: OK', 'PATH: FAILED', or 'PATH: FAILED open or read' "
            + "with the reason on stderr. Names are matched byte for byte, escaped names (a leading "
            + "backslash) included; a CR before the newline is ignored. Exit status: 0 every listed file "
            + "matched; 1 a file FAILED or could not be read, a list had no properly formatted line, or "
            + "(with --strict) a line was improperly formatted; 2 usage or setup error; 130 interrupted.")

    @Argument(help: "Checksum files (- for standard input).")
    var lists: [String] = ["-"]

    @OptionGroup var deviceOptions: DeviceOptions
    @OptionGroup var hashMode: HashModeOptions

    @Flag(name: [.customShort("q"), .long], help: "Do not print OK lines.")
    var quiet = false

    @Flag(name: .long, help: ArgumentHelp(
        "Print no verdicts and no warnings: the exit status tells.",
        discussion: "As with sha256sum, a file that cannot be read and a list without a properly "
            + "formatted line are still reported on stderr. Overrides --quiet and --warn."))
    var status = false

    @Flag(name: [.customShort("w"), .long], help: "Warn about each improperly formatted checksum line.")
    var warn = false

    @Flag(name: .long, help: "Exit 1 when a checksum line is improperly formatted.")
    var strict = false

    @Flag(name: .long, help: "Do not fail or report status for files that are missing.")
    var ignoreMissing = false

    @Flag(name: [.customShort("z"), .long], help: "The lists hold NUL-terminated records, as `run -z` writes them (names not escaped).")
    var zero = false

    func run() throws {
        var lists: [ChecksumList] = []
        for (position, path) in RawArguments.recover(self.lists).enumerated() {
            let list = try ChecksumList.read(path, list: position, zero: zero)
            reportFormat(of: list)
            lists.append(list)
        }
        let lines = lists.flatMap(\.lines)
        let interrupt = InterruptFlag.install()
        let sink = CheckVerdictSink(
            lines: lines,
            tallies: lists.map { CheckTally(formattedLines: $0.lines.count, badLines: $0.badLines.count) },
            verbosity: CheckVerdictSink.Verbosity(quiet: quiet, statusOnly: status),
            ignoreMissing: ignoreMissing, interrupted: { interrupt.isSet }, output: Sluice.OutputStream(fd: 1))
        if !lines.isEmpty { try verify(lines, into: sink, interrupt: interrupt) }
        try sink.finish()
        // Interrupted: the verdicts printed stand, the files left unchecked get none, and no
        // closing line is printed (it would read as the whole list's outcome).
        if interrupt.isSet {
            printError("sluice: check interrupted; "
                       + CheckTally.counted(sink.uncheckedLines, "listed file was", "listed files were") + " not checked")
            throw ExitCode(130)
        }
        try sink.reportUncheckedAsUnreadable()

        var passed = true
        for (list, tally) in zip(lists, sink.tallies) {
            if !status { tally.closingLines(listName: list.name, ignoreMissing: ignoreMissing).forEach(printError) }
            passed = passed && tally.passed(strict: strict, ignoreMissing: ignoreMissing)
        }
        if !passed { throw ExitCode(1) }
    }

    /// With `--warn`, one warning per improperly formatted line; and the error of a list without
    /// a properly formatted line, after its first bad line's warning even without `--warn` (so
    /// that the reason shows: a `-z` list read without `-z`, digests too short).
    private func reportFormat(of list: ChecksumList) {
        let warns = warn && !status
        if warns { list.badLines.forEach { printError(list.warning(for: $0)) } }
        guard list.lines.isEmpty else { return }
        if !warns && !status, let first = list.badLines.first { printError(list.warning(for: first)) }
        printError("sluice: \(list.name): no properly formatted \(B3SumFormat.tag) checksum lines found")
    }

    /// Hashes the files the lines name and hands their results to `sink`. Missing files are
    /// left out with `--ignore-missing`; a directory is a file that cannot be read, never walked.
    private func verify(_ lines: [ChecksumList.Line], into sink: CheckVerdictSink, interrupt: InterruptFlag) throws {
        let length = lines.map(\.entry.digest.count).max()!
        let mode = try hashMode.mode(length: length)
        let start = try deviceOptions.startLanes(workers: nil, kernel: BLAKE3Kernel(mode: mode))

        var unique: [RawPath] = []
        var seen = Set<RawPath>()
        for line in lines where seen.insert(line.entry.path).inserted {
            let path = line.entry.path
            switch ListedName.kind(of: path) {
            case .missing where ignoreMissing:
                sink.leaveOut(path)
            case .directory:
                let problem = FileProblem(path: path, kind: .error, message: String(cString: strerror(EISDIR)))
                try sink.write(FileResult(index: -1, path: path, size: 0, digest: nil, problem: problem))
            default:
                unique.append(path)
            }
        }
        try sink.caughtUp()
        guard !unique.isEmpty else { return }
        var options = CatalogOptions()
        options.order = .given
        let catalog = try Catalog.build(paths: unique, options: options)
        var configuration = RunConfiguration()
        configuration.kernel = BLAKE3Kernel(mode: mode)
        // Verdicts in list order, as sha256sum prints them, each as soon as it and every file
        // before it are done (the reorder buffer holds results, not data).
        configuration.ordered = true
        configuration.readers = Run.defaultReaders(cores: HostCores.active,
                                                   withOpenCL: start.hasOpenCL)
        _ = try Pipeline(catalog: catalog, lanes: try start.lanes().lanes, configuration: configuration, sink: sink,
                         cancellation: Cancellation(external: { interrupt.isSet })).run()
    }
}
