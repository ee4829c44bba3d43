import XCTest
@testable import Sluice

final class DeviceSelectionTests: XCTestCase {
    /// Whitespace around a device or around the entries of a list is dropped; whitespace alone is
    /// no device.
    func testWhitespaceAroundDevicesIsDropped() throws {
        XCTAssertEqual(try DeviceSpec(parsing: " cpu "), .cpu)
        XCTAssertEqual(try DeviceSpec(parsing: "\tgpu\n"), .gpu)
        XCTAssertEqual(try DeviceSpec(parsing: " opencl:0:1 "), .opencl(platform: .index(0), device: .index(1)))
        XCTAssertEqual(try DeviceSpec.list(parsing: "cpu, opencl "), [.cpu, .opencl(platform: nil, device: nil)])
        XCTAssertEqual("  a b \t".trimmingWhitespace(), "a b")
        XCTAssertEqual("x".trimmingWhitespace(), "x")
        XCTAssertEqual(" \n ".trimmingWhitespace(), "")
        XCTAssertEqual("".trimmingWhitespace(), "")
        XCTAssertThrowsError(try DeviceSpec.list(parsing: "cpu,  "))
        XCTAssertThrowsError(try DeviceSpec(parsing: "   "))
    }


    func testParsesEveryDocumentedForm() throws {
        XCTAssertEqual(try DeviceSpec(parsing: "auto"), .auto)
        XCTAssertEqual(try DeviceSpec(parsing: "GPU"), .gpu)
        XCTAssertEqual(try DeviceSpec(parsing: "cpu"), .cpu)
        XCTAssertEqual(try DeviceSpec(parsing: "opencl"), .opencl(platform: nil, device: nil))
        XCTAssertEqual(try DeviceSpec(parsing: "opencl:0:0"), .opencl(platform: .index(0), device: .index(0)))
        XCTAssertEqual(try DeviceSpec(parsing: "opencl:portable:haswell"),
                       .opencl(platform: .name("portable"), device: .name("haswell")))
        XCTAssertEqual(try DeviceSpec(parsing: "opencl:pocl"), .opencl(platform: .name("pocl"), device: nil))
        XCTAssertEqual(try DeviceSpec(parsing: "opencl::1"), .opencl(platform: nil, device: .index(1)))
    }

    func testCanonicalSpellingParsesBack() throws {
        for text in ["auto", "gpu", "cpu", "opencl", "opencl:1", "opencl:0:2", "opencl:pocl:epyc", "opencl::3"] {
            XCTAssertEqual(try DeviceSpec(parsing: text).description, text)
        }
    }

