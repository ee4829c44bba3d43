import Foundation
import XCTest
@testable import Sluice
@testable import SluiceStore

// Helpers for the results-store tests: a store read back through the library, trees of files
// with their b3sum digests, and byte-level edits of a store's header.

/// A results store file made by the tests, read back through `ResultsStore`.
struct TestStore {
    let path: String

    init(_ path: RawPath) { self.path = path.description }

    func open() throws -> ResultsStore { try ResultsStore(path: path, label: path, access: .read) }
    func results() throws -> [StoredResult] { try open().results() }
    func runs() throws -> [StoredRun] { try open().runs() }
    /// Moves the WAL into the file (a read-only connection cannot).
    func checkpoint() throws { try ResultsStore(path: path, label: path, access: .write).close(checkpointing: true) }

    /// path → hex digest of the `ok` rows; a path stored twice fails the test.
    func digests(file: StaticString = #filePath, line: UInt = #line) throws -> [String: String] {
        var map: [String: String] = [:]
        for row in try results() where row.isOK {
            XCTAssertNil(map[row.path.description], "\(row.path) is stored twice", file: file, line: line)
            map[row.path.description] = row.hexDigest
        }
        return map
    }

    /// Overwrites the 4-byte big-endian header field at `offset` (60: `user_version`, 68:
    /// `application_id`) of a store whose WAL has been checkpointed.
    func patchHeader(offset: Int, value: UInt32) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]))
    }
}

extension ScratchDirectory {
    /// `count` files of random sizes (`sizes`) under `folder`, named `f000`…, spread over a few
    /// subfolders; returns their paths.
    func makeTree(_ folder: String, count: Int, sizes: ClosedRange<Int> = 0...40_000) throws -> [RawPath] {
        var generator = SystemRandomNumberGenerator()
        return try (0..<count).map { index in
            try writeRandom(String(format: "\(folder)/d%d/f%03d", index % 5, index), size: Int.random(in: sizes, using: &generator))
        }
    }
}

/// path → digest as b3sum prints them for `paths`.
func b3sumDigests(_ paths: [RawPath]) throws -> [String: String] {
    var all: [String: String] = [:]
    // In slices: an argument list of thousands of paths stays well under ARG_MAX.
    for start in stride(from: 0, to: paths.count, by: 500) {
        let slice = paths[start..<min(paths.count, start + 500)].map(\.description)
        all.merge(ChecksumLines.digests(try Subprocess.b3sum(slice).stdout)) { $1 }
    }
    return all
}

/// Fails with the paths that differ (a few of them), instead of two whole maps.
func assertSameDigests(_ found: [String: String], _ expected: [String: String], _ message: String = "",
                       file: StaticString = #filePath, line: UInt = #line) {
    let missing = expected.keys.filter { found[$0] == nil }.sorted()
    let extra = found.keys.filter { expected[$0] == nil }.sorted()
    let wrong = expected.keys.filter { found[$0] != nil && found[$0] != expected[$0] }.sorted()
    guard !(missing.isEmpty && extra.isEmpty && wrong.isEmpty) else { return }
    XCTFail("\(missing.count) missing \(missing.prefix(3)), \(extra.count) extra \(extra.prefix(3)), "
            + "\(wrong.count) wrong \(wrong.prefix(3)) \(message)", file: file, line: line)
}
