import Sluice

/// Prints `sluice check`'s verdicts as the files' results arrive (in list order: `check` runs
/// the pipeline with `ordered`, so each comes once every file listed before it is done), and
/// counts them per list.
///
/// Each line naming a file gets `PATH: OK` or `PATH: FAILED` on stdout, or `PATH: FAILED open or
/// read` when the file could not be read, whose reason goes to stderr as `sluice: PATH: REASON`
/// (sha256sum's way, with `--status` too). Verdicts are written out whenever the pipeline has
/// nothing more ready.
final class CheckVerdictSink: ResultSink {
    /// What to print.
    struct Verbosity {
        /// No OK lines (`--quiet`).
        var quiet = false
        /// No verdict lines at all (`--status`).
        var statusOnly = false
    }

    private var waiting: [RawPath: [ChecksumList.Line]] = [:]
    private let verbosity: Verbosity
    private let ignoreMissing: Bool
    private let interrupted: () -> Bool
    private let output: Sluice.OutputStream
    /// The counts of each list, by its position.
    private(set) var tallies: [CheckTally]

    /// - Parameters:
    ///   - lines: the properly formatted lines of every list.
    ///   - tallies: each list's counts so far (its formatted and bad lines).
    ///   - ignoreMissing: a file that vanished before it was read is left out, as missing.
    ///   - interrupted: once true, results without a digest are not reported (the problem may
    ///     be the interrupt itself); their lines stay unchecked.
    init(lines: [ChecksumList.Line], tallies: [CheckTally], verbosity: Verbosity, ignoreMissing: Bool,
         interrupted: @escaping () -> Bool, output: Sluice.OutputStream) {
        for line in lines { waiting[line.entry.path, default: []].append(line) }
        self.tallies = tallies
        self.verbosity = verbosity
        self.ignoreMissing = ignoreMissing
        self.interrupted = interrupted
        self.output = output
    }

    /// Lines no verdict was printed for yet.
    var uncheckedLines: Int { waiting.values.reduce(0) { $0 + $1.count } }

    /// Leaves out the lines naming `path` (a missing file, with `--ignore-missing`): no verdict,
    /// no count.
    func leaveOut(_ path: RawPath) { waiting[path] = nil }

    /// After a complete run, reports every line still without a verdict (a name the run gave no
    /// result for) as a file that could not be read; never an OK.
    func reportUncheckedAsUnreadable() throws {
        let left = waiting.keys.sorted()
        for path in left {
            try write(FileResult(index: -1, path: path, size: 0, digest: nil,
                                 problem: FileProblem(path: path, kind: .error, message: "no result for this name")))
        }
        try output.flush()
    }

    func write(_ result: FileResult) throws {
        guard let lines = waiting[result.path] else { return }
        if let digest = result.digest {
            waiting[result.path] = nil
            for line in lines {
                let matches = digest.prefix(line.entry.digest.count).elementsEqual(line.entry.digest)
                if matches { tallies[line.list].matched += 1 } else { tallies[line.list].mismatched += 1 }
                if matches && verbosity.quiet { continue }
                try verdict(result.path, matches ? "OK" : "FAILED")
            }
        } else if let problem = result.problem {
            if interrupted() { return }
            waiting[result.path] = nil
            if ignoreMissing && problem.kind == .vanished { return }
            Diagnostics.write(ProblemMessage.line(problem))
            for line in lines {
                tallies[line.list].unreadable += 1
                try verdict(result.path, "FAILED open or read")
            }
        }
    }

    /// `PATH: WORDS` on stdout, unless `--status`.
    private func verdict(_ path: RawPath, _ words: String) throws {
        guard !verbosity.statusOnly else { return }
        try output.write(B3SumFormat.displayName(path) + Array(": \(words)\n".utf8))
    }

    func caughtUp() throws { try output.flush() }

    func finish() throws { try output.flush() }
}