    func testInvalidDeviceNamesTheValidChoices() {
        for text in ["banana", "opencl:0:0:0", "", "cuda:0"] {
            XCTAssertThrowsError(try DeviceSpec(parsing: text), text) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains("valid choices: auto, gpu, cpu, opencl"), message)
            }
        }
    }

    func testCPUResolvesToTheSIMDBackendSilently() throws {
        let resolution = try DeviceResolver.resolve(.cpu, strict: true, inventory: DeviceInventory.withoutOpenCL)
        guard case .cpu(.avx2) = resolution.device else { return XCTFail("\(resolution.device)") }
        XCTAssertEqual(resolution.warnings, [])
    }

    func testAutoWithoutGPUIsTheCPUBackendWithoutWarning() throws {
        for inventory in [DeviceInventory.withoutOpenCL, DeviceInventory.current()]
        where !inventory.openCL.contains(where: \.isGPUOrAccelerator) {
            let resolution = try DeviceResolver.resolve(.auto, strict: true, inventory: inventory)
            guard case .cpu = resolution.device else { return XCTFail("\(resolution.device)") }
            XCTAssertEqual(resolution.warnings, [])
        }
    }

    func testGPUWithoutOpenCLFallsBackWithOneWarning() throws {
        let resolution = try DeviceResolver.resolve(.gpu, strict: false, inventory: DeviceInventory.withoutOpenCL)
        guard case .cpu = resolution.device else { return XCTFail("\(resolution.device)") }
        XCTAssertEqual(resolution.warnings.count, 1)
        let warning = try XCTUnwrap(resolution.warnings.first)
        XCTAssertTrue(warning.hasPrefix("sluice: warning:"), warning)
        XCTAssertTrue(warning.contains("fallback"), warning)
        XCTAssertTrue(warning.contains("no OpenCL platform found"), warning)
        XCTAssertFalse(warning.contains("\n"))
    }

    func testGPUWithoutOpenCLUnderStrictIsAnError() {
        XCTAssertThrowsError(try DeviceResolver.resolve(.gpu, strict: true, inventory: DeviceInventory.withoutOpenCL)) { error in
            XCTAssertTrue(error is DeviceSelectionError)
            XCTAssertTrue(String(describing: error).contains("--strict-device"))
        }
    }

    func testOpenCLWithoutPlatformIsAnError() {
        XCTAssertThrowsError(try DeviceResolver.resolve(.opencl(platform: nil, device: nil), strict: false,
                                                        inventory: DeviceInventory.withoutOpenCL)) { error in
            XCTAssertTrue(String(describing: error).contains("no OpenCL platform found"), "\(error)")
        }
    }

    func testPoclCPUDeviceIsFoundByIndexAndByNames() throws {
        let inventory = DeviceInventory.current()
        guard let pocl = inventory.openCL.first(where: { $0.platformName.contains("Portable Computing Language") })
        else { throw XCTSkip("PoCL is not installed") }
        let specs = ["opencl", "opencl:\(pocl.index)", "opencl:portable", "opencl:POCL", "opencl:portable:"
                     + String(pocl.name.prefix(7).lowercased())]
        for text in specs {
            let resolution = try DeviceResolver.resolve(try DeviceSpec(parsing: text), strict: true,
                                                        inventory: inventory)
            XCTAssertEqual(resolution.device.openCLDevice?.id, pocl.device.id, text)
            XCTAssertEqual(resolution.warnings, [], text)
        }
        XCTAssertTrue(try DeviceResolver.resolve(.opencl(platform: nil, device: nil), strict: false,
                                                 inventory: inventory).device.displayName.hasPrefix("OpenCL "))
    }

    func testMissingOpenCLDeviceErrorListsTheAvailableOnes() throws {
        let inventory = DeviceInventory.current()
        let first = try XCTUnwrap(inventory.openCL.first, "needs an OpenCL device (PoCL)")
        XCTAssertThrowsError(try DeviceResolver.resolve(try DeviceSpec(parsing: "opencl:9:9"), strict: false,
                                                        inventory: inventory)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("opencl:9:9"), message)
            XCTAssertTrue(message.contains("\(first.index) \(first.name)"), message)
        }
    }

    func testGPURequestOnAMachineWithOnlyCPUDevicesNamesThemInTheWarning() throws {
        let inventory = DeviceInventory.current()
        guard !inventory.openCL.isEmpty, !inventory.openCL.contains(where: \.isGPUOrAccelerator) else {
            throw XCTSkip("needs OpenCL CPU devices and no GPU")
        }
        let resolution = try DeviceResolver.resolve(.gpu, strict: false, inventory: inventory)
        XCTAssertEqual(resolution.warnings.count, 1)
        XCTAssertTrue(resolution.warnings[0].contains("fallback"))
        XCTAssertTrue(resolution.warnings[0].contains(inventory.openCL[0].name), resolution.warnings[0])
    }

    func testBuildFailureFallsBackToCPUUnlessStrict() throws {
        let inventory = DeviceInventory.current()
        let device = try XCTUnwrap(inventory.openCL.first?.device, "needs an OpenCL device (PoCL)")
        let chosen = DeviceResolution(device: .opencl(device))
        let failure = OpenCLError(code: -11, function: "clBuildProgram", buildLog: "error: something\nmore")
        let fallback = try chosen.fallingBack(after: failure, strict: false, isa: .baseline)
        guard case .cpu(.baseline) = fallback.device else { return XCTFail("\(fallback.device)") }
        XCTAssertEqual(fallback.warnings.count, 1)
        XCTAssertTrue(fallback.warnings[0].contains("fallback"), fallback.warnings[0])
        XCTAssertTrue(fallback.warnings[0].contains("CL_BUILD_PROGRAM_FAILURE"), fallback.warnings[0])
        XCTAssertThrowsError(try chosen.fallingBack(after: failure, strict: true)) { error in
            XCTAssertTrue(error is DeviceSelectionError)
        }
    }
}
