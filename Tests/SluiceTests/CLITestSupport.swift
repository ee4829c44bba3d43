import Foundation
import XCTest
@testable import Sluice

// Shared helpers for the Pipeline*, CLI* and Check* tests: the built `sluice` binary, `b3sum`
// as the reference, subprocesses with a hard deadline, and the two compute backends behind one
// parameter. (DeviceCLITests keeps its own private copies of the binary lookup; this one
// follows the same search order.)

/// What a finished subprocess left behind.
struct ProcessOutcome {
    var status: Int32
    var stdout: Data
    var stderr: Data
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Newline-separated stdout lines (raw bytes), without the empty tail.
    var stdoutLines: [[UInt8]] {
        [UInt8](stdout).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
    }
}

/// A subprocess that did not finish before its deadline (it has been killed).
struct ProcessTimedOut: Error, CustomStringConvertible {
    var command: String
    var seconds: Double
    var description: String { "\(command) did not finish within \(seconds) s (killed)" }
}

enum Subprocess {
    /// python3 on the PATH that imports numpy (the reference of the figure kernels' tests;
    /// `scripts/setup` installs python3-numpy); throws XCTSkip without one.
    static func numpyPython() throws -> URL {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for directory in directories {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent("python3")
            guard FileManager.default.isExecutableFile(atPath: url.path) else { continue }
            if let probe = try? Subprocess.run(url, ["-c", "import numpy"]), probe.status == 0 { return url }
        }
        throw XCTSkip("python3 with numpy is not installed (scripts/setup installs python3-numpy)")
    }

    /// The `sluice` executable built beside the test bundle (`swift build` builds it).
    static func sluiceExecutable() throws -> URL {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("sluice") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the sluice executable is not built (run `swift build` first)")
        }
        return found
    }

    /// `b3sum` on the PATH (the reference implementation).
    static func b3sumExecutable() throws -> URL {
        for directory in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent("b3sum")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw XCTSkip("b3sum is not installed (apt-get install b3sum)")
    }

    /// Runs `executable` with `arguments`, stdout and stderr captured in files (no pipe can fill
    /// up and stall the child), stdin from `stdin` bytes (or /dev/null). Kills the child and
    /// throws `ProcessTimedOut` when it runs past `timeout` seconds.
    static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil,
                    environment changes: [String: String] = [:], directory: String? = nil,
                    timeout: Double = 30) throws -> ProcessOutcome {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-subprocess-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        let inURL = scratch.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data())

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(changes) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let output = try FileHandle(forWritingTo: outURL)
        let errors = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? output.close()
            try? errors.close()
            try? input.close()
        }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = finished.wait(timeout: .now() + 10)
            throw ProcessTimedOut(command: ([executable.lastPathComponent] + arguments).joined(separator: " "),
                                  seconds: timeout)
        }
        process.waitUntilExit()
        return ProcessOutcome(status: process.terminationStatus,
                              stdout: (try? Data(contentsOf: outURL)) ?? Data(),
                              stderr: (try? Data(contentsOf: errURL)) ?? Data())
    }

    /// `sluice ARGUMENTS…` with a deadline.
    static func sluice(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                       directory: String? = nil, timeout: Double = 60) throws -> ProcessOutcome {
        try run(try sluiceExecutable(), arguments, stdin: stdin, environment: environment, directory: directory,
                timeout: timeout)
    }

    /// `b3sum ARGUMENTS…`, which must succeed (exit 0) unless `expectSuccess` is false.
    static func b3sum(_ arguments: [String], stdin: Data? = nil, directory: String? = nil,
                      expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> ProcessOutcome {
        let outcome = try run(try b3sumExecutable(), arguments, stdin: stdin, directory: directory, timeout: 60)
        if expectSuccess {
            XCTAssertEqual(outcome.status, 0, "b3sum failed: \(outcome.stderrText)", file: file, line: line)
        }
        return outcome
    }
}

/// b3sum-format output parsed into (escaped-line-as-printed) pairs, for comparing sorted.
enum ChecksumLines {
    /// `HEX  NAME` lines of `data` (raw, as printed), sorted bytewise.
    static func sortedLines(_ data: Data) -> [String] {
        [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }.sorted()
    }

