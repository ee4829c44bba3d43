import Foundation
import XCTest
@testable import Sluice

/// `sluice run` as a subprocess: hash modes against b3sum, device parity, ordering, sharding,
/// `--files-from`, `--stats-json` and exit statuses.
final class CLIRunTests: XCTestCase {
    /// The devices `run` is checked on: the CPU backend always, OpenCL when a device exists.
    private var devices: [String] {
        TestBackendKind.opencl.isAvailable ? ["cpu", "opencl"] : ["cpu"]
    }

    /// A small corpus of random files across the boundaries, with plain names.
    private func plainCorpus(_ scratch: ScratchDirectory, sizes: [Int] = [0, 1, 64, 1023, 1024, 1025, 4097, 65_536, 65_537,
                                                                             300_001, (1 << 20) + 1]) throws -> [String] {
        try sizes.enumerated().map { number, size in try scratch.writeRandom("p\(number)-\(size)", size: size).description }
    }

    // MARK: - Hash modes

    func testKeyedDeriveKeyAndLengthMatchB3sumOnEveryDevice() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch)
        let key = randomBytes(32)
        let keyFile = try scratch.write(scratch.path("key"), key).description
        let context = "sluice tests 2026-11-25 derive-key context"
        let modes: [(sluice: [String], b3sum: [String], stdin: Data?)] = [
            (["--keyed", "--key-file", keyFile], ["--keyed"], Data(key)),
            (["--derive-key", context], ["--derive-key", context], nil),
            (["--length", "100"], ["--length", "100"], nil),
            (["--keyed", "--key-file", keyFile, "--length", "7"], ["--keyed", "--length", "7"], Data(key)),
        ]
        for mode in modes {
            let reference = try Subprocess.b3sum(mode.b3sum + files, stdin: mode.stdin)
            let expected = ChecksumLines.sortedLines(reference.stdout)
            XCTAssertEqual(expected.count, files.count)
            for device in devices {
                let outcome = try Subprocess.sluice(["run", "-q", "--device", device] + mode.sluice + files)
                XCTAssertEqual(outcome.status, 0, "\(device) \(mode.sluice): \(outcome.stderrText)")
                XCTAssertEqual(ChecksumLines.sortedLines(outcome.stdout), expected, "\(device) \(mode.sluice)")
            }
        }
    }

    func testKeyedModeReadsTheKeyFromStandardInputLikeB3sum() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch, sizes: [0, 2049, 70_000])
        let key = Data(randomBytes(32))
        let expected = ChecksumLines.sortedLines(try Subprocess.b3sum(["--keyed"] + files, stdin: key).stdout)
        let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--keyed"] + files, stdin: key)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertEqual(ChecksumLines.sortedLines(outcome.stdout), expected)
    }

    func testKeyOfWrongLengthIsASetupErrorExitTwo() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch, sizes: [10])
        let keyFile = try scratch.write(scratch.path("short-key"), randomBytes(31)).description
        let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--keyed", "--key-file", keyFile] + files)
        XCTAssertEqual(outcome.status, 2, outcome.stderrText)
        XCTAssertTrue(outcome.stdout.isEmpty)
    }

    // A key can come from a pipe (`--key-file /dev/stdin` or `<(…)`), keeping it off the disk.
    func testKeyFileMayBeAPipe() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.root.description
        try scratch.writeRandom("a", size: 5000)
        let key = randomBytes(32)
        try scratch.write(scratch.path("key"), key)
        let expected = try Subprocess.b3sum(["--keyed", "a"], stdin: Data(key), directory: root).stdoutText
        let sluice = try Subprocess.sluiceExecutable().path
        let outcome = try Subprocess.run(URL(fileURLWithPath: "/bin/sh"),
                                         ["-c", "cat key | '\(sluice)' run -q --device cpu --keyed --key-file /dev/stdin a"],
                                         directory: root)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertEqual(outcome.stdoutText, expected, outcome.stderrText)
    }

    // MARK: - Device parity (the "Done when")

    func testOpenCLAndCPUPrintTheSameLinesAsB3sumForOneMixedCorpus() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("mixed")
        var sizes = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 16_383, 16_384, 16_385, 65_535, 65_536, 65_537,
                     (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20 | 5]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 { sizes.append(Int.random(in: 0...9000, using: &generator)) }
        let names = ["with space", "back\\slash", "new\nline", "tab\there", "-dash", "ünïcödé"]
        for (number, size) in sizes.enumerated() {
            let name = number < names.count ? "\(names[number])-\(number)" : "sub\(number % 7)/f\(number)"
            try scratch.writeRandom("mixed/\(name)", size: size)
        }
        // b3sum gets the same names in the same spelling (walked paths are DIR/relative).
        let listed = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/find"), [directory.description, "-type", "f", "-print0"])
        let files = [UInt8](listed.stdout).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(files.count, sizes.count)
        let expected = ChecksumLines.sortedLines(try Subprocess.b3sum(files).stdout)
        XCTAssertEqual(expected.count, sizes.count)

        let cpu = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--batch-size", "256K", directory.description])
        let opencl = try Subprocess.sluice(["run", "-q", "--device", "opencl", "--batch-size", "256K", directory.description])
        XCTAssertEqual(cpu.status, 0, cpu.stderrText)
        XCTAssertEqual(opencl.status, 0, opencl.stderrText)
        XCTAssertFalse(opencl.stderrText.contains("fallback"), opencl.stderrText)
        let cpuLines = ChecksumLines.sortedLines(cpu.stdout)
        let openclLines = ChecksumLines.sortedLines(opencl.stdout)
        XCTAssertEqual(cpuLines, expected, "cpu vs b3sum: \(Set(cpuLines).symmetricDifference(expected).prefix(4))")
        XCTAssertEqual(openclLines, expected, "opencl vs b3sum: \(Set(openclLines).symmetricDifference(expected).prefix(4))")

        // The JSONL records name the device that really ran the kernel.
        let json = try Subprocess.sluice(["run", "-q", "--device", "opencl", "--format", "jsonl", directory.description])
        XCTAssertEqual(json.status, 0, json.stderrText)
        for line in json.stdoutLines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            XCTAssertTrue((object["device"] as? String)?.hasPrefix("opencl:") == true, "\(object)")
        }
    }

    // MARK: - Order, shards, lists

    func testOrderedPrintsFilesInTheGivenArgumentOrder() throws {
        let scratch = try ScratchDirectory()
        // Given order differs from size order (largest first) and from path order.
        let given = [("m-mid", 200_000), ("z-small", 10), ("a-big", 2 << 20), ("k-empty", 0), ("c-tiny", 100),
                     ("b-large", 1 << 20)]
        let paths = try given.map { try scratch.writeRandom($0.0, size: $0.1).description }
        for order in ["size", "path", "given"] {
            for device in devices {
                let outcome = try Subprocess.sluice(["run", "-q", "--device", device, "--ordered", "--order", order,
                                                     "--readers", "2", "--batch-size", "64K"] + paths)
                XCTAssertEqual(outcome.status, 0, outcome.stderrText)
                let printed = outcome.stdoutLines.map { String(decoding: $0.dropFirst(66), as: UTF8.self) }
                // `--ordered` restores the given order whatever `--order` processed first
                // (docs/catalog-and-reader.md: FileJob.index is the given position, the key --ordered sorts by).
                XCTAssertEqual(printed, paths, "--order \(order) --ordered on \(device)")
            }
        }
    }

    func testOrderPathWithOrderedOnADirectoryPrintsBytewisePathOrder() throws {
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("tree")
        for (name, size) in [("b", 5000), ("a", 10), ("C", 300_000), ("ab", 1), ("sub/x", 70_000), ("sub/A", 0), ("_", 2)] {
            try scratch.writeRandom("tree/\(name)", size: size)
        }
        let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--ordered", "--order", "path",
                                             directory.description])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let printed = outcome.stdoutLines.map { Array($0.dropFirst(66)) }
        XCTAssertEqual(printed.count, 7)
        XCTAssertEqual(printed, printed.sorted { $0.lexicographicallyPrecedes($1) },
                       "bytewise: \(printed.map { String(decoding: $0, as: UTF8.self) })")
        XCTAssertEqual(printed.map { String(decoding: $0, as: UTF8.self) }.first, directory.description + "/C")
    }

    func testShardsAreDisjointAndTogetherHoldEveryFile() throws {
        let scratch = try ScratchDirectory()
        let directory = try scratch.makeDirectory("many")
        for number in 0..<60 { try scratch.writeRandom("many/f\(number)", size: number * 37) }
        let all = try Subprocess.sluice(["run", "-q", "--device", "cpu", directory.description])
        XCTAssertEqual(all.status, 0, all.stderrText)
        let allLines = ChecksumLines.sortedLines(all.stdout)
        XCTAssertEqual(allLines.count, 60)
        var shards: [[String]] = []
        for shard in ["0/2", "1/2"] {
            let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--shard", shard, directory.description])
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            shards.append(ChecksumLines.sortedLines(outcome.stdout))
        }
        XCTAssertFalse(shards[0].isEmpty)
        XCTAssertFalse(shards[1].isEmpty)
        XCTAssertTrue(Set(shards[0]).isDisjoint(with: shards[1]), "shards overlap")
        XCTAssertEqual((shards[0] + shards[1]).sorted(), allLines, "the shards' union is the whole run")
        // The rule is the documented one: FNV-1a 64 of the printed path modulo N.
        for line in shards[1] {
            let path = String(line.dropFirst(66))
            XCTAssertEqual(Shard.fnv1a64(Array(path.utf8)) % 2, 1, path)
        }
        let bad = try Subprocess.sluice(["run", "-q", "--shard", "2/2", directory.description])
        XCTAssertEqual(bad.status, 2)
    }

    func testAProblemIsReportedByExactlyOneShard() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch, sizes: [10, 20, 30, 40])
        let missing = scratch.path("missing-file").description
        var reported = 0
        for shard in ["0/2", "1/2"] {
            let outcome = try Subprocess.sluice(["run", "--device", "cpu", "--shard", shard, missing] + files)
            let mentions = outcome.stderrText.contains(missing)
            XCTAssertEqual(outcome.status, mentions ? 1 : 0, "\(shard): \(outcome.stderrText)")
            if mentions { reported += 1 }
        }
        XCTAssertEqual(reported, 1, "the missing path belongs to exactly one shard")
    }

    func testFilesFromWithNulSeparationHashesNamesWithNewlines() throws {
        let scratch = try ScratchDirectory()
        let names = ["plain", "new\nline", "tail space ", "back\\slash", "-dash"]
        let paths = try names.map { try scratch.writeRandom($0, size: 3000 + $0.utf8.count).description }
        var list = Data()
        for path in paths { list += Data(path.utf8) + Data([0]) }
        let listFile = try scratch.write(scratch.path("list0"), [UInt8](list)).description
        let expected = ChecksumLines.entries(try Subprocess.b3sum(paths).stdout)
        XCTAssertEqual(expected.count, names.count)

        // From a file and from standard input; NUL records (-z) so names come back unescaped.
        for (arguments, stdin) in [(["--files-from", listFile], nil), (["--files-from", "-"], list)] as [([String], Data?)] {
            let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu", "-0", "-z"] + arguments, stdin: stdin)
            XCTAssertEqual(outcome.status, 0, "\(arguments): \(outcome.stderrText)")
            let records = [UInt8](outcome.stdout).split(separator: 0)
            XCTAssertEqual(records.count, names.count, "\(arguments)")
            for record in records {
                let hex = String(decoding: record.prefix(64), as: UTF8.self)
                let path = RawPath(bytes: record.dropFirst(66))
                XCTAssertEqual(hex, expected[path], "\(arguments): \(path)")
            }
        }
        // Without -0 the newline splits "new\nline" into two names that do not exist.
        let newlineSeparated = try Subprocess.sluice(["run", "-q", "--device", "cpu", "--files-from", listFile])
        XCTAssertNotEqual(newlineSeparated.status, 0)
    }

    func testStatsJSONHoldsStagesAndFilesHashed() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch)
        let statsFile = scratch.path("stats.json").description
        let outcome = try Subprocess.sluice(["run", "--progress", "--device", "cpu", "--stats-json", statsFile] + files)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertTrue(outcome.stderrText.contains("\(files.count) files"), "summary on stderr: \(outcome.stderrText)")
        let data = try Data(contentsOf: URL(fileURLWithPath: statsFile))
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(stats["filesHashed"] as? Int, files.count)
        XCTAssertEqual(stats["filesFailed"] as? Int, 0)
        let totalBytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        XCTAssertEqual(stats["bytes"] as? Int, totalBytes)
        XCTAssertTrue((stats["device"] as? String)?.hasPrefix("cpu") == true, "\(stats)")
        let stages = try XCTUnwrap(stats["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.compactMap { $0["name"] as? String }, ["read", "compute", "assemble", "write"])
        for stage in stages {
            XCTAssertNotNil(stage["busySeconds"] as? Double, "\(stage)")
            XCTAssertGreaterThan(stage["threads"] as? Int ?? 0, 0, "\(stage)")
        }
        XCTAssertEqual(stages.first { $0["name"] as? String == "read" }?["items"] as? Int, files.count)

        let quiet = try Subprocess.sluice(["run", "-q", "--device", "cpu"] + files)
        XCTAssertTrue(quiet.stderr.isEmpty, "-q prints nothing on stderr: \(quiet.stderrText)")
    }

    /// Every stage, and the listing, says how much CPU time its threads used, and together they
    /// are no more than the process's: the figures the 10% rule for single-threaded stages is
    /// read from.
    func testStatsJSONGivesEachStagesCPUTimeWithinTheProcesses() throws {
        let scratch = try ScratchDirectory()
        let tree = scratch.path("tree")
        try FileManager.default.createDirectory(atPath: tree.description, withIntermediateDirectories: true)
        for folder in 0..<20 {
            let directory = tree.description + "/d\(folder)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in 0..<50 {
                try Data(randomBytes(4096 + file)).write(to: URL(fileURLWithPath: directory + "/f\(file)"))
            }
        }
        try scratch.writeRandom("large", size: 24 << 20)
        let statsFile = scratch.path("stats.json").description
        for walkThreads in ["1", "4"] {
            let outcome = try Subprocess.sluice(["run", "--progress", "--device", "cpu", "--walk-threads", walkThreads,
                                                 "--stats-json", statsFile, tree.description, scratch.path("large").description])
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statsFile))) as? [String: Any])
            XCTAssertEqual(stats["filesHashed"] as? Int, 1001)
            let process = try XCTUnwrap(stats["cpuSeconds"] as? Double)
            let listing = try XCTUnwrap(stats["catalogCPUSeconds"] as? Double)
            XCTAssertGreaterThan(listing, 0, "1000 files were listed")
            let helpers = try XCTUnwrap(stats["catalogHelpersCPUSeconds"] as? Double)
            if walkThreads == "1" { XCTAssertEqual(helpers, 0, "no helper without --walk-threads above 1") }
            let stages = try XCTUnwrap(stats["stages"] as? [[String: Any]])
            var measured = listing + helpers
            for stage in stages {
                let cpu = try XCTUnwrap(stage["cpuSeconds"] as? Double, "\(stage)")
                XCTAssertGreaterThan(cpu, 0, "\(stage)")
                measured += cpu
            }
            // A thread's CPU time is its own, not the process's: no stage uses more than its
            // threads could in the run's wall time.
            let wall = try XCTUnwrap(stats["wallSeconds"] as? Double)
            for stage in stages {
                let threads = try XCTUnwrap(stage["threads"] as? Int)
                XCTAssertLessThanOrEqual(stage["cpuSeconds"] as? Double ?? .infinity, Double(threads) * wall + 0.02, "\(stage)")
            }
            let compute = try XCTUnwrap(stages.first { $0["name"] as? String == "compute" }?["cpuSeconds"] as? Double)
            XCTAssertLessThanOrEqual(measured, process + 0.01, "the parts are within the whole: \(stats)")
            let lanes = try XCTUnwrap(stats["lanes"] as? [[String: Any]])
            XCTAssertEqual(lanes.compactMap { $0["cpuSeconds"] as? Double }.reduce(0, +), compute, accuracy: 1e-9)
            let summary = try XCTUnwrap(outcome.stderrText.split(separator: "\n").first { $0.hasPrefix("sluice: CPU ") })
            for part in ["listing", "read", "compute", "assemble", "write", "other"] {
                XCTAssertTrue(summary.contains(" \(part) "), "\(part) in \(summary)")
            }
        }
    }

    func testWalkThreadsGiveTheSameLinesAndAreBounded() throws {
        let scratch = try ScratchDirectory()
        let tree = scratch.path("tree").description
        for folder in 0..<12 {
            let directory = tree + "/a\(folder % 3)/b\(folder)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in 0..<5 { try Data(randomBytes(100 * file)).write(to: URL(fileURLWithPath: directory + "/f\(file)")) }
        }
        let serial = try Subprocess.sluice(["run", "--device", "cpu", "--walk-threads", "1", tree])
        XCTAssertEqual(serial.status, 0, serial.stderrText)
        XCTAssertEqual(serial.stdoutText.split(separator: "\n").count, 60)
        let parallel = try Subprocess.sluice(["run", "--device", "cpu", "--walk-threads", "8", tree])
        XCTAssertEqual(parallel.status, 0, parallel.stderrText)
        XCTAssertEqual(parallel.stdout, serial.stdout, "same lines in the same order")
        for bad in ["0", "257", "many"] {
            let refused = try Subprocess.sluice(["run", "--walk-threads", bad, tree])
            XCTAssertEqual(refused.status, 2, bad)
            XCTAssertTrue(refused.stderrText.hasPrefix("sluice: --walk-threads"), refused.stderrText)
            XCTAssertTrue(refused.stdout.isEmpty)
        }
    }

    // MARK: - Exit statuses

    func testNonexistentPathIsReportedAndExitsOneWhileOthersAreHashed() throws {
        let scratch = try ScratchDirectory()
        let files = try plainCorpus(scratch, sizes: [5, 5000])
        let missing = scratch.path("does-not-exist").description
        let outcome = try Subprocess.sluice(["run", "--device", "cpu", missing] + files)
        XCTAssertEqual(outcome.status, 1, outcome.stderrText)
        XCTAssertTrue(outcome.stderrText.contains(missing) && outcome.stderrText.contains("No such file"),
                      outcome.stderrText)
        XCTAssertEqual(ChecksumLines.sortedLines(outcome.stdout),
                       ChecksumLines.sortedLines(try Subprocess.b3sum(files).stdout))
    }

    func testUsageAndSetupErrorsExitTwo() throws {
        let scratch = try ScratchDirectory()
        let file = try plainCorpus(scratch, sizes: [3])[0]
        let cases: [[String]] = [
            ["run", "--device", "banana", file],
            ["run"],
            ["run", "-q"],
            ["run", "--length", "0", file],
            ["run", "--keyed", "--derive-key", "x", file],
            ["run", "--no-such-flag", file],
            ["run", "--files-from", scratch.path("no-list").description],
        ]
        for arguments in cases {
            let outcome = try Subprocess.sluice(arguments)
            XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stdout.isEmpty, "\(arguments)")
            XCTAssertFalse(outcome.stderr.isEmpty, "\(arguments): a usage error says why")
        }
    }
}
