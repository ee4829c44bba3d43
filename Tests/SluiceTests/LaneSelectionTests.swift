import Foundation
import XCTest
@testable import Sluice

/// `--device` lists and the lanes they select, from the resolver to the command line.
final class LaneSelectionTests: XCTestCase {

    func testListsParseAndBadListsNameTheForm() throws {
        XCTAssertEqual(try DeviceSpec.list(parsing: "cpu"), [.cpu])
        XCTAssertEqual(try DeviceSpec.list(parsing: "cpu,opencl"), [.cpu, .opencl(platform: nil, device: nil)])
        XCTAssertEqual(try DeviceSpec.list(parsing: "cpu, opencl:0:0 ,opencl:1:0"),
                       [.cpu, .opencl(platform: .index(0), device: .index(0)), .opencl(platform: .index(1), device: .index(0))])
        for text in ["cpu,,opencl", ",cpu", "cpu,", ""] {
            XCTAssertThrowsError(try DeviceSpec.list(parsing: text), text) { error in
                XCTAssertTrue(String(describing: error).contains("joined by commas"), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try DeviceSpec.list(parsing: "cpu,banana"))
    }

    func testAutoIsTheCPULanePlusEveryGPULaneButNoCPUTypeOpenCLDevice() throws {
        let inventory = DeviceInventory.current()
        let (devices, warnings) = try DeviceResolver.lanes(for: [.auto], inventory: inventory)
        XCTAssertEqual(warnings, [])
        guard case .cpu = devices.first else { return XCTFail("\(devices)") }
        let gpus = inventory.openCL.filter(\.isGPUOrAccelerator).count
        XCTAssertEqual(devices.count, 1 + gpus, "PoCL's CPU device is not a lane of auto: \(devices)")
    }

    func testListsKeepOrderAndNameEachDeviceOnce() throws {
        let inventory = DeviceInventory.current()
        guard let first = inventory.openCL.first else { throw XCTSkip("no OpenCL device") }
        let (devices, _) = try DeviceResolver.lanes(for: [.cpu, .opencl(platform: nil, device: nil), .auto, .cpu,
                                                          .opencl(platform: .index(first.platformIndex), device: .index(first.deviceIndex))],
                                                    inventory: inventory)
        guard devices.count >= 2, case .cpu = devices[0], case .opencl(let device) = devices[1] else { return XCTFail("\(devices)") }
        XCTAssertEqual(device.id, first.device.id)
        XCTAssertEqual(devices.filter { if case .cpu = $0 { return true } else { return false } }.count, 1)
    }

    func testGPUWithoutOneIsNoLaneAndAWarning() throws {
        let (devices, warnings) = try DeviceResolver.lanes(for: [.gpu], inventory: DeviceInventory.withoutOpenCL)
        XCTAssertTrue(devices.isEmpty)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("no OpenCL GPU found"), warnings[0])
        XCTAssertThrowsError(try DeviceResolver.lanes(for: [.cpu, .opencl(platform: .index(9), device: nil)], inventory: DeviceInventory.withoutOpenCL))
    }

    func testVendorFilterLeavesOutCPUOnlyImplementations() throws {
        let scratch = try ScratchDirectory()
        let folder = try scratch.makeDirectory("vendors").description
        func vendor(_ name: String, _ library: String) throws {
            try Data((library + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        try vendor("pocl.icd", "libpocl.so.2.10.0")
        var classified = try XCTUnwrap(GPUVendorFilter.classify(environment: ["OCL_ICD_VENDORS": folder]))
        XCTAssertEqual(classified.kept, [])
        XCTAssertEqual(classified.skipped, ["pocl.icd"])
        try vendor("nvidia.icd", "libnvidia-opencl.so.1")
        try vendor("intel-cpu.icd", "/opt/intel/lib/libintelocl.so")
        try vendor("README", "not a vendor file")
        classified = try XCTUnwrap(GPUVendorFilter.classify(environment: ["OCL_ICD_VENDORS": folder]))
        XCTAssertEqual(classified.kept, [folder + "/nvidia.icd"])
        XCTAssertEqual(classified.skipped, ["intel-cpu.icd", "pocl.icd"])
        // A single vendor file named by the user is the user's choice: nothing to classify.
        XCTAssertNil(GPUVendorFilter.classify(environment: ["OCL_ICD_VENDORS": folder + "/pocl.icd"]))
    }

    // MARK: - Command line

    private func digests(_ outcome: ProcessOutcome) -> [String: String] { ChecksumLines.digests(outcome.stdout) }

    func testCPUAndOpenCLListMatchesB3sumAndReportsEachLane() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        let scratch = try ScratchDirectory()
        let tree = try scratch.makeDirectory("tree")
        for number in 0..<300 { try scratch.writeRandom("tree/f\(number)", size: 1000 * number) }
        try scratch.writeRandom("tree/large", size: 48 << 20)
        let expected = ChecksumLines.digests(try Subprocess.b3sum((0..<300).map { scratch.path("tree/f\($0)").description }
                                                                  + [scratch.path("tree/large").description]).stdout)
        // In given order the OpenCL start begins once the pipeline's threads exist; in size order
        // before the listing (`LaneStart.beginStarting`).
        for order in ["given", "size"] {
            let stats = scratch.path("stats-\(order).json").description
            let outcome = try Subprocess.sluice(["run", "--device", "cpu,opencl", "--order", order, "--stats-json", stats,
                                                 tree.description], timeout: 120)
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            XCTAssertEqual(digests(outcome), expected, order)
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any])
            let lanes = try XCTUnwrap(summary["lanes"] as? [[String: Any]])
            XCTAssertTrue(lanes.first?["device"] as? String == "cpu:\(CPUVectorISA.active(environment: [:]).rawValue)"
                          || (lanes.first?["device"] as? String)?.hasPrefix("cpu:") == true, "\(order): \(lanes)")
            XCTAssertTrue(lanes.count <= 2, "\(order): \(lanes)")
            XCTAssertGreaterThanOrEqual(lanes.reduce(0) { $0 + ($1["bytes"] as? Int ?? 0) }, 48 << 20, "\(order): \(lanes)")
            XCTAssertNotNil(summary["cpuSeconds"] as? Double)
        }
    }

    func testAutoWithOnlyPoCLRunsTheCPULaneAlone() throws {
        guard DeviceInventory.current().openCL.allSatisfy({ !$0.isGPUOrAccelerator }) else { throw XCTSkip("a GPU is present") }
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 100_000)
        let stats = scratch.path("stats.json").description
        let outcome = try Subprocess.sluice(["run", "-q", "--device", "auto", "--stats-json", stats, file.description])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        XCTAssertEqual(outcome.stderrText, "", "auto without a GPU is silent")
        XCTAssertEqual(digests(outcome), ChecksumLines.digests(try Subprocess.b3sum([file.description]).stdout))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any])
        XCTAssertEqual((summary["lanes"] as? [[String: Any]])?.count, 1, "\(summary)")
    }

    func testGPUWithOnlyPoCLFallsBackWithOneWarningOrFailsUnderStrict() throws {
        guard DeviceInventory.current().platforms.contains(where: { $0.name.contains("Portable Computing Language") }),
              DeviceInventory.current().openCL.allSatisfy({ !$0.isGPUOrAccelerator }) else {
            throw XCTSkip("needs PoCL and no GPU")
        }
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 5000)
        let fallback = try Subprocess.sluice(["run", "-q", "--device", "gpu", file.description])
        XCTAssertEqual(fallback.status, 0, fallback.stderrText)
        XCTAssertEqual(fallback.stderrText.split(separator: "\n").count, 1, fallback.stderrText)
        XCTAssertTrue(fallback.stderrText.contains("no OpenCL GPU found (the only OpenCL implementations installed drive the CPU: pocl.icd); fallback to the CPU SIMD backend"),
                      fallback.stderrText)
        XCTAssertEqual(digests(fallback), ChecksumLines.digests(try Subprocess.b3sum([file.description]).stdout))
        let strict = try Subprocess.sluice(["run", "-q", "--device", "gpu", "--strict-device", file.description])
        XCTAssertEqual(strict.status, 2)
        XCTAssertTrue(strict.stdout.isEmpty)
        XCTAssertTrue(strict.stderrText.contains("--strict-device forbids the fallback"), strict.stderrText)
    }

    func testAnEntryThatMatchesNothingIsAWarningBesideTheCPULaneAndAnErrorAlone() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        let scratch = try ScratchDirectory()
        // Sparse and large: the run lasts long enough for the OpenCL start to finish.
        let file = scratch.path("f")
        try scratch.write(file, [])
        XCTAssertEqual(truncate(file.description, 256 << 20), 0)
        let expected = ChecksumLines.digests(try Subprocess.b3sum([file.description]).stdout)
        let stats = scratch.path("stats.json").description
        // The valid OpenCL entry stays a lane; the one that matches nothing is named and left out.
        let hybrid = try Subprocess.sluice(["run", "-q", "--device", "cpu,opencl:9,opencl", "--strict-device",
                                            "--stats-json", stats, file.description])
        XCTAssertEqual(hybrid.status, 2, "--strict-device: a lane that cannot start is an error: \(hybrid.stderrText)")
        let warned = try Subprocess.sluice(["run", "-q", "--device", "cpu,opencl:9,opencl", "--stats-json", stats, file.description])
        XCTAssertEqual(warned.status, 0, warned.stderrText)
        XCTAssertEqual(digests(warned), expected)
        XCTAssertTrue(warned.stderrText.contains("sluice: warning: no OpenCL device matches 'opencl:9'"), warned.stderrText)
        XCTAssertTrue(warned.stderrText.contains("that lane is left out"), warned.stderrText)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any])
        XCTAssertTrue((summary["warnings"] as? [String])?.contains { $0.contains("opencl:9") } == true, "\(summary)")
        let alone = try Subprocess.sluice(["run", "-q", "--device", "opencl:9", file.description])
        XCTAssertEqual(alone.status, 2, alone.stderrText)
        XCTAssertTrue(alone.stdout.isEmpty)
    }

    func testShortRunsWithAStartingLaneExitCleanly() throws {
        try XCTSkipUnless(TestBackendKind.opencl.isAvailable, "no OpenCL device")
        // A run that ends while PoCL is still starting used to crash in PoCL's exit handlers.
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 10)
        let expected = ChecksumLines.digests(try Subprocess.b3sum([file.description]).stdout)
        for _ in 0..<15 {
            let outcome = try Subprocess.sluice(["run", "-q", "--device", "cpu,opencl", file.description])
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            XCTAssertEqual(digests(outcome), expected)
            let list = try scratch.write(scratch.path("sums"), [UInt8](outcome.stdout))
            let check = try Subprocess.sluice(["check", "--device", "cpu,opencl", list.description])
            XCTAssertEqual(check.status, 0, check.stderrText)
        }
    }
}
