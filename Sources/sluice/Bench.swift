import ArgumentParser
import Foundation
import Sluice

/// `sluice bench`: sluice against its peers on deterministic corpora, in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time sluice against b3sum, xargs -P b3sum (over a list, and after find) and cat on generated corpora (hot cache).",
        discussion: """
            Corpora (generated once into the cache folder, same bytes every time): std8k (8000 files, \
            log-normal sizes, median 64 KiB, ~1.2 GiB), tiny (20000 × 4 KiB), huge (2 × 1 GiB). \
            Every tool runs once to warm up, then the tools take turns, --repeat rounds of one run each \
            (a machine that slows down or speeds up weighs on every row alike); the table gives median, min and max \
            wall seconds, the median CPU seconds (user and system, children included), the peak anonymous RSS, and sluice's median over each peer's (below 1.0: sluice is faster).
            """,
        subcommands: [BenchCorpora.self, BenchKernels.self],
        defaultSubcommand: BenchCorpora.self)
}

/// `sluice bench corpora` (the default): sluice versus the peers on PATH.
struct BenchCorpora: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "corpora",
        abstract: "Time sluice against its peers on the generated corpora.")

    @Option(name: .long, help: "Comma-separated corpora: std8k, tiny, huge.")
    var corpus: String = "std8k,tiny,huge"

    @Option(name: .long, help: "The --device values to time, separated by spaces; each may be a lane list (e.g. \"cpu auto gpu cpu,opencl\").")
    var devices: String = "cpu auto gpu"

    @Option(name: .customLong("repeat"), help: "Timed repetitions per tool (after one warm-up).")
    var repetitions: Int = 3

    @Option(name: .long, help: "Folder for the corpora (default: $XDG_CACHE_HOME/sluice/bench or ~/.cache/sluice/bench).")
    var cache: String?

    @Option(name: .long, parsing: .unconditional, help: "Extra options passed to every sluice run (quoted), e.g. \"--readers 1\".")
    var sluiceOptions: String = ""

    @Option(name: .long, help: "The kernel to time: blake3 (peers: b3sum, xargs -P b3sum), entropy (peers: a per-file numpy loop, ent), stats (sluice --dtype f32; peer: a per-file numpy loop).")
    var kernel: BenchKernel = .blake3

    @Option(name: .long, help: ArgumentHelp("Also time another sluice binary with the same options, as a peer (e.g. the build before a change).", valueName: "PATH"))
    var baseline: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .long, help: "Also time each sluice row with --db (a fresh results store in the cache folder for every run, removed first inside the timed command) and print its ratio to the plain row.")
    var dbOverhead = false

    func run() throws {
        let names = corpus.split(separator: ",").map(String.init)
        for name in names where BenchCorpus.named(name) == nil {
            throw ValidationError("unknown corpus \(name); choose from \(BenchCorpus.names.joined(separator: ", "))")
        }
        let cacheURL = URL(fileURLWithPath: cache ?? Self.defaultCache())
        let cores = HostCores.active
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var reports: [CorpusReport] = []
        for name in names {
            let corpus = BenchCorpus.named(name)!
            let root = try corpus.materialise(in: cacheURL) { printError($0) }
            let list = cacheURL.appendingPathComponent("\(name).list")
            try Data(corpus.files.map { root.appendingPathComponent($0.path).path }.joined(separator: "\u{0}").utf8)
                .write(to: list)
            let batch = max(1, (corpus.files.count + cores * 4 - 1) / (cores * 4))
            let deviceList = devices.split(whereSeparator: { $0 == " " || $0 == ";" })
            let kernelOptions = kernel.sluiceOptions
            var tools: [(String, String)] = deviceList.map { device in
                ("sluice --device \(device)",
                 "\(quote(me)) run --device \(device) -q \(kernelOptions) \(sluiceOptions) \(quote(root.path))")
            }
            if dbOverhead {
                let store = quote(cacheURL.appendingPathComponent("bench-overhead.db").path)
                for device in deviceList {
                    let run = "\(quote(me)) run --device \(device) -q \(kernelOptions) \(sluiceOptions) --db \(store) \(quote(root.path))"
                    tools.append(("sluice --device \(device) --db",
                                  "/bin/sh -c \(quote("rm -f \(store) \(store)-wal \(store)-shm && exec \(run)"))"))
                }
            }
            if let baseline {
                for device in deviceList {
                    tools.append(("baseline --device \(device)",
                                  "\(quote(baseline)) run --device \(device) -q \(kernelOptions) \(sluiceOptions) \(quote(root.path))"))
                }
            }
            tools += kernel.peers(list: list.path, root: root.path, cores: cores, batch: batch, quote: quote)
            tools.append(("cat", "xargs -0 -a \(quote(list.path)) cat"))
            var report = CorpusReport(corpus: name, files: corpus.files.count, bytes: corpus.totalBytes, tools: [])
            // The tools take turns, one run each per round, after one warm-up run each (page
            // cache, PoCL's kernel cache): a shared machine that slows down or speeds up meanwhile
            // weighs on every row alike. Run one tool after the other, the ratios moved with the
            // machine's load (tiny's sluice/`xargs -P2 b3sum` from 0.92 to 1.10 within minutes).
            for (_, command) in tools { _ = try CommandTimer.run(command) }
            var turns: [[CommandTimer.Sample]] = Array(repeating: [], count: tools.count)
            for _ in 0..<max(1, repetitions) {
                for (index, tool) in tools.enumerated() { turns[index].append(try CommandTimer.run(tool.1)) }
            }
            for (position, (label, command)) in tools.enumerated() {
                let samples = turns[position]
                let times = samples.map(\.seconds).sorted()
                let cpuTimes = samples.map(\.cpuSeconds).sorted()
                report.tools.append(ToolReport(
                    tool: label, command: command, median: times[times.count / 2], min: times.first!, max: times.last!,
                    cpuMedian: cpuTimes[cpuTimes.count / 2],
                    peakAnonymousMiB: Double(samples.map(\.peakAnonymousBytes).max() ?? 0) / 1_048_576,
                    failures: samples.filter { $0.exitCode != 0 }.count))
            }
            report.computeRatios()
            reports.append(report)
            if !json { print(report.table + report.storeOverhead) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
        }
    }

    static func defaultCache() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/sluice/bench" }
        return (environment["HOME"] ?? "/tmp") + "/.cache/sluice/bench"
    }

    static func onPath(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    private func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// The kernels `sluice bench` times, and their peers.
enum BenchKernel: String, ArgumentChoice {
    case blake3, entropy, stats

    /// What every sluice run of this kernel is given.
    var sluiceOptions: String {
        switch self {
        case .blake3: return ""
        case .entropy: return "--kernel entropy"
        case .stats: return "--kernel stats --dtype f32"
        }
    }

    /// The peers installed here: label and shell command over the NUL-separated `list` of the
    /// corpus's files (made once, beforehand: the peers do not list the folder), and for BLAKE3
    /// also `find` over the corpus folder `root` into `xargs -P`, which lists it as sluice does.
    func peers(list: String, root: String, cores: Int, batch: Int, quote: (String) -> String) -> [(String, String)] {
        switch self {
        case .blake3:
            guard BenchCorpora.onPath("b3sum") else { return [] }
            return [("b3sum", "xargs -0 -a \(quote(list)) b3sum"),
                    ("xargs -P\(cores) b3sum", "xargs -0 -a \(quote(list)) -P \(cores) -n \(batch) b3sum"),
                    ("find | xargs -P\(cores) b3sum",
                     "find \(quote(root)) -type f -print0 | xargs -0 -P \(cores) -n \(batch) b3sum")]
        case .entropy:
            var peers = [("numpy loop", "python3 -c \(quote(Self.numpyEntropy)) \(quote(list))")]
            if BenchCorpora.onPath("ent") { peers.append(("ent", "xargs -0 -a \(quote(list)) -n 1 ent -t")) }
            return peers
        case .stats:
            return [("numpy loop", "python3 -c \(quote(Self.numpyStatistics)) \(quote(list))")]
        }
    }

    /// A per-file numpy loop: byte counts and entropy (what `--kernel entropy` reports first).
    static let numpyEntropy = """
        import sys, numpy as np
        for path in open(sys.argv[1], 'rb').read().split(b'\\0'):
            c = np.bincount(np.fromfile(path, dtype=np.uint8), minlength=256)
            p = c[c > 0] / max(1, c.sum())
            print(path.decode(errors='replace'), -(p * np.log2(p)).sum())
        """

    /// A per-file numpy loop: float32 count, min, max, mean and standard deviation in float64.
    static let numpyStatistics = """
        import sys, numpy as np
        for path in open(sys.argv[1], 'rb').read().split(b'\\0'):
            x = np.fromfile(path, dtype=np.float32)
            x = x.astype(np.float64)
            print(path.decode(errors='replace'), len(x), x.min() if len(x) else 0, x.max() if len(x) else 0, x.mean() if len(x) else 0, x.std() if len(x) else 0)
        """
}

/// One corpus's timings.
struct CorpusReport: Codable {
    var corpus: String
    var files: Int
    var bytes: Int
    var tools: [ToolReport]

    /// Each sluice device's median over each peer's median.
    mutating func computeRatios() {
        let sluices = tools.filter { $0.tool.hasPrefix("sluice") }
        for index in tools.indices where !tools[index].tool.hasPrefix("sluice") {
            var ratios: [String: Double] = [:]
            for sluice in sluices { ratios[sluice.tool] = sluice.median / tools[index].median }
            tools[index].sluiceOverThis = ratios
        }
    }

    /// `--db-overhead`: each `… --db` row's median over its plain row's, one line per device.
    var storeOverhead: String {
        tools.filter { $0.tool.hasSuffix(" --db") }.compactMap { withStore -> String? in
            guard let plain = tools.first(where: { $0.tool == String(withStore.tool.dropLast(5)) }) else { return nil }
            return String(format: "\n  --db overhead: %@ / %@ = %.3f", withStore.tool, plain.tool, withStore.median / plain.median)
        }.joined()
    }

    var table: String {
        var lines = ["\(corpus): \(files) files, \(RunSummary.formatBytes(UInt64(bytes)))"]
        lines.append("  tool                          median     min     max   cpu s  peak anon MiB  sluice/tool (one per sluice row, in row order)")
        // Ratios in the order the sluice rows are printed (one column per sluice row).
        let sluiceRows = tools.map(\.tool).filter { $0.hasPrefix("sluice") }
        for tool in tools {
            let ratios = sluiceRows.compactMap { tool.sluiceOverThis?[$0] }
                .map { String(format: "%.2f", $0) }.joined(separator: " ")
            lines.append("  " + tool.tool.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: "%8.3f%8.3f%8.3f%8.3f%15.1f  ", tool.median, tool.min, tool.max, tool.cpuMedian,
                         tool.peakAnonymousMiB)
                + ratios + (tool.failures > 0 ? "  (\(tool.failures) runs failed)" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// One tool's timings on one corpus.
struct ToolReport: Codable {
    var tool: String
    var command: String
    var median: Double
    var min: Double
    var max: Double
    /// Median CPU seconds (user plus system, the tool and its children).
    var cpuMedian: Double
    var peakAnonymousMiB: Double
    var failures: Int
    /// sluice's median over this tool's, per sluice device (peers only).
    var sluiceOverThis: [String: Double]?
}