    /// path → hex digest from b3sum-format output whose names need no escaping.
    static func digests(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> [String: String] {
        var map: [String: String] = [:]
        for text in sortedLines(data) {
            guard let range = text.range(of: "  ") else {
                XCTFail("malformed checksum line: \(text)", file: file, line: line)
                continue
            }
            map[String(text[range.upperBound...])] = String(text[..<range.lowerBound])
        }
        return map
    }
}

extension ChecksumLines {
    /// path bytes → hex digest from b3sum-format output (escaped lines included), parsed with
    /// the b3sum line grammar; a malformed line fails the test.
    static func entries(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> [RawPath: String] {
        var map: [RawPath: String] = [:]
        for text in [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            do {
                let entry = try B3SumFormat.parse(line: text)
                map[entry.path] = entry.digest.map { String(format: "%02x", $0) }.joined()
            } catch {
                XCTFail("malformed checksum line \(String(decoding: text, as: UTF8.self)): \(error)", file: file, line: line)
            }
        }
        return map
    }
}

/// The two compute backends the pipeline tests run on, behind one parameter.
enum TestBackendKind: String, CaseIterable {
    case cpu
    case opencl

    /// A fresh backend; throws `XCTSkip` for OpenCL on a machine without an OpenCL device.
    func make(batchBytes: Int = 4 << 20, workers: Int = 2) throws -> ComputeBackend {
        switch self {
        case .cpu:
            return CPUBackend(isa: CPUVectorISA.active(environment: ProcessInfo.processInfo.environment),
                              workers: workers, batchBytes: batchBytes)
        case .opencl:
            guard let entry = DeviceInventory.current().openCL.first else {
                throw XCTSkip("no OpenCL device on this machine (install PoCL: apt-get install pocl-opencl-icd)")
            }
            return try OpenCLBackend(device: entry.device, warnings: { OpenCLFallbackLog.shared.append($0) })
        }
    }

    /// Whether this backend can run here (OpenCL needs a device).
    var isAvailable: Bool {
        switch self {
        case .cpu: return true
        case .opencl: return DeviceInventory.current().openCL.first != nil
        }
    }
}

/// Warnings the OpenCL backends made by `TestBackendKind.make` raised (a fallback to the CPU
/// would make an "OpenCL" test silently test the CPU backend).
final class OpenCLFallbackLog: @unchecked Sendable {
    static let shared = OpenCLFallbackLog()
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    /// Everything logged so far, emptying the log.
    func drain() -> [String] {
        lock.lock()
        defer { messages.removeAll(); lock.unlock() }
        return messages
    }
}

/// Runs the whole pipeline over `paths` and returns every result plus the summary.
func runPipeline(_ paths: [RawPath], backend: ComputeBackend, catalogOptions: CatalogOptions = CatalogOptions(),
                 _ configure: (inout RunConfiguration) -> Void = { _ in }) throws -> (results: [FileResult], summary: RunSummary) {
    let catalog = try Catalog.build(paths: paths, options: catalogOptions)
    var configuration = RunConfiguration()
    configure(&configuration)
    let sink = CollectingSink()
    _ = OpenCLFallbackLog.shared.drain()
    let summary = try Pipeline(catalog: catalog, backend: backend, configuration: configuration, sink: sink).run()
    if backend is OpenCLBackend {
        XCTAssertTrue(summary.device.hasPrefix("opencl:"), summary.device)
        let warnings = OpenCLFallbackLog.shared.drain()
        XCTAssertEqual(warnings, [], "the OpenCL backend fell back to the CPU")
    }
    return (sink.results, summary)
}

/// `RssFile` of /proc/self/status: the file pages mapped into this process, in KiB.
func residentFileKiB() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
    return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
}

/// Fills `count` bytes from /dev/urandom (fast even in a debug build).
func randomBytes(_ count: Int) -> [UInt8] {
    guard count > 0 else { return [] }
    var bytes = [UInt8](repeating: 0, count: count)
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    precondition(fd >= 0, "cannot open /dev/urandom")
    defer { close(fd) }
    var done = 0
    bytes.withUnsafeMutableBytes { raw in
        while done < count {
            let got = Glibc.read(fd, raw.baseAddress! + done, count - done)
            precondition(got > 0, "read from /dev/urandom failed")
            done += got
        }
    }
    return bytes
}

extension ScratchDirectory {
    /// Writes `count` random bytes at `root/relative`.
    @discardableResult
    func writeRandom(_ relative: String, size count: Int) throws -> RawPath {
        try write(path(relative), randomBytes(count))
    }
}

/// A `sluice` process started in the background, its stdout and stderr in files (or stdout
/// wherever `stdout` points), for tests that act on it while it runs (a signal, a truncation).
final class BackgroundSluice {
    let process = Process()
    /// The files holding its stdout (unless given) and stderr.
    let outputPath: String
    let errorsPath: String
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `sluice ARGUMENTS…` now.
    init(_ arguments: [String], in scratch: ScratchDirectory, name: String = "background", stdout: FileHandle? = nil) throws {
        outputPath = scratch.path("\(name).out").description
        errorsPath = scratch.path("\(name).err").description
        XCTAssertTrue(FileManager.default.createFile(atPath: outputPath, contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: errorsPath, contents: nil))
        process.executableURL = try Subprocess.sluiceExecutable()
        process.arguments = arguments
        process.standardOutput = try stdout ?? XCTUnwrap(FileHandle(forWritingAtPath: outputPath))
        process.standardError = try XCTUnwrap(FileHandle(forWritingAtPath: errorsPath))
        process.terminationHandler = { [finished] _ in finished.signal() }
        try process.run()
    }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit; kills the process and returns false after `seconds`.
    func waitForExit(seconds: Double) -> Bool {
        if finished.wait(timeout: .now() + seconds) == .success { return true }
        send(SIGKILL)
        _ = finished.wait(timeout: .now() + 10)
        return false
    }

