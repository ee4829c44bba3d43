import Foundation
import Sluice

/// The results file of `run -o FILE`, replaced atomically: the results go to a new file beside
/// FILE (same folder, so same file system), which is synced and renamed over FILE only once the
/// run is over, so a reader of FILE sees the old list or the new one, never half of one, and a
/// run that is interrupted or cannot write leaves FILE as it was.
///
/// Both the new file and an existing FILE are left out of the walk (`excludedFiles`): a sums
/// file written inside the tree it lists is not one of its own entries.
final class ResultsFile {
    let path: RawPath
    private let temporaryPath: RawPath
    /// The descriptor the results are written to.
    let fd: Int32
    /// The files the walk must not list.
    let excludedFiles: Set<FileIdentity>
    private var closed = false

    /// Creates the new file (`.NAME.sluice-XXXXXX` beside `path`).
    /// - Throws: `SetupError` (exit 2) naming the path and the reason.
    init(replacing path: RawPath) throws {
        self.path = path
        let slash = path.bytes.lastIndex(of: UInt8(ascii: "/"))
        let folder = slash.map { Array(path.bytes[...$0]) } ?? []
        let name = slash.map { Array(path.bytes[path.bytes.index(after: $0)...]) } ?? path.bytes
        guard !name.isEmpty else { throw SetupError("cannot write -o \(path): it names a folder, not a file") }
        var template = folder + Array(".".utf8) + name + Array(".sluice-XXXXXX".utf8) + [0]
        let fd = template.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkstemp($0.baseAddress!) }
        }
        guard fd >= 0 else { throw SetupError("cannot write -o \(path): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = fd
        temporaryPath = RawPath(bytes: template.dropLast())
        InterruptFlag.removeOnAbruptExit(temporaryPath)
        var excluded: Set<FileIdentity> = []
        var raw = stat()
        if fstat(fd, &raw) == 0 { excluded.insert(FileIdentity(device: UInt64(raw.st_dev), inode: UInt64(raw.st_ino))) }
        if let existing = FileIdentity(path: path) { excluded.insert(existing) }
        excludedFiles = excluded
    }

    /// Makes the new file FILE: synced, given the mode a new file would get (0666 less the
    /// umask), and renamed over FILE.
    /// - Throws: `OutputError` (exit 3) when any step fails; the new file is then removed.
    func commit() throws {
        let mask = umask(0)
        umask(mask)
        let synced = fchmod(fd, 0o666 & ~mask) == 0 && fsync(fd) == 0
        let reason = synced ? nil : String(cString: strerror(errno))
        closeOnce()
        if let reason {
            discardFile()
            throw OutputError(message: "cannot write -o \(path): \(reason)")
        }
        let renamed = temporaryPath.withCString { from in path.withCString { to in rename(from, to) } } == 0
        if !renamed {
            let reason = String(cString: strerror(errno))
            discardFile()
            throw OutputError(message: "cannot write -o \(path): \(reason) (rename)")
        }
    }

    /// Removes the new file, leaving FILE as it was.
    func discard() {
        closeOnce()
        discardFile()
    }

    private func closeOnce() {
        guard !closed else { return }
        InterruptFlag.removeOnAbruptExit(nil)
        closed = true
        close(fd)
    }

    private func discardFile() {
        _ = temporaryPath.withCString { unlink($0) }
    }
}
