import Foundation
import XCTest
@testable import Sluice

/// The OpenCL backend has two kernels for full chunks: one chunk per work-item (chosen for GPUs)
/// and eight chunks in vector lanes (chosen for CPU devices such as PoCL). PoCL can run both, so
/// both are checked here against b3sum, whatever device type picks by default.
final class OpenCLKernelVariantTests: XCTestCase {
    func testBothFullChunkKernelsMatchB3sum() throws {
        guard let entry = DeviceInventory.current().openCL.first else {
            throw XCTSkip("no OpenCL device on this machine (install PoCL: apt-get install pocl-opencl-icd)")
        }
        let scratch = try ScratchDirectory()
        // Sizes that give full chunks in every lane position, short last chunks, single-chunk files.
        let sizes = [0, 1, 1024, 1025, 8 * 1024, 9 * 1024 + 1, 64 * 1024, 200 * 1024 + 7, 3 << 20]
        for (index, size) in sizes.enumerated() { _ = try scratch.writeRandom("f\(index)", size: size) }
        let paths = sizes.indices.map { scratch.path("f\($0)") }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(paths.map(\.description)).stdout)
        for lanes in [1, 8] {
            let kernel = BLAKE3Kernel(fullChunksPerWorkItem: lanes)
            let backend = try OpenCLBackend(device: entry.device, kernel: kernel,
                                            warnings: { OpenCLFallbackLog.shared.append($0) })
            let (results, summary) = try runPipeline([scratch.root], backend: backend) {
                $0.batchBytes = 256 << 10
                $0.kernel = kernel
            }
            XCTAssertEqual(summary.filesHashed, sizes.count, "lanes \(lanes)")
            for result in results {
                XCTAssertEqual(result.hexDigest, expected[result.path.description], "lanes \(lanes): \(result.path)")
            }
        }
    }
}
