import XCTest
@testable import Sluice

final class HistogramTests: XCTestCase {
    /// Sizes around the word and work-group edges, and one spanning many work-groups.
    private static let sizes = [0, 1, 3, 4, 5, 255, 4095, 4096, 65_537, (1 << 20) + 7]

    /// The oracle: one counter per byte value, counted one byte at a time.
    private func naiveCounts(_ bytes: [UInt8]) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        return counts
    }

    /// Reproducible pseudo-random bytes (SplitMix64), so that a failure can be replayed.
    private func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    /// Checks the CPU implementation, and the OpenCL one when `device` is given, against the
    /// naive count: the one helper both backends go through.
    private func assertHistogramMatchesNaiveCount(_ bytes: [UInt8], device: Device?,
                                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = naiveCounts(bytes)
        let cpu = bytes.withUnsafeBytes { ByteHistogram.compute(bytes: $0) }
        XCTAssertEqual(cpu, expected, "CPU, \(bytes.count) bytes", file: file, line: line)
        if let device {
            let opencl = try bytes.withUnsafeBytes { try ByteHistogram.compute(bytes: $0, on: device) }
            XCTAssertEqual(opencl, expected, "OpenCL, \(bytes.count) bytes", file: file, line: line)
        }
    }

    func testCPUHistogramEqualsNaiveCountOnRandomBytes() throws {
        for (index, size) in Self.sizes.enumerated() {
            try assertHistogramMatchesNaiveCount(randomBytes(count: size, seed: UInt64(index)), device: nil)
        }
    }

    func testOpenCLHistogramEqualsCPUAndNaiveCountOnRandomBytes() throws {
        let device = try OpenCLTestDevice.get().device
        for (index, size) in Self.sizes.enumerated() {
            try assertHistogramMatchesNaiveCount(randomBytes(count: size, seed: UInt64(index)), device: device)
        }
    }

    func testRunsOfOneByteValueCountOnBothBackends() throws {
        let device = try OpenCLTestDevice.get().device
        // Every work-item hits the same bin: the worst case for the atomics and store forwarding.
        try assertHistogramMatchesNaiveCount([UInt8](repeating: 0xFF, count: 300_001), device: device)
        try assertHistogramMatchesNaiveCount([UInt8](repeating: 0, count: 4096) + [1, 2, 3], device: device)
    }

    func testOpenCLHistogramOfAnUnalignedSliceIsCorrect() throws {
        let device = try OpenCLTestDevice.get().device
        let bytes = randomBytes(count: 10_000, seed: 42)
        let counts = try bytes.withUnsafeBytes { all in
            try ByteHistogram.compute(bytes: UnsafeRawBufferPointer(rebasing: all[3..<9_998]), on: device)
        }
        XCTAssertEqual(counts, naiveCounts(Array(bytes[3..<9_998])))
    }

    func testMergeOfTwoHalvesEqualsTheWhole() {
        let bytes = randomBytes(count: 5_000, seed: 7)
        var first = bytes[..<1_234].withUnsafeBytes { ByteHistogram.compute(bytes: $0) }
        let second = bytes[1_234...].withUnsafeBytes { ByteHistogram.compute(bytes: $0) }
        ByteHistogram.merge(&first, second)
        XCTAssertEqual(first, naiveCounts(bytes))
    }
}
