import Foundation

/// A one-line progress display on stderr (files, bytes, GB/s, ETA), redrawn at most every
/// 200 ms, only when stderr is a terminal.
final class ProgressReporter {
    /// The files and bytes listed so far (the walk may still be going).
    private let totals: () -> (count: Int, bytes: UInt64, complete: Bool)
    private let enabled: Bool
    private var files = 0
    private var bytes: UInt64 = 0
    private let started = StageClock.now()
    private var lastDraw: UInt64 = 0

    init(totals: @escaping () -> (count: Int, bytes: UInt64, complete: Bool), enabled: Bool) {
        self.totals = totals
        self.enabled = enabled && isatty(2) != 0
    }

    func advance(files: Int, bytes: UInt64) {
        guard enabled else { return }
        self.files += files
        self.bytes += bytes
        let now = StageClock.now()
        if now - lastDraw > 200_000_000 {
            lastDraw = now
            draw(now: now)
        }
    }

    func finish() {
        guard enabled else { return }
        Diagnostics.write("\r\u{1B}[K")
    }

    private func draw(now: UInt64) {
        let (totalFiles, totalBytes, complete) = totals()
        let seconds = Double(now - started) / 1e9
        let rate = seconds > 0 ? Double(bytes) / seconds : 0
        let remaining = rate > 0 ? Double(totalBytes - min(bytes, totalBytes)) / rate : 0
        let fraction = totalBytes > 0 ? Double(bytes) / Double(totalBytes) : Double(files) / Double(max(1, totalFiles))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        // While the walk goes on, the totals are what it has listed so far (no ETA yet).
        let line = "\r[\(bar)] \(files)/\(totalFiles)\(complete ? "" : "+") files, \(RunSummary.formatBytes(bytes)), "
            + "\(RunSummary.fixed(rate / 1e9, 2)) GB/s, ETA \(complete ? RunSummary.fixed(remaining, 0) + " s" : "?")\u{1B}[K"
        Diagnostics.write(line)
    }
}
