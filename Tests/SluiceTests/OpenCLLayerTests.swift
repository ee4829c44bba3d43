import XCTest
@testable import Sluice

final class OpenCLLayerTests: XCTestCase {
    /// One small program for the layer tests, built once per test process.
    private static let addOneProgram: Result<Program, Error> = Result {
        let setup = try OpenCLTestDevice.get()
        let program = try Program(context: setup.context, source: """
            __kernel void add_one(__global uint *values, const uint count) {
                size_t i = get_global_id(0);
                if (i < count) values[i] += 1;
            }
            """)
        try program.build(options: "-Werror")
        return program
    }

    func testPrepareSetsAPrivateWritablePoclCacheDirectory() throws {
        OpenCLEnvironment.prepare()
        let directory = try XCTUnwrap(ProcessInfo.processInfo.environment["POCL_CACHE_DIR"])
        XCTAssertTrue(FileManager.default.isWritableFile(atPath: directory), directory)
    }

    func testDeviceQueriesAnswerSensibleValues() throws {
        let device = try OpenCLTestDevice.get().device
        XCTAssertFalse(try device.name.isEmpty)
        XCTAssertFalse(try device.platform.name.isEmpty)
        XCTAssertGreaterThan(try device.computeUnits, 0)
        XCTAssertGreaterThan(try device.globalMemSize, 0)
        XCTAssertGreaterThan(try device.maxMemAllocSize, 0)
        XCTAssertGreaterThan(try device.localMemSize, 0)
        XCTAssertGreaterThan(try device.maxWorkGroupSize, 0)
        XCTAssertTrue(try device.openCLCVersion.hasPrefix("OpenCL C"))
        XCTAssertTrue(try device.version.hasPrefix("OpenCL"))
        XCTAssertFalse(try device.extensions.isEmpty)
    }

    func testProgramBuildsAndKernelRunsOverABuffer() throws {
        let setup = try OpenCLTestDevice.get()
        let kernel = try Kernel(program: try Self.addOneProgram.get(), name: "add_one")
        XCTAssertGreaterThan(try kernel.workGroupSize(on: setup.device), 0)
        var values = (0..<1000).map { UInt32($0) }
        let buffer = try Buffer(context: setup.context, size: values.count * 4)
        let written = try values.withUnsafeBytes { try setup.queue.enqueueWrite(buffer, from: $0) }
        try kernel.setArg(0, buffer)
        try kernel.setArg(1, UInt32(values.count))
        let ran = try setup.queue.enqueueNDRangeKernel(kernel, globalSize: [1024], waitingFor: [written])
        try values.withUnsafeMutableBytes { bytes in
            let read = try setup.queue.enqueueRead(buffer, into: bytes, waitingFor: [ran])
            try read.wait(timeout: .seconds(30))
        }
        XCTAssertEqual(values, (0..<1000).map { UInt32($0) + 1 })
    }

    func testBrokenProgramErrorCarriesTheBuildLog() throws {
        let setup = try OpenCLTestDevice.get()
        let program = try Program(context: setup.context, source: """
            __kernel void broken(__global uint *out) { out[0] = undeclared_identifier; }
            """)
        XCTAssertThrowsError(try program.build()) { error in
            let clError = error as? OpenCLError
            XCTAssertEqual(clError?.code, -11)
            XCTAssertEqual(clError?.function, "clBuildProgram")
            let log = clError?.buildLog ?? ""
            XCTAssertTrue(log.contains("error"), log)
            XCTAssertTrue(log.contains("undeclared_identifier"), log)
            XCTAssertTrue(String(describing: error).contains("CL_BUILD_PROGRAM_FAILURE"))
        }
    }

    func testBufferWriteReadRoundTripAtAnOffset() throws {
        let setup = try OpenCLTestDevice.get()
        let buffer = try Buffer(context: setup.context, size: 4096)
        let source = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var back = [UInt8](repeating: 0, count: 1000)
        let cleared = try setup.queue.enqueueFill(buffer, pattern: UInt8(0xAA))
        let written = try source.withUnsafeBytes {
            try setup.queue.enqueueWrite(buffer, offset: 100, from: $0, waitingFor: [cleared])
        }
        try back.withUnsafeMutableBytes {
            try setup.queue.enqueueRead(buffer, offset: 100, into: $0, waitingFor: [written]).wait(timeout: .seconds(30))
        }
        XCTAssertEqual(back, source)
        var head = [UInt8](repeating: 0, count: 100)
        try head.withUnsafeMutableBytes { try setup.queue.enqueueRead(buffer, into: $0).wait() }
        XCTAssertEqual(head, [UInt8](repeating: 0xAA, count: 100))
    }

