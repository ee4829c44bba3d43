import Foundation
import XCTest
@testable import Sluice

/// A device that fails mid-run (out of resources, lost, hung past the deadline): the batches in
/// flight and all later ones go to the CPU backend after one warning, and every file still gets
/// its right digest (docs/reliability.md, rows 28–29).
final class OpenCLFailoverTests: XCTestCase {
    func testDeviceFaultOnSubmitOrWaitFallsBackToTheCPUAndEveryFileGetsItsDigest() throws {
        guard let entry = DeviceInventory.current().openCL.first else {
            throw XCTSkip("no OpenCL device on this machine (install PoCL: apt-get install pocl-opencl-icd)")
        }
        let scratch = try ScratchDirectory()
        let sizes = (0..<40).map { 1000 + $0 * 37_000 }
        for (index, size) in sizes.enumerated() { _ = try scratch.writeRandom("f\(index)", size: size) }
        let expected = ChecksumLines.digests(
            try Subprocess.b3sum(sizes.indices.map { scratch.path("f\($0)").description }).stdout)

        for fault in [OpenCLBackend.FaultInjection.submit(3), .wait(2), .submit(1)] {
            var warnings: [String] = []
            let backend = try OpenCLBackend(device: entry.device, warnings: { warnings.append($0) })
            backend.faultInjection = fault
            let catalog = try Catalog.build(paths: [scratch.root], options: CatalogOptions())
            var configuration = RunConfiguration()
            configuration.batchBytes = 128 << 10  // many batches, so the fault strikes mid-run
            let sink = CollectingSink()
            let summary = try Pipeline(catalog: catalog, backend: backend, configuration: configuration, sink: sink).run()
            XCTAssertEqual(summary.filesHashed, sizes.count, "\(fault)")
            XCTAssertEqual(summary.filesFailed, 0, "\(fault)")
            for result in sink.results {
                XCTAssertEqual(result.hexDigest, expected[result.path.description], "\(fault): \(result.path)")
            }
            XCTAssertEqual(warnings.count, 1, "\(fault): \(warnings)")
            XCTAssertTrue(warnings.first?.contains("fallback") ?? false, "\(fault): \(warnings)")
        }
    }
}
