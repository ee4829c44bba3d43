import Foundation
import XCTest
@testable import Sluice

/// Several compute lanes in one run: the CPU lane beside an OpenCL (PoCL) lane, ready at once
/// or joining late, a lane that never joins, and a lane whose device fails. Every mix must give
/// b3sum's digests for every file.
final class PipelineLaneTests: XCTestCase {
    private func corpus(_ scratch: ScratchDirectory) throws -> (paths: [RawPath], expected: [String: String]) {
        var paths: [RawPath] = []
        for (number, size) in [0, 1, 1023, 1024, 1025, 65_536, 65_537, 300_000, 1 << 20, 3 << 20 | 77].enumerated() {
            paths.append(try scratch.writeRandom("f\(number)", size: size))
        }
        for number in 0..<200 { paths.append(try scratch.writeRandom("small\(number)", size: 37 * number)) }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(paths.map(\.description)).stdout)
        XCTAssertEqual(expected.count, paths.count)
        return (paths, expected)
    }

    private func run(_ paths: [RawPath], lanes: [PipelineLane],
                     _ configure: (inout RunConfiguration) -> Void = { _ in }) throws -> ([FileResult], RunSummary) {
        let catalog = try Catalog.build(paths: paths, options: CatalogOptions())
        var configuration = RunConfiguration()
        configuration.batchBytes = 64 << 10
        configure(&configuration)
        let sink = CollectingSink()
        let summary = try Pipeline(catalog: catalog, lanes: lanes, configuration: configuration, sink: sink).run()
        return (sink.results, summary)
    }

    private func assertDigests(_ results: [FileResult], _ expected: [String: String], _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(results.count, expected.count, label, file: file, line: line)
        let wrong = results.filter { $0.hexDigest != expected[$0.path.description] }
        XCTAssertTrue(wrong.isEmpty, "\(label): \(wrong.count) digests differ, e.g. \(wrong.first.map { "\($0.path)" } ?? "")",
                      file: file, line: line)
    }

    /// The PoCL lane presented as a device that wants staged bytes for its transfers, as a GPU
    /// does (`readsLentBytes` false): its arrival stops the lending.
    private final class StagingOnlyLane: ForwardingLane, @unchecked Sendable {
        override var readsLentBytes: Bool { false }
    }

    /// A lane that is still starting and becomes a PoCL lane `seconds` from now.
    private func poclLaneReady(after seconds: Double, wantsStaging: Bool = false) throws -> StartingLane {
        let pocl = try poclBackend()
        let backend: ComputeBackend = wantsStaging ? StagingOnlyLane(pocl) : pocl
        let release = DispatchSemaphore(value: 0)
        let lane = StartingLane(name: "OpenCL (test)") {
            release.wait()
            return ([backend], [])
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { release.signal() }
        return lane
    }

    private func poclBackend() throws -> OpenCLBackend {
        guard let entry = DeviceInventory.current().openCL.first else { throw XCTSkip("no OpenCL device") }
        return try OpenCLBackend(device: entry.device, warnings: { OpenCLFallbackLog.shared.append($0) })
    }

    private func cpu() -> CPUBackend {
        CPUBackend(isa: CPUVectorISA.active(environment: ProcessInfo.processInfo.environment), workers: 2, batchBytes: 64 << 10)
    }

    func testCPUAndOpenCLLanesTogetherMatchB3sumAndBothCompute() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        let (results, summary) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .ready(try poclBackend())])
        assertDigests(results, expected, "cpu + opencl")
        XCTAssertEqual(summary.lanes.count, 2)
        XCTAssertTrue(summary.lanes.allSatisfy { $0.batches > 0 && $0.bytes > 0 }, "both lanes computed: \(summary.lanes)")
        let hashed = results.reduce(UInt64(0)) { $0 + $1.size }
        // Staged bytes: every file's bytes once, plus at most 63 bytes of alignment before each.
        let staged = summary.lanes.reduce(UInt64(0)) { $0 + $1.bytes }
        XCTAssertGreaterThanOrEqual(staged, hashed, "every byte was computed by a lane")
        XCTAssertLessThanOrEqual(staged, hashed + 64 * UInt64(results.count), "no batch was computed twice")
        XCTAssertEqual(summary.stages.first { $0.name == "compute" }?.threads, 3)
        XCTAssertTrue(summary.device.contains("cpu:") && summary.device.contains("opencl:"), summary.device)
    }

    func testOpenCLLaneThatStartsLateJoinsTheCPULane() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        // The CPU lane starts alone; the OpenCL lane becomes ready shortly after.
        let lane = try poclLaneReady(after: 0.05)
        let (results, summary) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .starting(lane)])
        assertDigests(results, expected, "cpu, then opencl")
        XCTAssertEqual(summary.lanes.count, 2, "\(summary.lanes)")
        let joined = try XCTUnwrap(summary.lanes.first { $0.device.hasPrefix("opencl:") })
        XCTAssertGreaterThan(joined.startSeconds, 0.04)
        XCTAssertGreaterThan(joined.batches, 0)
    }

    private func largeCorpus(_ scratch: ScratchDirectory) throws -> (paths: [RawPath], expected: [String: String], bytes: Int) {
        var paths: [RawPath] = []
        // More 16 MiB ranges than the run lends at once (every reader's and two per worker: 6).
        for (number, size) in [(48 << 20) + 5, 48 << 20, 100, 70_000, (40 << 20) + 3, (9 << 20) + 1].enumerated() {
            paths.append(try scratch.writeRandom("large\(number)", size: size))
        }
        let expected = ChecksumLines.digests(try Subprocess.b3sum(paths.map(\.description)).stdout)
        let bytes = try paths.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: $1.description)[.size] as! Int) }
        return (paths, expected, bytes)
    }

    /// Large files are hashed in place beside a CPU-type OpenCL lane (PoCL reads the lent ranges
    /// as it reads staged bytes), and not beside a lane that wants staged bytes for its transfers
    /// (a GPU). The batch counts show which happened: lent ranges are 16 MiB here, staged
    /// batches the CPU lane's 64 KiB.
    func testLargeFilesAreLentBesidePoCLButNotBesideALaneThatWantsStaging() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected, totalBytes) = try largeCorpus(scratch)
        var batchCounts: [Bool: Int] = [:]
        for wantsStaging in [false, true] {
            let pocl = try poclBackend()
            let other: ComputeBackend = wantsStaging ? StagingOnlyLane(pocl) : pocl
            let (results, summary) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .ready(other)]) { $0.batchBytes = nil }
            assertDigests(results, expected, wantsStaging ? "staged beside a staging lane" : "lent beside PoCL")
            XCTAssertTrue(summary.lanes.allSatisfy { $0.batches > 0 }, "both lanes computed: \(summary.lanes)")
            batchCounts[wantsStaging] = summary.lanes.reduce(0) { $0 + $1.batches }
        }
        // Lent: at most one batch per 4 MiB, plus the two small files.
        XCTAssertLessThanOrEqual(batchCounts[false]!, totalBytes / (4 << 20) + 4, "\(batchCounts)")
        // Staged: at least one batch per 64 KiB... of most of the bytes (the OpenCL lane gathers several).
        XCTAssertGreaterThan(batchCounts[true]!, totalBytes / (1 << 20), "\(batchCounts)")
    }

    /// Large files are lent while only the CPU lane runs; a lane that joins later gets the
    /// remaining batches, lent ones included (beside PoCL the lending goes on; a lane that wants
    /// staging stops it, and the ranges lent before stay valid for it): every digest stays right.
    func testLentBatchesStayValidForALaneThatJoinsWhetherItStopsTheLendingOrNot() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected, _) = try largeCorpus(scratch)
        for wantsStaging in [false, true] {
            let lane = try poclLaneReady(after: 0.03, wantsStaging: wantsStaging)
            let (results, summary) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .starting(lane)]) { $0.batchBytes = nil }
            assertDigests(results, expected, wantsStaging ? "lent, then staged beside a staging lane" : "lent beside PoCL")
            let joined = try XCTUnwrap(summary.lanes.first { $0.device.hasPrefix("opencl:") }, "\(summary.lanes)")
            XCTAssertGreaterThan(joined.batches, 0)
        }
    }

    /// A lane's start runs only once the pipeline's threads exist (`StartingLane.begin`): a
    /// thread created while the start loads a vendor library would wait for the loader's lock.
    /// The start made 50 ms before the run is still waiting when the run begins, and it has run
    /// by the time the run's lanes are all known; `wait()` lets a start that nobody began run.
    func testLaneStartWaitsUntilThePipelineThreadsExist() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        final class Moment: @unchecked Sendable {
            let lock = NSLock()
            var value: UInt64?
            func set() { lock.lock(); value = StageClock.now(); lock.unlock() }
            var get: UInt64? { lock.lock(); defer { lock.unlock() }; return value }
        }
        let startRan = Moment()
        let lane = StartingLane(name: "observed") {
            startRan.set()
            return ([], ["sluice: warning: observed lane found nothing"])
        }
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertNil(startRan.get, "the start ran before begin()")
        XCTAssertFalse(lane.isFinished)
        let runCalled = StageClock.now()
        // A CPU lane slow enough that the run outlasts the start.
        let (results, _) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .starting(lane)])
        assertDigests(results, expected, "cpu beside a lane that starts once the threads exist")
        let ran = try XCTUnwrap(startRan.get, "the pipeline began the start")
        XCTAssertGreaterThan(ran, runCalled, "the start ran only after the run had begun")

        let unbegun = StartingLane(name: "waited for") { ([], []) }
        let outcome = withDeadline(seconds: 30) { unbegun.wait() }
        XCTAssertNotNil(outcome, "wait() begins the start")
        XCTAssertTrue(unbegun.isFinished)
    }

    func testRunThatEndsBeforeALaneIsReadyDoesNotWaitForIt() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        let release = DispatchSemaphore(value: 0)
        let lane = StartingLane(name: "never ready") {
            release.wait()
            return ([], [])
        }
        defer { release.signal() }
        let started = Date()
        let outcome = withDeadline(seconds: 30) { [self] in try run(paths, lanes: [.ready(cpu()), .starting(lane)]) }
        let (results, summary) = try XCTUnwrap(outcome)
        assertDigests(results, expected, "cpu while the other lane never starts")
        XCTAssertEqual(summary.lanes.map(\.device), [cpu().deviceName])
        XCTAssertFalse(lane.isFinished, "the run ended without its start")
        XCTAssertLessThan(Date().timeIntervalSince(started), 25)
    }

    func testLaneThatFindsNoDeviceLeavesTheRunToTheOthers() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        let lane = StartingLane(name: "nothing found") { ([], ["sluice: warning: test lane found nothing"]) }
        _ = lane.wait()
        let (results, summary) = try run(paths, lanes: [.ready(cpu()), .starting(lane)])
        assertDigests(results, expected, "cpu with an empty lane")
        XCTAssertEqual(summary.lanes.count, 1)
        XCTAssertTrue(summary.warnings.contains("sluice: warning: test lane found nothing"), "\(summary.warnings)")
    }

    func testOpenCLLaneThatFailsLeavesAndTheCPULaneFinishes() throws {
        let scratch = try ScratchDirectory()
        let (paths, expected) = try corpus(scratch)
        for fault in [OpenCLBackend.FaultInjection.submit(2), .wait(1)] {
            let backend = try poclBackend()
            backend.faultInjection = fault
            _ = OpenCLFallbackLog.shared.drain()
            let (results, summary) = try run(paths, lanes: [.ready(SlowedCPULane(cpu(), delayMicroseconds: 20_000)), .ready(backend)])
            assertDigests(results, expected, "cpu + failing opencl (\(fault))")
            let warnings = OpenCLFallbackLog.shared.drain()
            XCTAssertEqual(warnings.count, 1, "\(fault): \(warnings)")
            XCTAssertTrue(warnings.first?.contains("the other lanes take the remaining batches") == true, "\(warnings)")
            XCTAssertEqual(summary.filesFailed, 0)
        }
    }
}
