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
}
