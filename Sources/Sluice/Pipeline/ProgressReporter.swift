import Foundation

/// The progress line on stderr: files and bytes done of the totals, the percentage, GB/s and an
/// ETA, redrawn at most every 200 ms by the writer thread, and fitted to the terminal's width
/// as it is now (read at every redraw, so a resized window gets a fitting line at once).
///
/// When results go to the same terminal (stdout and stderr both it), a result line must never
/// be glued to the bar: the bar is erased before results are written, and the results written
/// so far are flushed (`flushOutput`) before the bar is drawn again below them.
final class ProgressReporter {
    /// The files and bytes listed so far (the walk may still be going).
    private let totals: () -> (count: Int, bytes: UInt64, complete: Bool)
    private let enabled: Bool
    private let sharesTerminalWithOutput: Bool
    private let flushOutput: () -> Void
    private var files = 0
    private var bytes: UInt64 = 0
    private let started = StageClock.now()
    private var lastDraw: UInt64 = 0
    /// Whether a bar is on the screen now.
    private var drawn = false

    /// - Parameters:
    ///   - enabled: draw at all (`--progress`, or stderr is a terminal; see `sluice run`).
    ///   - flushOutput: writes out the results buffered so far.
    init(totals: @escaping () -> (count: Int, bytes: UInt64, complete: Bool), enabled: Bool,
         flushOutput: @escaping () -> Void = {}) {
        self.totals = totals
        self.enabled = enabled
        self.flushOutput = flushOutput
        sharesTerminalWithOutput = enabled && isatty(1) != 0 && isatty(2) != 0
    }

    /// Call before a result is written: erases the bar when the result goes to the same
    /// terminal (stdout is it, or the result is a problem, whose line goes to stderr).
    func willWrite(_ result: FileResult) {
        guard drawn, sharesTerminalWithOutput || result.problem != nil else { return }
        Diagnostics.write("\r\u{1B}[K")
        drawn = false
    }

    /// Counts finished files; redraws when 200 ms have passed since the last frame.
    func advance(files: Int, bytes: UInt64) {
        guard enabled else { return }
        self.files += files
        self.bytes += bytes
        let now = StageClock.now()
        if now - lastDraw > 200_000_000 {
            lastDraw = now
            if sharesTerminalWithOutput { flushOutput() }
            Diagnostics.write("\r" + Self.line(files: self.files, bytes: self.bytes, totals: totals(),
                                               seconds: Double(now - started) / 1e9, width: Self.terminalWidth())
                              + "\u{1B}[K")
            drawn = true
        }
    }

    /// Erases the bar for good.
    func finish() {
        guard enabled, drawn else { return }
        Diagnostics.write("\r\u{1B}[K")
        drawn = false
    }

    /// Columns of the terminal on stderr, 80 when it is not one (`--progress` to a file).
    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// One frame, at most `width - 1` characters (the last column is left free: a line that
    /// fills it wraps on some terminals). The fullest form that fits wins: with a bar, without,
    /// then shorter wordings.
    static func line(files: Int, bytes: UInt64, totals: (count: Int, bytes: UInt64, complete: Bool),
                     seconds: Double, width: Int) -> String {
        let room = max(1, width - 1)
        let fraction = totals.bytes > 0 ? min(1, Double(bytes) / Double(totals.bytes))
                                        : Double(files) / Double(max(1, totals.count))
        let listing = totals.complete ? "" : "+"
        let percent = totals.complete ? "\(Int(fraction * 100))%" : "…"
        let rate = seconds > 0 ? Double(bytes) / seconds : 0
        let eta = estimate(fraction: fraction, rate: rate, remainingBytes: totals.bytes - min(bytes, totals.bytes),
                           seconds: seconds, complete: totals.complete)
        let full = "\(files)/\(totals.count)\(listing) files, \(RunSummary.formatBytes(bytes))/"
            + "\(RunSummary.formatBytes(totals.bytes))\(listing) (\(percent)), \(RunSummary.fixed(rate / 1e9, 2)) GB/s, ETA \(eta)"
        let candidates = [
            full,
            "\(files)/\(totals.count)\(listing) files (\(percent)), \(RunSummary.fixed(rate / 1e9, 2)) GB/s, ETA \(eta)",
            "\(percent) ETA \(eta)",
            percent,
        ]
        let text = candidates.first { $0.count <= room } ?? String(percent.prefix(room))
        // A bar of 10 to 30 cells in front, when there is room for it.
        let barCells = min(30, room - text.count - 3)
        guard barCells >= 10 else { return text }
        let filled = Int(fraction * Double(barCells))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barCells - filled) + "] " + text
    }

    /// The time left, or `…` while it cannot be told yet: the listing still going, less than a
    /// second gone or less than 1% done (the first frames' rates say nothing).
    static func estimate(fraction: Double, rate: Double, remainingBytes: UInt64, seconds: Double, complete: Bool) -> String {
        guard complete, seconds >= 1, fraction >= 0.01, rate > 0 else { return "…" }
        let left = Int((Double(remainingBytes) / rate).rounded())
        if left < 60 { return "\(left) s" }
        if left < 3600 { return "\(left / 60) min \(String(format: "%02d", left % 60)) s" }
        return "\(left / 3600) h \(String(format: "%02d", left / 60 % 60)) min"
    }
}
