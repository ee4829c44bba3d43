import Foundation
import XCTest
@testable import Sluice

/// One tree holding everything a hostile or unlucky user puts in front of a checksum tool,
/// run as an unprivileged user so that permissions bite: no hang, no crash, the right digest
/// for every good file, exactly one report per bad entry, on every device; and `sluice check`
/// accepts every line of the run's own output.
final class CLIHostileTreeTests: XCTestCase {
    func testHostileTreeGivesRightDigestsAndOneReportPerBadEntry() throws {
        let (setpriv, asNobody) = try Subprocess.asNobody()
        let scratch = try ScratchDirectory()
        XCTAssertEqual(chmod(scratch.root.description, 0o755), 0)
        let tree = try scratch.makeDirectory("tree")
        _ = try scratch.makeDirectory("tree/sub")

        // Good files: odd names, odd sizes, a sparse 5 GiB file with data past 4 GiB.
        var good: [[UInt8]] = []
        func addGood(_ name: [UInt8], _ bytes: [UInt8]) throws {
            _ = try scratch.write(scratch.path(bytes: Array("tree/".utf8) + name), bytes)
            good.append(name)
        }
        try addGood(Array("empty".utf8), [])
        try addGood(Array("new\nline".utf8), randomBytes(1025))
        try addGood(Array("back\\slash".utf8), randomBytes(64))
        try addGood(Array("tab\there".utf8), randomBytes(3000))
        try addGood([0xff, 0xfe] + Array("not-utf8".utf8), randomBytes(700_000))
        try addGood(Array("sub/inner".utf8), randomBytes(1 << 20))
        try addGood(Array("-leading-dash".utf8), randomBytes(1))
        let sparse = scratch.path("tree/sparse-5g").description
        XCTAssertTrue(FileManager.default.createFile(atPath: sparse, contents: nil))
        XCTAssertEqual(truncate(sparse, 5 << 30), 0)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: sparse))
        try handle.seek(toOffset: (4 << 30) + 12_345)
        try handle.write(contentsOf: Data(randomBytes(100_000)))
        try handle.close()
        good.append(Array("sparse-5g".utf8))

        // Bad entries, each with the words its one report must hold (without and with -L).
        var bad: [(name: String, plain: String, following: String)] = []
        _ = try scratch.makeFIFO("tree/fifo")
        bad.append(("fifo", "skipped: not a regular file (fifo)", "skipped: not a regular file (fifo)"))
        let socket = try scratch.makeSocket("tree/socket")
        defer { close(socket) }
        bad.append(("socket", "skipped: not a regular file (socket)", "skipped: not a regular file (socket)"))
        _ = try scratch.symlink("tree/loop-a", to: "loop-b")
        _ = try scratch.symlink("tree/loop-b", to: "loop-a")
        bad.append(("loop-a", "skipped: symbolic link not followed", "symlink loop"))
        bad.append(("loop-b", "skipped: symbolic link not followed", "symlink loop"))
        _ = try scratch.symlink("tree/sub/up", to: "..")
        bad.append(("sub/up", "skipped: symbolic link not followed", "skipped: symlink loop"))
        _ = try scratch.symlink("tree/dangling", to: "nowhere")
        bad.append(("dangling", "skipped: symbolic link not followed", "dangling symbolic link"))
        let locked = try scratch.writeRandom("tree/locked-file", size: 5000)
        bad.append(("locked-file", "Permission denied", "Permission denied"))
        _ = try scratch.makeDirectory("tree/locked-dir")
        try scratch.writeRandom("tree/locked-dir/hidden", size: 10)
        bad.append(("locked-dir", "Permission denied", "Permission denied"))

        // nobody may read everything but the locked entries.
        for folder in ["tree", "tree/sub", "tree/locked-dir"] { XCTAssertEqual(chmod(scratch.path(folder).description, 0o755), 0) }
        XCTAssertEqual(chmod(locked.description, 0), 0)
        XCTAssertEqual(chmod(scratch.path("tree/locked-dir").description, 0o700), 0)
        let pocl = try scratch.makeDirectory("pocl")
        XCTAssertEqual(chmod(pocl.description, 0o777), 0)

        // The reference: b3sum through ASCII links outside the tree (b3sum rewrites odd names).
        var links: [String] = []
        for (number, name) in good.enumerated() {
            let link = scratch.path("reference-\(number)").description
            let target = scratch.path(bytes: Array("tree/".utf8) + name)
            XCTAssertEqual(target.withCString { Glibc.symlink($0, link) }, 0)
            links.append(link)
        }
        let reference = try Subprocess.b3sum(["--no-names"] + links)
        let referenceDigests = reference.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(referenceDigests.count, good.count)
        var expected: [RawPath: String] = [:]
        for (name, digest) in zip(good, referenceDigests) { expected[tree.appending(name)] = digest }

        let environment = ["HOME": scratch.root.description, "POCL_CACHE_DIR": pocl.description]
        let devices = TestBackendKind.opencl.isAvailable ? ["cpu", "opencl"] : ["cpu"]
        for (device, follow) in devices.map({ ($0, false) }) + [("cpu", true)] {
            let label = "\(device)\(follow ? " -L" : "")"
            let outcome = try Subprocess.run(setpriv, asNobody + ["run", "-q", "--device", device] + (follow ? ["-L"] : [])
                                                 + [tree.description], environment: environment, timeout: 180)
            XCTAssertEqual(outcome.status, 1, "\(label): unreadable entries fail the run: \(outcome.stderrText)")
            XCTAssertEqual(ChecksumLines.entries(outcome.stdout), expected, "\(label): every good file, right digest")
            XCTAssertEqual(outcome.stdoutLines.count, good.count, "\(label): one line per good file")
            let reports = outcome.stderrText.split(separator: "\n").map(String.init)
            XCTAssertEqual(reports.count, bad.count, "\(label): one report per bad entry: \(outcome.stderrText)")
            for entry in bad {
                let prefix = "sluice: \(tree.description)/\(entry.name): "
                let lines = reports.filter { $0.hasPrefix(prefix) }
                XCTAssertEqual(lines.count, 1, "\(label) \(entry.name): \(outcome.stderrText)")
                let words = follow ? entry.following : entry.plain
                XCTAssertTrue(lines.first?.contains(words) == true, "\(label) \(entry.name): wanted '\(words)': \(lines)")
            }
            if device == "cpu" && !follow {
                // check round-trips every line of the run's own output.
                let list = try scratch.write(scratch.path("sums.b3"), [UInt8](outcome.stdout))
                XCTAssertEqual(chmod(list.description, 0o644), 0)
                let check = try Subprocess.run(setpriv, asNobody + ["check", "--device", "cpu", list.description],
                                               environment: environment, timeout: 180)
                XCTAssertEqual(check.status, 0, "check: \(check.stdoutText)\(check.stderrText)")
                XCTAssertEqual(check.stdoutLines.filter { $0.suffix(4) == Array(": OK".utf8) }.count, good.count,
                               check.stdoutText)
            }
        }
    }
}
