import Foundation
import XCTest
@testable import Sluice

/// The on-disk program binaries: the file format and folder rules without a device.
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
