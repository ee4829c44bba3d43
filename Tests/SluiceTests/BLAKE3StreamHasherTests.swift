import XCTest
@testable import Sluice

/// The stream hasher against the file pipeline's buffer hasher (itself checked against the
/// official vectors and b3sum): every size around the subtree and buffer boundaries, fed in
/// pieces of every shape, in every mode.
final class BLAKE3StreamHasherTests: XCTestCase {
    private let isa = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)

    private func streamDigest(_ message: [UInt8], mode: BLAKE3Mode, pieces: (Int) -> Int, batchBytes: Int = 1 << 20) -> [UInt8] {
        var hasher = BLAKE3StreamHasher(mode: mode, isa: isa, batchBytes: batchBytes)
        defer { hasher.deallocate() }
        var offset = 0
        var step = 0
        message.withUnsafeBytes { bytes in
            while offset < message.count {
                let count = min(message.count - offset, max(1, pieces(step)))
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count]))
                offset += count
                step += 1
            }
        }
        XCTAssertEqual(hasher.count, UInt64(message.count))
        return hasher.finalize()
    }

    func testEverySizeAroundTheBoundariesMatchesTheFileHasherInEveryMode() throws {
        let unit = BLAKE3Layout.maxSubtreeBytes
        let batch = 128 << 10
        var sizes = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 2049]
        for base in [unit, 2 * unit, batch, batch + unit, 3 * batch, 7 * unit, 16 * unit] {
            sizes += [base - 1, base, base + 1]
        }
        sizes.append(5 * batch + 12345)
        let pool = randomBytes(sizes.max()! + 17)
        let modes: [BLAKE3Mode] = [.hash(), .hash(outputLength: 131), try .keyed(key: Array(pool[0..<32])),
                                   .deriveKey(context: "sluice stream test", outputLength: 64)]
        var reference = BLAKE3BufferHasher(isa: isa)
        for mode in modes {
            let messages = sizes.enumerated().map { Array(pool[($0.offset % 17) ..< ($0.offset % 17) + $0.element]) }
            let expected = reference.hash(messages, mode: mode)
            for (message, digest) in zip(messages, expected) {
                // Whole, in odd pieces, and byte by byte for the small ones.
                XCTAssertEqual(streamDigest(message, mode: mode, pieces: { _ in message.count }, batchBytes: batch), digest,
                               "size \(message.count) whole")
                XCTAssertEqual(streamDigest(message, mode: mode, pieces: { [4093, 1, 65536, 70001][$0 % 4] }, batchBytes: batch),
                               digest, "size \(message.count) in pieces")
                if message.count <= 3000 {
                    XCTAssertEqual(streamDigest(message, mode: mode, pieces: { _ in 1 }), digest, "size \(message.count) bytewise")
                }
            }
        }
    }

    func testALongStreamMatchesB3sum() throws {
        let scratch = try ScratchDirectory()
        let bytes = randomBytes((37 << 20) + 4099)
        let path = try scratch.write(scratch.path("long"), bytes)
        let expected = ChecksumLines.digests(try Subprocess.b3sum([path.description]).stdout)[path.description]
        let digest = streamDigest(bytes, mode: .hash(), pieces: { [65536, 1 << 20, 12345][$0 % 3] })
        XCTAssertEqual(digest.map { String(format: "%02x", $0) }.joined(), expected)
    }
}