    var stdoutText: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var stderrText: String { (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "" }
    var outcome: ProcessOutcome {
        ProcessOutcome(status: process.terminationStatus,
                       stdout: (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data(),
                       stderr: (try? Data(contentsOf: URL(fileURLWithPath: errorsPath))) ?? Data())
    }
}

extension Subprocess {
    /// `setpriv` and the arguments before sluice's own that run it as `nobody` (uid and gid
    /// 65534, no groups), so that permissions bite; skips the test where that cannot be done.
    static func asNobody() throws -> (setpriv: URL, prefix: [String]) {
        guard getuid() == 0 else { throw XCTSkip("needs root to run sluice as nobody via setpriv") }
        let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
        guard FileManager.default.isExecutableFile(atPath: setpriv.path) else { throw XCTSkip("setpriv is not installed") }
        return (setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", try sluiceExecutable().path])
    }
}

/// A test lane around another one: every requirement goes to `inner`; subclasses override what
/// they change (a slower worker, another lane shape, a gate).
class ForwardingLane: ComputeBackend, @unchecked Sendable {
    let inner: ComputeBackend
    init(_ inner: ComputeBackend) { self.inner = inner }
    var deviceName: String { inner.deviceName }
    var workerCount: Int { inner.workerCount }
    var preferredBatchBytes: Int { inner.preferredBatchBytes }
    var isHostCPU: Bool { inner.isHostCPU }
    var providesStaging: Bool { inner.providesStaging }
    var readsLentBytes: Bool { inner.readsLentBytes }
    func makeStagingBuffer(capacity: Int) -> StagingBuffer { inner.makeStagingBuffer(capacity: capacity) }
    func buffersInFlight(bufferBytes: Int) -> Int { inner.buffersInFlight(bufferBytes: bufferBytes) }
    func setOtherLanesRemain(_ others: Bool) { inner.setOtherLanesRemain(others) }
    func supports(_ kernel: any ComputeKernel) -> Bool { inner.supports(kernel) }
    func runWorker(index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>,
                   deliver: (ComputedBatch) -> Void, recycle: (StagingBuffer) -> Void, clock: StageClock) throws {
        try inner.runWorker(index: index, kernel: kernel, batches: batches, deliver: deliver, recycle: recycle, clock: clock)
    }
}

/// A CPU lane slowed down by `delayMicroseconds` per batch, so that a slower lane beside it (PoCL)
/// surely gets work.
final class SlowedCPULane: ForwardingLane, @unchecked Sendable {
    let delayMicroseconds: UInt32
    init(_ inner: CPUBackend, delayMicroseconds: UInt32) {
        self.delayMicroseconds = delayMicroseconds
        super.init(inner)
    }
    override func runWorker(index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>,
                            deliver: (ComputedBatch) -> Void, recycle: (StagingBuffer) -> Void, clock: StageClock) throws {
        let slowed = BoundedQueue<StagingBuffer>(capacity: 1)
        let delay = delayMicroseconds
        let feeder = Thread {
            while let batch = batches.pop() {
                usleep(delay)
                slowed.push(batch)
            }
            slowed.close()
        }
        feeder.start()
        try inner.runWorker(index: index, kernel: kernel, batches: slowed, deliver: deliver, recycle: recycle, clock: clock)
    }
}