    func testPinnedBufferMapsForStagingAndUnmaps() throws {
        let setup = try OpenCLTestDevice.get()
        let buffer = try Buffer(context: setup.context, flags: [.readWrite, .allocHostPointer], size: 256)
        let (bytes, mapped) = try buffer.map(on: setup.queue, flags: .writeInvalidateRegion)
        try mapped.wait(timeout: .seconds(30))
        for index in bytes.indices { bytes[index] = UInt8(index) }
        try buffer.unmap(bytes, on: setup.queue).wait(timeout: .seconds(30))
        var back = [UInt8](repeating: 0, count: 256)
        try back.withUnsafeMutableBytes { try setup.queue.enqueueRead(buffer, into: $0).wait(timeout: .seconds(30)) }
        XCTAssertEqual(back, (0..<256).map { UInt8($0) })
    }

    func testFailedCallNamesTheCodeAndTheFunction() throws {
        let setup = try OpenCLTestDevice.get()
        XCTAssertThrowsError(try Buffer(context: setup.context, size: 0)) { error in
            XCTAssertEqual(error as? OpenCLError, OpenCLError(code: -61, function: "clCreateBuffer"))
            XCTAssertEqual(String(describing: error), "clCreateBuffer failed: CL_INVALID_BUFFER_SIZE(-61)")
        }
        XCTAssertThrowsError(try Kernel(program: try Self.addOneProgram.get(), name: "missing")) { error in
            XCTAssertEqual((error as? OpenCLError)?.codeName, "CL_INVALID_KERNEL_NAME")
        }
        XCTAssertEqual(OpenCLError.name(of: -1001), "CL_PLATFORM_NOT_FOUND_KHR")
        XCTAssertEqual(OpenCLError.name(of: -5), "CL_OUT_OF_RESOURCES")
    }

    func testEventCompletesAndItsStatusSaysSo() throws {
        let setup = try OpenCLTestDevice.get()
        let buffer = try Buffer(context: setup.context, size: 64)
        let filled = try setup.queue.enqueueFill(buffer, pattern: UInt32(7))
        try filled.wait(timeout: .seconds(30))
        XCTAssertEqual(try filled.status, .complete)
        try setup.queue.flush()
        try setup.queue.finish()
    }

    func testWaitWithTimeoutThrowsWhileACommandIsHeldBackThenSucceeds() throws {
        let setup = try OpenCLTestDevice.get()
        let buffer = try Buffer(context: setup.context, size: 64)
        let gate = try Event.userEvent(context: setup.context)
        let filled = try setup.queue.enqueueFill(buffer, pattern: UInt32(1), waitingFor: [gate])
        let started = ContinuousClock.now
        XCTAssertThrowsError(try filled.wait(timeout: .milliseconds(50))) { error in
            XCTAssertTrue(error is Event.TimeoutError, "\(error)")
            XCTAssertTrue(String(describing: error).contains("clEnqueueFillBuffer"))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        try gate.setUserEventStatus()
        try filled.wait(timeout: .seconds(30))
        XCTAssertEqual(try filled.status, .complete)
    }

    func testWaitWithTimeoutThrowsTheCodeOfAFailedEvent() throws {
        let setup = try OpenCLTestDevice.get()
        let gate = try Event.userEvent(context: setup.context)
        try gate.setUserEventStatus(-5)
        XCTAssertThrowsError(try gate.wait(timeout: .seconds(5))) { error in
            XCTAssertEqual((error as? OpenCLError)?.code, -5)
        }
    }

    func testEmbeddedKernelSourcesAreFound() {
        XCTAssertTrue(Program.embeddedSource(named: "histogram")?.contains("__kernel void histogram") ?? false)
        XCTAssertNil(Program.embeddedSource(named: "no-such-kernel"))
    }
}
