import Foundation
import XCTest
@testable import Sluice

/// A temporary directory for one test, removed (with everything in it) when released.
/// Paths are handled as bytes so that tests can create names that are not UTF-8.
final class ScratchDirectory {
    /// The directory's absolute path, without a trailing slash.
    let root: RawPath

    init() throws {
        var template = Array("/tmp/sluice-test-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw SystemCallError.current("mkdtemp")
        }
        root = RawPath(bytes: template.dropLast().map { UInt8(bitPattern: $0) })
    }

    deinit {
        let remover = Process()
        remover.executableURL = URL(fileURLWithPath: "/bin/rm")
        remover.arguments = ["-rf", root.description]
        try? remover.run()
        remover.waitUntilExit()
    }

    /// `root/relative`.
    func path(_ relative: String) -> RawPath { root.appending(Array(relative.utf8)) }
    /// `root/relative` for a name given as raw bytes.
    func path(bytes relative: [UInt8]) -> RawPath { root.appending(relative) }

    /// Creates (or replaces) a regular file with `bytes`, creating missing parent directories.
    @discardableResult
    func write(_ path: RawPath, _ bytes: [UInt8]) throws -> RawPath {
        if let slash = path.bytes.lastIndex(of: 0x2F), slash > root.bytes.count {
            let parent = RawPath(bytes: path.bytes[..<slash])
            var probe = stat()
            if parent.withCString({ lstat($0, &probe) }) != 0 {
                try FileManager.default.createDirectory(atPath: parent.description, withIntermediateDirectories: true)
            }
        }
        let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw SystemCallError.current("open") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SystemCallError.current("write") }
        return path
    }

    /// Creates a regular file of `size` bytes filled with a position-dependent pattern.
    @discardableResult
    func write(_ relative: String, size: Int) throws -> RawPath {
        try write(path(relative), ScratchDirectory.pattern(size))
    }

    /// Creates a directory (and its parents).
    @discardableResult
    func makeDirectory(_ relative: String) throws -> RawPath {
        let target = path(relative)
        try FileManager.default.createDirectory(atPath: target.description, withIntermediateDirectories: true)
        return target
    }

    /// Creates a symbolic link at `relative` pointing to `target` (taken literally).
    @discardableResult
    func symlink(_ relative: String, to target: String) throws -> RawPath {
        let link = path(relative)
        let rc = link.withCString { Glibc.symlink(target, $0) }
        guard rc == 0 else { throw SystemCallError.current("symlink") }
        return link
    }

    /// Creates a FIFO.
    @discardableResult
    func makeFIFO(_ relative: String) throws -> RawPath {
        let fifo = path(relative)
        guard fifo.withCString({ mkfifo($0, 0o644) }) == 0 else { throw SystemCallError.current("mkfifo") }
        return fifo
    }

    /// Creates a bound Unix-domain socket; returns its descriptor (close it when done).
    func makeSocket(_ relative: String) throws -> Int32 {
        let socketPath = path(relative).bytes
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError.current("socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (offset, byte) in socketPath.prefix(raw.count - 1).enumerated() { raw[offset] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { close(fd); throw SystemCallError.current("bind") }
        return fd
    }

    /// Bytes whose value depends on their position, so misplaced reads show.
    static func pattern(_ size: Int, seed: UInt32 = 0) -> [UInt8] {
        (0 ..< size).map { UInt8(truncatingIfNeeded: (UInt32($0) &* 2_654_435_761 &+ seed) >> 13) }
    }
}

/// Carries a result from a background thread to the waiting test (written before the semaphore
/// is signalled, read after).
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// Runs `body` on a background thread and fails the test if it has not returned within
/// `seconds` (a blocked open of a FIFO would hang forever); returns its result.
func withDeadline<T>(seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line,
                     _ body: @escaping @Sendable () throws -> T) -> T? {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.result = Result { try body() }
        done.signal()
    }
    thread.start()
    guard done.wait(timeout: .now() + seconds) == .success else {
        XCTFail("did not finish within \(seconds) s (blocked?)", file: file, line: line)
        return nil
    }
    switch box.result! {
    case .success(let value): return value
    case .failure(let error):
        XCTFail("threw \(error)", file: file, line: line)
        return nil
    }
}

extension Catalog {
    /// `build` with options set up by `configure`.
    static func build(_ paths: [RawPath], _ configure: (inout CatalogOptions) -> Void = { _ in }) throws -> Catalog {
        var options = CatalogOptions()
        configure(&options)
        return try build(paths: paths, options: options)
    }
}
