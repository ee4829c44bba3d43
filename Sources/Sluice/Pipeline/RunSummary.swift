import Foundation

/// The end-of-run totals: files, bytes, rates, per-stage busy time and the device.
public struct RunSummary: Sendable, Codable {
    /// Files with a digest.
    public var filesHashed = 0
    /// Files with an error or a change (these make the exit code 1).
    public var filesFailed = 0
    /// Files skipped (not regular) or vanished (warnings).
    public var filesSkipped = 0
    /// Bytes hashed.
    public var bytes: UInt64 = 0
    /// Wall time from the first read to the last result, seconds.
    public var wallSeconds: Double = 0
    /// Time spent listing the files (walk and stat), seconds; in given order the listing runs
    /// beside the pipeline, so this overlaps `wallSeconds`.
    public var catalogSeconds: Double = 0
    /// CPU time the listing used on the walk's thread (one thread, which hands out the files in
    /// order), and on the helpers that read directories ahead of it.
    public var catalogCPUSeconds: Double = 0
    public var catalogHelpersCPUSeconds: Double = 0
    /// What ran the kernel.
    public var device = ""
    /// Per-stage totals, in pipeline order.
    public var stages: [StageStatistics] = []
    /// Staging buffers created and their size (the staging memory high-water mark is their product).
    public var stagingBuffers = 0
    public var stagingBufferBytes = 0
    /// Warnings raised while choosing the device.
    public var warnings: [String] = []
    /// What each compute lane did, in the order the lanes joined.
    public var lanes: [LaneStatistics] = []
    /// The process's CPU time (user + system, every thread) at the end of the run, seconds.
    public var cpuSeconds: Double = 0
    /// Whether the run was interrupted (SIGINT, SIGTERM) before every file was done.
    public var interrupted = false
    /// Files listed when the run ended (with `interrupted`: how many there were to do).
    public var filesListed = 0

    /// Files per second.
    public var filesPerSecond: Double { wallSeconds > 0 ? Double(filesHashed) / wallSeconds : 0 }
    /// Gigabytes (1e9 bytes) per second.
    public var gigabytesPerSecond: Double { wallSeconds > 0 ? Double(bytes) / wallSeconds / 1e9 : 0 }
    /// Wall time over the busiest stage's busy time per thread: 1.0 is perfect overlap.
    public var overlapRatio: Double {
        let busiest = stages.map { $0.busySeconds / Double(max(1, $0.threads)) }.max() ?? 0
        return busiest > 0 ? wallSeconds / busiest : 0
    }

    /// Each part's share of `cpuSeconds`, in percent: the listing, each stage that measures its
    /// threads' CPU time, and "other" for the rest (start-up, an OpenCL driver's own threads,
    /// the summary). A single-threaded stage's share says whether more cores would queue
    /// behind it.
    public var cpuShares: [(name: String, percent: Double)] {
        guard cpuSeconds > 0 else { return [] }
        var parts: [(String, Double)] = [("listing", catalogCPUSeconds), ("listing helpers", catalogHelpersCPUSeconds)]
        for stage in stages { if let cpu = stage.cpuSeconds { parts.append((stage.name, cpu)) } }
        let measured = parts.reduce(0) { $0 + $1.1 }
        parts.append(("other", max(0, cpuSeconds - measured)))
        return parts.map { (name: $0.0, percent: 100 * $0.1 / cpuSeconds) }
    }

    /// The exit code docs/cli.md gives: 0 all processed, 1 some failed.
    public var exitCode: Int32 { filesFailed > 0 ? 1 : 0 }

    /// The human summary printed on stderr at the end of a run.
    public var text: String {
        var lines: [String] = []
        // Interpolation, not `%@`: Foundation's bridging of Swift strings through C varargs is
        // not needed for this and has had lifetime bugs on Linux.
        if interrupted {
            let done = filesHashed + filesFailed + filesSkipped
            lines.append("sluice: interrupted: \(done) of \(max(done, filesListed)) files done")
        }
        lines.append("sluice: \(filesHashed) files, \(Self.formatBytes(bytes)) in \(Self.fixed(wallSeconds, 3)) s "
                     + "(\(Self.fixed(filesPerSecond, 0)) files/s, \(Self.fixed(gigabytesPerSecond, 2)) GB/s) on \(device)")
        if filesFailed > 0 || filesSkipped > 0 {
            lines.append("sluice: \(filesFailed) failed, \(filesSkipped) skipped or vanished")
        }
        let stageText = stages.map { stage in
            let utilisation = wallSeconds > 0 ? 100 * stage.busySeconds / (wallSeconds * Double(max(1, stage.threads))) : 0
            return "\(stage.name) \(Self.fixed(utilisation, 0))% ×\(stage.threads)"
        }.joined(separator: ", ")
        lines.append("sluice: listing \(Self.fixed(catalogSeconds, 3)) s; stages busy: \(stageText); "
                     + "wall/busiest \(Self.fixed(overlapRatio, 2))")
        let shares = cpuShares.map { "\($0.name) \(Self.fixed($0.percent, 0))%" }.joined(separator: ", ")
        lines.append("sluice: CPU \(Self.fixed(cpuSeconds, 3)) s" + (shares.isEmpty ? "" : ": " + shares))
        if lanes.count > 1 || lanes.contains(where: { $0.startSeconds > 0 }) {
            for lane in lanes {
                lines.append("sluice: lane \(lane.device): \(lane.batches) batches, \(Self.formatBytes(lane.bytes)), "
                             + "busy \(Self.fixed(lane.busySeconds, 3)) s (\(Self.fixed(lane.gigabytesPerSecond, 2)) GB/s), "
                             + "ready after \(Self.fixed(lane.startSeconds, 3)) s")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// Bytes with a binary unit.
    public static func formatBytes(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\(fixed(value, 1)) \(units[unit])"
    }
}
