import Foundation
import XCTest
@testable import Sluice

/// The on-disk program binaries: the file format and folder rules without a device, then
/// `ProgramCache` over a private folder with PoCL (skipped where there is no OpenCL device).
final class ProgramBinaryCacheTests: XCTestCase {
    // MARK: Without a device

    func testKeyChangesWithEveryFieldAndFieldBoundaries() {
        let fields = ["format", "source", "options", "device", "vendor", "driver", "version", "platform", "1.0"]
        let key = ProgramBinaryCache.Key(fields: fields)
        XCTAssertEqual(key, ProgramBinaryCache.Key(fields: fields))
        XCTAssertEqual(key.description.count, 64)
        for index in fields.indices {
            var changed = fields
            changed[index] += "x"
            XCTAssertNotEqual(ProgramBinaryCache.Key(fields: changed), key, "field \(index)")
        }
        XCTAssertNotEqual(ProgramBinaryCache.Key(fields: ["ab", "c"]), ProgramBinaryCache.Key(fields: ["a", "bc"]))
    }

    func testEnvironmentPicksTheFolderAndTheSwitchTurnsTheCacheOff() {
        let home = ["HOME": "/home/u"]
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(home)?.folder, "/home/u/.cache/sluice/programs")
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(home.merging(["XDG_CACHE_HOME": "/x"]) { $1 })?.folder,
                       "/x/sluice/programs")
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(home.merging(["XDG_CACHE_HOME": "relative"]) { $1 })?.folder,
                       "/home/u/.cache/sluice/programs")
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(home.merging(["SLUICE_PROGRAM_CACHE_DIR": "/p"]) { $1 })?.folder,
                       "/p")
        for off in ["0", "off", "OFF", "no", "false"] {
            XCTAssertNil(ProgramBinaryCache.fromEnvironment(home.merging(["SLUICE_PROGRAM_CACHE": off]) { $1 }), off)
        }
        XCTAssertNotNil(ProgramBinaryCache.fromEnvironment(home.merging(["SLUICE_PROGRAM_CACHE": "1"]) { $1 }))
        XCTAssertNil(ProgramBinaryCache.fromEnvironment([:]), "no HOME: no cache, not a folder in the working directory")
        XCTAssertNil(ProgramBinaryCache.fromEnvironment(["HOME": ""]))
    }

    func testStoredBinaryLoadsBackAndLeavesOnlyTheEntry() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("a/b/programs").description)
        let key = ProgramBinaryCache.Key(fields: ["round trip"])
        let binary = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertNil(cache.load(key))
        XCTAssertTrue(cache.store(binary, for: key))
        XCTAssertEqual(cache.load(key), binary)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.folder), ["\(key).bin"])
        var status = stat()
        XCTAssertEqual(lstat(cache.folder, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o700)
        // A later store replaces the entry.
        XCTAssertTrue(cache.store([1, 2, 3], for: key))
        XCTAssertEqual(cache.load(key), [1, 2, 3])
        XCTAssertNil(cache.load(ProgramBinaryCache.Key(fields: ["another"])))
    }

    func testEveryTruncationOfAnEntryIsRejected() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = ProgramBinaryCache.Key(fields: ["truncated"])
        XCTAssertTrue(cache.store(Array(repeating: 0xAB, count: 300), for: key))
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: cache.path(for: key))))
        XCTAssertEqual(whole.count, ProgramBinaryFile.headerLength + 300)
        for length in 0..<whole.count {
            try Data(whole[..<length]).write(to: URL(fileURLWithPath: cache.path(for: key)))
            XCTAssertNil(cache.load(key), "truncated to \(length) bytes")
        }
        try Data(whole + [0]).write(to: URL(fileURLWithPath: cache.path(for: key)))
        XCTAssertNil(cache.load(key), "one byte too many")
    }

    func testAFlippedByteAnywhereInAnEntryIsRejected() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = ProgramBinaryCache.Key(fields: ["flipped"])
        XCTAssertTrue(cache.store((0..<200).map { UInt8($0) }, for: key))
        let url = URL(fileURLWithPath: cache.path(for: key))
        let whole = try Array(Data(contentsOf: url))
        for offset in whole.indices {
            var damaged = whole
            damaged[offset] ^= 0x01
            try Data(damaged).write(to: url)
            XCTAssertNil(cache.load(key), "bit flipped at \(offset)")
        }
    }

    func testEntryCopiedUnderAnotherKeysNameIsRejected() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = ProgramBinaryCache.Key(fields: ["one"])
        let other = ProgramBinaryCache.Key(fields: ["other"])
        XCTAssertTrue(cache.store([9, 9, 9], for: key))
        XCTAssertEqual(rename(cache.path(for: key), cache.path(for: other)), 0)
        XCTAssertNil(cache.load(other))
    }

    func testFolderThatCannotBeCreatedStoresNothing() throws {
        let scratch = try ScratchDirectory()
        // A regular file where a parent folder should be: mkdir fails even for root.
        try scratch.write(scratch.path("blocker"), [1])
        let cache = ProgramBinaryCache(folder: scratch.path("blocker/programs").description)
        let key = ProgramBinaryCache.Key(fields: ["blocked"])
        XCTAssertFalse(cache.store([1, 2, 3], for: key))
        XCTAssertNil(cache.load(key))
    }

    func testFolderOtherUsersCanWriteIsNeitherReadNorWritten() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = ProgramBinaryCache.Key(fields: ["shared"])
        XCTAssertTrue(cache.store([4, 5, 6], for: key))
        XCTAssertEqual(chmod(cache.folder, 0o777), 0)
        XCTAssertNil(cache.load(key))
        XCTAssertFalse(cache.store([7], for: key))
        XCTAssertEqual(chmod(cache.folder, 0o700), 0)
        XCTAssertEqual(cache.load(key), [4, 5, 6])
    }

    func testFolderReachedThroughALinkIsUsed() throws {
        let scratch = try ScratchDirectory()
        XCTAssertEqual(mkdir(scratch.path("real").description, 0o700), 0)
        XCTAssertEqual(symlink(scratch.path("real").description, scratch.path("link").description), 0)
        let cache = ProgramBinaryCache(folder: scratch.path("link").description)
        let key = ProgramBinaryCache.Key(fields: ["linked"])
        XCTAssertTrue(cache.store([1, 2], for: key))
        XCTAssertEqual(cache.load(key), [1, 2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path("real").description),
                       ["\(key).bin"])
    }

    func testConcurrentWritersNeverShowAPartialEntry() throws {
        let scratch = try ScratchDirectory()
        let cache = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = ProgramBinaryCache.Key(fields: ["contended"])
        let versions = (0..<4).map { writer in [UInt8](repeating: UInt8(writer), count: 64 << 10 + writer * 1000) }
        XCTAssertTrue(cache.store(versions[0], for: key))
        let bad = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0..<40 {
                if thread < 4 {
                    if !cache.store(versions[thread], for: key) { bad.add() }
                } else if !versions.contains(cache.load(key) ?? []) {
                    // Renamed into place whole, an entry never disappears or shows half its bytes.
                    bad.add()
                }
            }
        }
        XCTAssertEqual(bad.value, 0, "failed stores, or loads that found no whole entry")
        XCTAssertTrue(versions.contains(try XCTUnwrap(cache.load(key))))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.folder), ["\(key).bin"])
    }

    // MARK: ProgramCache with PoCL

    func testFirstBuildWritesOneEntry() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        let entry = try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
        XCTAssertFalse(entry.loadedFromBinary)
        let key = try XCTUnwrap(binaries.key(source: try XCTUnwrap(Program.embeddedSource(named: "histogram")),
                                             options: "", device: device))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: binaries.folder), ["\(key).bin"])
        XCTAssertEqual(binaries.load(key), try entry.program.binaries.first)
    }

    /// The CLI's shared cache keeps PoCL's binaries too (`ProgramCache.shared.cachesCPUDevices`):
    /// the first `--device opencl` process stores one entry, the next loads it (the file is not
    /// written again: same inode) and computes the same digest, b3sum's.
    func testCLIStoresTheBinaryOfACPUTypeDeviceAndTheNextProcessLoadsIt() throws {
        _ = try OpenCLTestDevice.get()
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("input", size: 70_000)
        let folder = scratch.path("programs").description
        let expected = try Subprocess.b3sum([file.description]).stdoutText
        let environment = ["SLUICE_PROGRAM_CACHE_DIR": folder]
        let first = try Subprocess.sluice(["run", "--device", "opencl", "--strict-device", file.description], environment: environment)
        XCTAssertEqual(first.status, 0, first.stderrText)
        XCTAssertEqual(first.stdoutText, expected)
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(entries.count, 1, "one program, one entry: \(entries)")
        let path = folder + "/" + entries[0]
        let stored = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64)
        let second = try Subprocess.sluice(["run", "--device", "opencl", "--strict-device", file.description], environment: environment)
        XCTAssertEqual(second.status, 0, second.stderrText)
        XCTAssertEqual(second.stdoutText, expected)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), entries)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64, stored,
                       "the second process loaded the entry instead of storing a new one")
    }

    func testFreshProgramCacheLoadsTheProgramFromTheBinary() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        XCTAssertFalse(try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "blake3").loadedFromBinary)
        let second = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        XCTAssertTrue(try second.entry(for: device, kernelSource: "blake3").loadedFromBinary)
        // Within one ProgramCache the program is made once; later requests say how it was made.
        XCTAssertTrue(try second.entry(for: device, kernelSource: "blake3").loadedFromBinary)
        let program = try second.entry(for: device, kernelSource: "blake3").program
        for name in ["blake3_full_chunks", "blake3_full_chunks_x8", "blake3_chunks", "blake3_parents", "blake3_gather"] {
            XCTAssertNoThrow(try Kernel(program: program, name: name), name)
        }
    }

    func testHistogramFromTheBinaryMatchesTheSourceBuild() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(3 << 20) + 5).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let expected = bytes.withUnsafeBytes { ByteHistogram.compute(bytes: $0) }
        let fromSource = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        let fromBinary = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        let sourceCounts = try bytes.withUnsafeBytes {
            try ByteHistogram.compute(bytes: $0, on: device, timeout: .seconds(120), programs: fromSource)
        }
        let binaryCounts = try bytes.withUnsafeBytes {
            try ByteHistogram.compute(bytes: $0, on: device, timeout: .seconds(120), programs: fromBinary)
        }
        XCTAssertFalse(try fromSource.entry(for: device, kernelSource: "histogram").loadedFromBinary)
        XCTAssertTrue(try fromBinary.entry(for: device, kernelSource: "histogram").loadedFromBinary)
        XCTAssertEqual(sourceCounts, expected)
        XCTAssertEqual(binaryCounts, expected)
    }

    func testDamagedEntryIsRejectedAndRebuiltFromSource() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        let good = try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
        let key = try XCTUnwrap(binaries.key(source: try XCTUnwrap(Program.embeddedSource(named: "histogram")),
                                             options: "", device: device))
        let url = URL(fileURLWithPath: binaries.path(for: key))
        let whole = try Data(contentsOf: url)
        XCTAssertFalse(good.loadedFromBinary)
        let damages: [(String, Data)] = [
            ("a flipped byte in the binary", { var d = whole; d[d.count / 2] ^= 0xFF; return d }()),
            ("truncated to half", whole.prefix(whole.count / 2)),
            ("header only", whole.prefix(ProgramBinaryFile.headerLength)),
            ("empty", Data()),
        ]
        for (damage, contents) in damages {
            try contents.write(to: url)
            XCTAssertFalse(try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
                .loadedFromBinary, damage)
            // The rebuild overwrote the damaged entry: the next process loads it.
            XCTAssertTrue(try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
                .loadedFromBinary, damage)
        }
    }

    func testBinaryTheDriverRefusesFallsBackToSource() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        let key = try XCTUnwrap(binaries.key(source: try XCTUnwrap(Program.embeddedSource(named: "histogram")),
                                             options: "", device: device))
        // A well-framed entry whose bytes are no binary any driver made (another device's, say).
        XCTAssertTrue(binaries.store(Array("not a program binary for this device".utf8), for: key))
        let context = try Context(device: device)
        XCTAssertThrowsError(try binaries.load(key)!.withUnsafeBytes {
            let program = try Program(context: context, device: device, binary: $0)
            try program.build()
        })
        let entry = try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
        XCTAssertFalse(entry.loadedFromBinary)
        XCTAssertNoThrow(try Kernel(program: entry.program, name: "histogram"))
        XCTAssertEqual(binaries.load(key), try entry.program.binaries.first, "the refused entry is replaced")
    }

    func testUnwritableCacheFolderStillBuilds() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        try scratch.write(scratch.path("blocker"), [1])
        let binaries = ProgramBinaryCache(folder: scratch.path("blocker/programs").description)
        for _ in 0..<2 {
            let entry = try ProgramCache(binaryCache: binaries, cachesCPUDevices: true).entry(for: device, kernelSource: "histogram")
            XCTAssertFalse(entry.loadedFromBinary)
            XCTAssertNoThrow(try Kernel(program: entry.program, name: "histogram"))
        }
    }

    func testDifferentOptionsGiveDifferentEntries() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        let programs = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        _ = try programs.entry(for: device, kernelSource: "histogram")
        _ = try programs.entry(for: device, kernelSource: "histogram", options: "-DSLUICE_TEST_OPTION=1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: binaries.folder).count, 2)
        let fresh = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        XCTAssertTrue(try fresh.entry(for: device, kernelSource: "histogram", options: "-DSLUICE_TEST_OPTION=1")
            .loadedFromBinary)
        XCTAssertFalse(try fresh.entry(for: device, kernelSource: "histogram", options: "-DSLUICE_TEST_OPTION=2")
            .loadedFromBinary)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: binaries.folder).count, 3)
    }

    func testFailedSourceBuildIsCachedWithItsLogAndStoresNothing() throws {
        let device = try OpenCLTestDevice.get().device
        let scratch = try ScratchDirectory()
        let binaries = ProgramBinaryCache(folder: scratch.path("programs").description)
        let programs = ProgramCache(binaryCache: binaries, cachesCPUDevices: true)
        let broken = "__kernel void broken(__global uint *out) { out[0] = undeclared_identifier; }"
        var errors: [OpenCLError] = []
        for _ in 0..<2 {
            XCTAssertThrowsError(try programs.entry(for: device, source: broken, key: "broken")) { error in
                if let error = error as? OpenCLError { errors.append(error) }
            }
        }
        XCTAssertEqual(errors.count, 2)
        XCTAssertEqual(errors.first?.code, -11)
        XCTAssertTrue(errors.first?.buildLog?.contains("undeclared_identifier") ?? false)
        XCTAssertEqual(errors.first, errors.last, "the second request gets the cached failure")
        XCTAssertFalse(FileManager.default.fileExists(atPath: binaries.folder), "nothing stored for a failed build")
    }
}

/// A counter many threads add to.
private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
