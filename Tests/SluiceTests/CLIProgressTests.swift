import Foundation
import XCTest
@testable import Sluice

/// The progress line in a real pseudo-terminal (`script` runs sluice on one, with stdout and
/// stderr both on it), and the summary's rules off a terminal.
final class CLIProgressTests: XCTestCase {
    /// What the terminal received: the bar frames and the byte stream, from `script`'s log.
    private struct Screen {
        var text: String
        /// Each frame: the text between a carriage return and the erase-to-end-of-line after it.
        var frames: [String]
    }

    private func runOnTerminal(columns: Int, arguments: String) throws -> Screen {
        let scratch = try ScratchDirectory()
        let log = scratch.path("typescript").description
        let sluice = try Subprocess.sluiceExecutable().path
        let outcome = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/script"),
                                         ["-qfec", "stty cols \(columns) rows 30; '\(sluice)' \(arguments)", log],
                                         timeout: 120)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self)
        // script's own first and last lines.
        if let start = text.firstIndex(of: "\n") { text = String(text[text.index(after: start)...]) }
        if let end = text.range(of: "\nScript done", options: .backwards) { text = String(text[..<end.lowerBound]) }
        let regex = try NSRegularExpression(pattern: "\r([^\r\n\u{1B}]+)\u{1B}\\[K")
        let frames = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
        return Screen(text: text, frames: frames)
    }

    private func corpus(_ scratch: ScratchDirectory) throws -> RawPath {
        let folder = try scratch.makeDirectory("data")
        // Enough for a debug build with one worker to take well over the 200 ms between frames.
        for index in 0..<40 { _ = try scratch.writeRandom("data/f\(String(format: "%02d", index))", size: 6_000_000) }
        return folder
    }

    func testTheBarFitsTheTerminalAndNeverGluesToAResultLine() throws {
        let scratch = try ScratchDirectory()
        let folder = try corpus(scratch)
        for columns in [40, 120] {
            let screen = try runOnTerminal(columns: columns, arguments: "run --device cpu --readers 1 --workers 1 '\(folder)'")
            XCTAssertFalse(screen.frames.isEmpty, "\(columns) columns: no progress frame was drawn: \(screen.text.debugDescription)")
            for frame in screen.frames {
                XCTAssertLessThan(frame.count, columns, "\(columns) columns: a frame wider than the terminal wraps: \(frame)")
            }
            if columns == 120 {
                XCTAssertTrue(screen.frames.contains { $0.hasPrefix("[") && $0.contains("%") && $0.contains("GB/s") && $0.contains(" MiB/") },
                              "a wide terminal shows the bar, bytes of the total, the percentage and the rate: \(screen.frames)")
            }
            // Every result line starts at the left margin: after a newline, or after the bar was erased.
            let digest = try NSRegularExpression(pattern: "[0-9a-f]{64}  ")
            let text = screen.text as NSString
            let matches = digest.matches(in: screen.text, range: NSRange(location: 0, length: text.length))
            XCTAssertEqual(matches.count, 40)
            for match in matches where match.range.location > 0 {
                let before = text.substring(to: match.range.location)
                // Scalars, not characters: "\r\n" (the terminal's newline) is one Character.
                XCTAssertTrue(before.unicodeScalars.last == "\n" || before.hasSuffix("\r\u{1B}[K"),
                              "\(columns) columns: a result glued to the bar: …\(before.suffix(60).debugDescription)")
            }
            // The summary comes after the last bar was erased, and no bar is left on the screen.
            let summary = try XCTUnwrap(screen.text.range(of: "sluice: 40 files"))
            let beforeSummary = String(screen.text[..<summary.lowerBound])
            XCTAssertTrue(beforeSummary.unicodeScalars.last == "\n" || beforeSummary.hasSuffix("\r\u{1B}[K"),
                          beforeSummary.suffix(80).debugDescription)
            XCTAssertFalse(screen.text[summary.lowerBound...].contains("\r["), "a bar drawn after the summary")
        }
    }

    func testFrameTextFitsAnyWidthAndTheETAWaitsForARealRate() {
        for width in [1, 5, 12, 20, 40, 80, 200] {
            let line = ProgressReporter.line(files: 1234, bytes: 5 << 30, totals: (5678, 20 << 30, true), seconds: 12, width: width)
            XCTAssertLessThanOrEqual(line.count, max(1, width - 1), "width \(width): \(line)")
        }
        let wide = ProgressReporter.line(files: 1234, bytes: 5 << 30, totals: (5678, 20 << 30, true), seconds: 12, width: 120)
        XCTAssertTrue(wide.contains("1234/5678 files, 5.0 GiB/20.0 GiB (25%)"), wide)
        XCTAssertTrue(wide.contains("ETA 36 s"), wide)
        // The first frame: no rate to speak of yet, so no ETA (it once said "ETA 122869 s").
        XCTAssertEqual(ProgressReporter.estimate(fraction: 0.0001, rate: 10, remainingBytes: 1 << 30, seconds: 0.2, complete: true), "…")
        XCTAssertEqual(ProgressReporter.estimate(fraction: 0.5, rate: 1e9, remainingBytes: 36_300_000_000_000, seconds: 5, complete: true),
                       "10 h 05 min")
        XCTAssertEqual(ProgressReporter.estimate(fraction: 0.5, rate: 1e9, remainingBytes: 125_000_000_000, seconds: 5, complete: true),
                       "2 min 05 s")
        // While the walk goes on, the totals are not final: no ETA, no percentage.
        let listing = ProgressReporter.line(files: 10, bytes: 1 << 20, totals: (20, 2 << 20, false), seconds: 3, width: 120)
        XCTAssertTrue(listing.contains("10/20+ files") && listing.contains("ETA …"), listing)
    }

    func testNoSummaryOffATerminalUnlessAskedAndNoneWhenRefused() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 1000)
        let plain = try Subprocess.sluice(["run", file.description])
        XCTAssertEqual(plain.status, 0)
        XCTAssertEqual(plain.stderrText, "", "b3sum prints nothing on stderr to a file; nor does sluice")
        let forced = try Subprocess.sluice(["run", "--progress", file.description])
        XCTAssertTrue(forced.stderrText.contains("sluice: 1 files"), forced.stderrText)
        let screen = try runOnTerminal(columns: 80, arguments: "run --no-progress '\(file)'")
        XCTAssertFalse(screen.text.contains("sluice: 1 files"), "--no-progress on a terminal: \(screen.text.debugDescription)")
        XCTAssertTrue(screen.text.contains("  \(file)"))
    }

    func testAnInterruptedRunSaysSoAndHowManyFilesWereDone() throws {
        let scratch = try ScratchDirectory()
        let folder = try scratch.makeDirectory("data")
        for index in 0..<5 { _ = try scratch.writeRandom("data/small-\(index)", size: 1000) }
        // Sparse: instant to make, seconds to hash in a debug build.
        let big = scratch.path("data/big")
        try scratch.write(big, [])
        XCTAssertEqual(truncate(big.description, off_t(8) << 30), 0)
        let run = try BackgroundSluice(["run", "--progress", "--readers", "1", "--workers", "1", folder.description], in: scratch)
        usleep(700_000)
        run.send(SIGINT)
        XCTAssertTrue(run.waitForExit(seconds: 20))
        XCTAssertEqual(run.process.terminationStatus, 130, run.stderrText)
        let stderr = run.stderrText
        let regex = try NSRegularExpression(pattern: "sluice: interrupted: ([0-9]+) of ([0-9]+) files done")
        let match = try XCTUnwrap(regex.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)), stderr)
        let done = Int(stderr[Range(match.range(at: 1), in: stderr)!])!
        let total = Int(stderr[Range(match.range(at: 2), in: stderr)!])!
        XCTAssertEqual(total, 6)
        XCTAssertLessThanOrEqual(done, 6)
    }
}
