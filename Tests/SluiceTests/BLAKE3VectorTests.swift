import Foundation
import XCTest
@testable import Sluice

/// The official BLAKE3 test vectors (Fixtures/blake3_test_vectors.json, CC0).
struct BLAKE3Vectors: Decodable {
    struct Case: Decodable {
        let input_len: Int
        let hash: String
        let keyed_hash: String
        let derive_key: String
    }
    let key: String
    let context_string: String
    let cases: [Case]

    static func load() throws -> BLAKE3Vectors {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/blake3_test_vectors", withExtension: "json"))
        return try JSONDecoder().decode(BLAKE3Vectors.self, from: Data(contentsOf: url))
    }

    /// The input of a case: bytes `i % 251`.
    static func input(length: Int) -> [UInt8] { (0..<length).map { UInt8($0 % 251) } }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

final class BLAKE3VectorTests: XCTestCase {
    func testReferenceMatchesEveryOfficialVectorInAllThreeModesAndFullExtendedLength() throws {
        let vectors = try BLAKE3Vectors.load()
        XCTAssertEqual(vectors.cases.count, 35)
        let key = BLAKE3Reference.keyWords(Array(vectors.key.utf8))
        let contextKey = BLAKE3Reference.deriveKeyContextKey(context: vectors.context_string)
        for testCase in vectors.cases {
            let input = BLAKE3Vectors.input(length: testCase.input_len)
            let length = testCase.hash.count / 2
            XCTAssertEqual(hex(BLAKE3Reference.hash(input, length: length)), testCase.hash, "hash \(testCase.input_len)")
            XCTAssertEqual(hex(BLAKE3Reference.hash(input, key: key, flags: .keyedHash, length: length)),
                           testCase.keyed_hash, "keyed \(testCase.input_len)")
            XCTAssertEqual(hex(BLAKE3Reference.hash(input, key: contextKey, flags: .deriveKeyMaterial, length: length)),
                           testCase.derive_key, "derive \(testCase.input_len)")
        }
    }

    func testSIMDBatchHasherMatchesEveryOfficialVectorOnEveryInstructionSetThisCPUHas() throws {
        let vectors = try BLAKE3Vectors.load()
        let inputs = vectors.cases.map { BLAKE3Vectors.input(length: $0.input_len) }
        let length = vectors.cases[0].hash.count / 2
        let modes: [(BLAKE3Mode, KeyPath<BLAKE3Vectors.Case, String>)] = [
            (.hash(outputLength: length), \.hash),
            (try .keyed(key: Array(vectors.key.utf8), outputLength: length), \.keyed_hash),
            (.deriveKey(context: vectors.context_string, outputLength: length), \.derive_key),
        ]
        for isa in CPUVectorISA.allCases where isa <= CPUVectorISA.detected {
            // A small staging capacity forces the largest inputs across several batches.
            var hasher = BLAKE3BufferHasher(isa: isa, batchCapacity: BLAKE3Layout.maxSubtreeBytes)
            for (mode, expected) in modes {
                let digests = hasher.hash(inputs, mode: mode)
                for (testCase, digest) in zip(vectors.cases, digests) {
                    XCTAssertEqual(hex(digest), testCase[keyPath: expected], "\(isa) \(mode.name) \(testCase.input_len)")
                }
            }
        }
    }

    func testSIMDBatchHasherMatchesReferenceAroundEveryTreeBoundary() {
        var sizes: [Int] = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 3073]
        for power in 12...17 { sizes += [(1 << power) - 1, 1 << power, (1 << power) + 1] }
        sizes += [65 * 1024 + 17, 200 * 1024 + 5]
        var generator = SystemRandomNumberGenerator()
        let inputs = sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let expected = inputs.map { hex(BLAKE3Reference.hash($0)) }
        for isa in CPUVectorISA.allCases where isa <= CPUVectorISA.detected {
            var hasher = BLAKE3BufferHasher(isa: isa, batchCapacity: 2 * BLAKE3Layout.maxSubtreeBytes)
            let digests = hasher.hash(inputs, mode: .hash())
            for (index, digest) in digests.enumerated() {
                XCTAssertEqual(hex(digest), expected[index], "\(isa) size \(sizes[index])")
            }
        }
    }
}
