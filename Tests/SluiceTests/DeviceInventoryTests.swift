import XCTest
@testable import Sluice

final class DeviceInventoryTests: XCTestCase {
    func testListsThePoclDeviceAndTheCPUBackend() throws {
        let inventory = DeviceInventory.current(environment: [:])
        XCTAssertEqual(inventory.cpu.isa, CPUVectorISA.detected)
        XCTAssertGreaterThan(inventory.cpu.cores, 0)
        guard let pocl = inventory.openCL.first(where: { $0.platformName == "Portable Computing Language" }) else {
            throw XCTSkip("PoCL is not installed")
        }
        XCTAssertNil(inventory.note)
        XCTAssertEqual(pocl.type, .cpu)
        XCTAssertFalse(pocl.isGPUOrAccelerator)
        XCTAssertGreaterThan(pocl.computeUnits, 0)
        XCTAssertTrue(pocl.openCLCVersion.hasPrefix("OpenCL C"))
        XCTAssertEqual(pocl.index, "\(pocl.platformIndex):\(pocl.deviceIndex)")
    }

    func testSLUICEISALowersTheListedISA() {
        XCTAssertEqual(DeviceInventory.current(environment: ["SLUICE_ISA": "baseline"]).cpu.isa, .baseline)
    }

    func testRecordsMarkTheSelectedDeviceAndEndWithTheCPUBackend() throws {
        let inventory = DeviceInventory.current()
        let records = inventory.records(selecting: .cpu(inventory.cpu.isa))
        XCTAssertEqual(records.count, inventory.openCL.count + 1)
        let cpu = try XCTUnwrap(records.last)
        XCTAssertEqual(cpu.backend, "cpu")
        XCTAssertEqual(cpu.index, "cpu")
        XCTAssertEqual(cpu.isa, inventory.cpu.isa.rawValue)
        XCTAssertTrue(cpu.selected)
        XCTAssertNil(cpu.openclCVersion)
        for record in records.dropLast() {
            XCTAssertEqual(record.backend, "opencl")
            XCTAssertFalse(record.selected)
            XCTAssertNotNil(record.openclCVersion)
            XCTAssertNotNil(record.localMemBytes)
            XCTAssertNotNil(record.maxWorkGroupSize)
            XCTAssertNil(record.isa)
        }
    }
}
