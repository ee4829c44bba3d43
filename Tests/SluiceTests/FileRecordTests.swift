import Foundation
import XCTest
@testable import Sluice

/// The JSONL line is the Codable `FileRecord` as `FileRecord.encoder` writes it, byte for byte,
/// for every field combination and every character an escape exists for.
final class FileRecordTests: XCTestCase {
    func testTheFastLineIsWhatTheEncoderWrites() throws {
        let awkward = "a\"b\\c/d\ne\rf\tg\u{08}h\u{0C}i\u{01}j\u{1F}k\u{7F}l é ✓ 𝄞"
        let paths = [RawPath("plain"), RawPath(awkward), RawPath(bytes: Array("odd-".utf8) + [0xFF, 0x00 + 1])]
        let problems: [FileProblem?] = [nil, FileProblem(path: RawPath("x"), kind: .changed, message: awkward),
                                        FileProblem(path: RawPath("x"), kind: .error, message: "No such file (stat)")]
        let modes: [BLAKE3Mode] = [.hash(), .deriveKey(context: "c", outputLength: 7)]
        var checked = 0
        for path in paths {
            for problem in problems {
                for index in [-1, 0, 12] {
                    for mode in modes {
                        let digest: [UInt8]? = problem == nil ? Array(0..<UInt8(mode.outputLength)) : nil
                        let result = FileResult(index: index, path: path, size: 4096, digest: digest, problem: problem)
                        let record = FileRecord(result, kernel: BLAKE3Kernel(mode: mode), device: "cpu:avx2+\(awkward)")
                        var expected = try FileRecord.encoder.encode(record)
                        expected.append(UInt8(ascii: "\n"))
                        XCTAssertEqual(String(decoding: record.jsonLine(), as: UTF8.self), String(decoding: expected, as: UTF8.self))
                        XCTAssertEqual(try JSONDecoder().decode(FileRecord.self, from: Data(record.jsonLine())), record)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertEqual(checked, 54)
    }

    /// Integers are written digit by digit, without a String each: the same text as `String`,
    /// at every length and at both ends of each type.
    func testIntegersAreWrittenAsStringWritesThem() {
        var unsigned: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 255, 65_535, UInt64(UInt32.max), UInt64.max, UInt64.max - 1]
        var power: UInt64 = 1
        for _ in 0 ..< 19 {
            power *= 10
            unsigned += [power - 1, power, power + 1]
        }
        for value in unsigned {
            var line: [UInt8] = [UInt8(ascii: "x")]
            JSONValue.unsigned(value).append(to: &line)
            XCTAssertEqual(String(decoding: line, as: UTF8.self), "x" + String(value))
        }
        let signed: [Int64] = [0, -1, 1, -9, -10, Int64.min, Int64.min + 1, Int64.max, -1_000_000_007] + unsigned.map { Int64(truncatingIfNeeded: $0) }
        for value in signed {
            var line: [UInt8] = []
            JSONValue.integer(value).append(to: &line)
            XCTAssertEqual(String(decoding: line, as: UTF8.self), String(value))
        }
        var line: [UInt8] = []
        JSONValue.unsignedArray(unsigned).append(to: &line)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "[" + unsigned.map { String($0) }.joined(separator: ",") + "]")
        var empty: [UInt8] = []
        JSONValue.unsignedArray([]).append(to: &empty)
        XCTAssertEqual(String(decoding: empty, as: UTF8.self), "[]")
    }

    /// Members given out of key order are written sorted, on the file's line and in an object.
    func testMembersOutOfOrderAreWrittenSorted() throws {
        var record = FileRecord(path: RawPath("p"), size: 3, kernel: "k", device: "d", status: "ok", error: nil, members: [])
        record.members = [JSONMember("zeta", .integer(-2)), JSONMember("alpha", .unsigned(7)), JSONMember("mid", .null)]
        var expected = try FileRecord.encoder.encode(record)
        expected.append(UInt8(ascii: "\n"))
        XCTAssertEqual(String(decoding: record.jsonLine(), as: UTF8.self), String(decoding: expected, as: UTF8.self))
        var object: [UInt8] = []
        JSONMember.appendObject(record.members, to: &object)
        XCTAssertEqual(String(decoding: object, as: UTF8.self), #"{"alpha":7,"mid":null,"zeta":-2}"#)
    }
}
