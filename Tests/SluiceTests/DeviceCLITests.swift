import Foundation
import XCTest

/// `sluice devices` run as a subprocess: the only way to test the no-platform case, since the
/// ICD loader reads `OCL_ICD_VENDORS` once per process.
final class DeviceCLITests: XCTestCase {
    private struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private func runSluice(_ arguments: [String], environment changes: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = try Subprocess.sluiceExecutable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(changes) { $1 }
        // stderr goes to a file so that only one pipe is read: a full second pipe could stall the child.
        let errorURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-cli-test-\(getpid())-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorURL) }
        let errors = try FileHandle(forWritingTo: errorURL)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errors.close()
        let stderrData = try Data(contentsOf: errorURL)
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: stdoutData, as: UTF8.self),
                       stderr: String(decoding: stderrData, as: UTF8.self))
    }

    func testWithoutOpenCLPlatformDevicesListsTheCPUBackendAndExitsZero() throws {
        for vendors in ["/nonexistent", try emptyDirectory()] {
            let outcome = try runSluice(["devices"], environment: ["OCL_ICD_VENDORS": vendors])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            XCTAssertTrue(outcome.stdout.contains("CPU SIMD backend"), outcome.stdout)
            XCTAssertFalse(outcome.stdout.contains("opencl "), outcome.stdout)
            XCTAssertEqual(outcome.stderr.components(separatedBy: "sluice: no OpenCL platform found").count - 1, 1,
                           outcome.stderr)
        }
    }

    func testWithoutOpenCLPlatformJSONHoldsOnlyTheCPUBackend() throws {
        let outcome = try runSluice(["devices", "--json"], environment: ["OCL_ICD_VENDORS": "/nonexistent"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["backend"] as? String }, ["cpu"])
    }

    func testWithoutOpenCLPlatformGPURequestWarnsOnceOrFailsUnderStrict() throws {
        let environment = ["OCL_ICD_VENDORS": "/nonexistent"]
        let fallback = try runSluice(["devices", "--device", "gpu"], environment: environment)
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertEqual(fallback.stderr.components(separatedBy: "fallback").count - 1, 1, fallback.stderr)
        let strict = try runSluice(["devices", "--device", "gpu", "--strict-device"], environment: environment)
        XCTAssertEqual(strict.status, 2)
        XCTAssertTrue(strict.stderr.contains("--strict-device"), strict.stderr)
    }

    func testJSONListsThePoclDeviceAndTheCPUBackend() throws {
        let outcome = try runSluice(["devices", "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        for row in rows {
            for key in ["backend", "platform", "name", "type", "computeUnits", "globalMemBytes", "maxAllocBytes",
                        "index"] {
                XCTAssertNotNil(row[key], "\(key) missing in \(row)")
            }
        }
        let cpu = try XCTUnwrap(rows.first { $0["backend"] as? String == "cpu" })
        XCTAssertEqual(cpu["index"] as? String, "cpu")
        XCTAssertNotNil(cpu["isa"] as? String)
        guard let pocl = rows.first(where: { $0["platform"] as? String == "Portable Computing Language" }) else {
            throw XCTSkip("PoCL is not installed")
        }
        XCTAssertEqual(pocl["backend"] as? String, "opencl")
        XCTAssertEqual(pocl["type"] as? String, "cpu")
        XCTAssertNotNil(pocl["openclCVersion"] as? String)
        XCTAssertNotNil(pocl["localMemBytes"] as? Int)
        XCTAssertNotNil(pocl["maxWorkGroupSize"] as? Int)
    }

    func testUsageErrorsExitWithTwo() throws {
        let banana = try runSluice(["devices", "--device", "banana"])
        XCTAssertEqual(banana.status, 2)
        XCTAssertTrue(banana.stderr.contains("valid choices"), banana.stderr)
        XCTAssertEqual(try runSluice(["devices", "--no-such-option"]).status, 2)
        let missing = try runSluice(["devices", "--device", "opencl:9:9"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("available"), missing.stderr)
    }

    private func emptyDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-empty-vendors-\(getpid())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
