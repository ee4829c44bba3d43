#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one listed file, checking that it is still the file the catalog saw.
///
/// Use: `init` (opens and checks identity), any number of `read(into:at:)` calls within the
/// listed size, then `finish()` (checks nothing changed, closes). Every failure is a
/// `FileProblem` for this file alone; none is a crash. Between `init` and `finish()`, several
/// threads may call `read(into:at:)` at once for disjoint ranges (ranges of one large file read
/// by several readers); `finish()` is called once, after every read returned.
public final class FileReader: @unchecked Sendable {
    /// Files of at least this many bytes are mapped under `.automatic`; smaller ones are read
    /// with `pread`. Measured with ranges of one file read by several readers through one shared
    /// mapping released behind each copy (2-core AMD EPYC, hot cache, release build, `--device
    /// cpu`): `pread` won at every size — huge (2 × 1 GiB) 0.71–0.81 s against 0.88–0.95 s mapped,
    /// std8k 0.42–0.55 s against 0.50–0.60 s (the mapping pays a page fault per 64 KiB and a TLB
    /// flush per release). So `.automatic` reads everything with `pread`; `--read mmap` still maps.
    /// Set it once, before readers are created.
    nonisolated(unsafe) public static var mmapThreshold: UInt64 = .max

    /// The file as listed; for a job listed with `statusAtOpen`, as the `fstat` at open found it
    /// (its size, mtime and identity, `statusAtOpen` false): what is read and checked at `finish()`.
    public let job: FileJob
    /// The strategy in use: `.pread` or `.mmap`, never `.automatic` (a refused or 0-byte
    /// mapping shows as `.pread`).
    public let strategy: ReadStrategy

    /// The file's length in bytes: `job.size`, except for a file read to its end when opened
    /// (see `readsToEnd`), whose length is what that read found.
    public let size: UInt64
    /// Whether the file was read to its end when opened because its listed size is not its
    /// length (files of procfs, sysfs and the like; a 0-byte file that has bytes). Its bytes
    /// are then served from memory, and `finish()` checks only that it is the same file.
    public var readsToEnd: Bool { contents != nil }
    /// Most bytes read to the end of such a file; a longer one is refused, not truncated.
    nonisolated(unsafe) public static var readToEndLimit = 64 << 20

    /// The open descriptor, -1 once closed.
    private var fd: Int32
    /// Identity checked only at `finish()` (see `init`).
    private let checksOnlyAtFinish: Bool
    private var mapping: FileMapping?
    /// The bytes of a file read to its end when opened.
    private var contents: [UInt8]?

    /// Opens `job.path` read-only without blocking (`O_NONBLOCK`: a FIFO put in the file's place
    /// cannot stall the reader), without updating the access time when allowed, and checks it is
    /// a regular file with the listed device, inode, size and mtime.
    ///
    /// - Parameters:
    ///   - strategy: `.automatic` picks by `mmapThreshold`.
    ///   - adviseWillNeed: ask the kernel to start reading the whole file now
    ///     (`posix_fadvise(WILLNEED)`), for files queued next.
    ///   - inPlace: map the file so that its bytes are hashed where they are (`lend(_:)`), not
    ///     copied; when the mapping is refused, the file is read with `pread` (`readsInPlace` says which).
    ///   - checksOnlyAtFinish: skip the `fstat` after `open`: `finish()` (and a failed read) checks
    ///     identity, size and mtime against the listing once, after the bytes were read. One
    ///     system call less per file, for a file read whole by one `pread` (measured on 20 000
    ///     files of 4 KiB: 3–18% less CPU, within the noise of the shared machine). Bytes read
    ///     from a file put in the listed one's place are never used: that file fails at `finish()`.
    /// - Throws: `.vanished` when the path is gone, `.skipped` when it is no longer a regular
    ///   file, `.changed` when it is another file or was modified since listing, `.error` for
    ///   anything else (e.g. "Permission denied (open)").
    public convenience init(job: FileJob, strategy: ReadStrategy = .automatic, adviseWillNeed: Bool = false,
                            inPlace: Bool = false, checksOnlyAtFinish: Bool = false) throws(FileProblem) {
        try self.init(job: job, strategy: strategy, checksOnlyAtFinish: checksOnlyAtFinish) { _ in
            Choice(adviseWillNeed: adviseWillNeed, inPlace: inPlace)
        }
    }

    /// How to read a file, chosen once its size is known.
    struct Choice {
        /// `posix_fadvise(WILLNEED)` now (see `init`).
        var adviseWillNeed: Bool
        /// Map the file to lend its bytes (see `init`).
        var inPlace: Bool
    }

    /// As `init(job:strategy:adviseWillNeed:inPlace:checksOnlyAtFinish:)`, with the choices made
    /// by `choose` from the file as it is read: the listed job, or for a job listed with
    /// `statusAtOpen` the one the `fstat` after `open` found (it is then always made, whatever
    /// `checksOnlyAtFinish` says, and the file must be a regular one; its size may make it a
    /// file to map in place).
    /// `directory`, when given, opens the file relative to its folder (`ParentDirectory`).
    init(job listed: FileJob, strategy: ReadStrategy = .automatic, checksOnlyAtFinish: Bool = false,
         directory: ParentDirectory? = nil, choose: (FileJob) -> Choice) throws(FileProblem) {
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY
        func open(_ flags: Int32) throws(SystemCallError) -> Int32 {
            if let directory { return try directory.open(listed.path, flags: flags) }
            return try SystemCall.open(listed.path, flags: flags)
        }
        do {
            do {
                fd = try open(flags | openNoAccessTime)
            } catch where error.code == EPERM {
                // O_NOATIME is allowed only to the file's owner (or CAP_FOWNER).
                fd = try open(flags)
            }
        } catch {
            throw error.problem(for: listed.path)
        }

        var job = listed
        self.checksOnlyAtFinish = checksOnlyAtFinish && !listed.statusAtOpen
        if !self.checksOnlyAtFinish {
            let status: FileStatus
            do {
                status = try SystemCall.status(of: fd)
            } catch {
                SystemCall.close(fd)
                throw error.problem(for: listed.path)
            }
            if listed.statusAtOpen {
                // Nothing was taken of it when listed: the file as opened is the one read.
                job = FileJob(index: listed.index, path: listed.path, size: status.size, mtimeNanoseconds: status.mtimeNanoseconds,
                              device: status.device, inode: status.inode)
            }
            if let problem = FileReader.mismatch(status, job, since: "since it was listed") {
                SystemCall.close(fd)
                throw problem
            }
        }
        self.job = job
        let choice = choose(job)
        let inPlace = choice.inPlace
        let adviseWillNeed = choice.adviseWillNeed

        // A file whose listed size is not its length (procfs says 0, sysfs 4096) is read to its
        // end now, as b3sum does, and served from memory; so is a 0-byte file that turns out
        // to have bytes (one extra read per empty file).
        if job.size == 0 || PseudoFileSystems.holds(device: job.device, fd: fd) {
            let fd = fd
            do {
                let bytes = try FileReader.readToEnd(fd, path: job.path)
                if !bytes.isEmpty || job.size != 0 { contents = bytes }
            } catch {
                SystemCall.close(fd)
                throw error
            }
        }
        size = contents.map { UInt64($0.count) } ?? job.size

        let wantsMapping = switch strategy {
        case _ where inPlace: true
        case .automatic: job.size >= FileReader.mmapThreshold
        case .mmap: true
        case .pread: false
        }
        mapping = wantsMapping && contents == nil ? FileMapping(fd: fd, length: job.size, inPlace: inPlace) : nil
        self.strategy = mapping == nil ? .pread : .mmap
        if adviseWillNeed, contents == nil, job.size > 0 {
            // Advice only; its failure changes nothing but speed.
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
        }
    }

    /// Fills all of `destination` with the file's bytes from `offset`.
    ///
    /// `offset + destination.count` must not exceed `size` (the bytes the catalog listed, or
    /// those a read to the end found). Short reads and `EINTR` are retried.
    /// - Throws: `.changed` "file shrank while being read" when the file ends early (end of
    ///   file on `pread`, SIGBUS on the mapping); `.error` for I/O errors such as EIO.
    public func read(into destination: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(FileProblem) {
        guard fd >= 0 else {
            throw FileProblem(path: job.path, kind: .error, message: "read after finish")
        }
        let (end, overflow) = offset.addingReportingOverflow(UInt64(destination.count))
        guard !overflow, end <= size else {
            throw FileProblem(path: job.path, kind: .error,
                              message: "read of \(destination.count) bytes at \(offset) is past the listed size \(size)")
        }
        guard destination.count > 0 else { return }
        if let contents {
            contents.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset) ..< Int(end)]))
            }
            return
        }
        if let mapping {
            switch mapping.copy(into: destination, at: Int(offset)) {
            case .copied:
                return
            case .shrank:
                throw FileProblem(path: job.path, kind: .changed, message: "file shrank while being read (SIGBUS on the mapping)")
            }
        }
        var done = 0
        while done < destination.count {
            let count = Glibc.pread(fd, destination.baseAddress! + done, destination.count - done, off_t(offset) + off_t(done))
            if count > 0 {
                done += count
            } else if count == 0 {
                throw identityProblem() ?? FileProblem(path: job.path, kind: .changed, message: "file shrank while being read")
            } else if errno != EINTR {
                let failure = FileProblem(path: job.path, kind: .error, message: SystemCallError.current("pread").description)
                throw identityProblem() ?? failure
            }
        }
    }

    /// Whether the file is mapped to be read in place (`lend(_:)`).
    public var readsInPlace: Bool { mapping?.inPlace == true }

    /// The bytes of `range`, where they lie in the file's mapping, for a reader that
    /// `readsInPlace`; their pages are mapped in now. Until `giveBack(_:)`, a SIGBUS while they
    /// are read means the file shrank: the read sees zeros and `shrankWhileLent` turns true.
    /// - Throws: `.changed` when the range is already past the end of the file.
    public func lend(_ range: Range<UInt64>) throws(FileProblem) -> UnsafeRawPointer {
        guard let mapping, mapping.inPlace, fd >= 0, range.upperBound <= size else {
            throw FileProblem(path: job.path, kind: .error, message: "lend of \(range) from a file not mapped in place")
        }
        let bytes = Int(range.lowerBound) ..< Int(range.upperBound)
        guard mapping.populate(bytes), !mapping.faulted else {
            throw FileProblem(path: job.path, kind: .changed, message: "file shrank while being read")
        }
        return mapping.bytes(at: bytes.lowerBound)
    }

    /// Whether a read of lent bytes touched a page the file no longer had (SIGBUS): what was
    /// computed from them is wrong, and the file changed.
    public var shrankWhileLent: Bool { mapping?.faulted == true }

    /// Ends the loan of `range`: its pages leave this process's page tables (RSS stays flat).
    public func giveBack(_ range: Range<UInt64>) {
        mapping?.release(Int(range.lowerBound) ..< Int(range.upperBound))
    }

    /// Checks that the file still has the listed size and mtime (so what was read is what was
    /// listed, and nothing was appended), then closes it. Closes even when it throws; a second
    /// call does nothing.
    /// - Throws: `.changed` "file changed while being read", or `.error` if `fstat` fails.
    public func finish() throws(FileProblem) {
        guard fd >= 0 else { return }
        defer { close() }
        let status: FileStatus
        do {
            status = try SystemCall.status(of: fd)
        } catch {
            throw error.problem(for: job.path)
        }
        let since = checksOnlyAtFinish ? "since it was listed" : "while being read"
        if let problem = FileReader.mismatch(status, job, since: since, checkContents: contents == nil) {
            throw problem
        }
    }

    /// For a reader that `checksOnlyAtFinish`, after a read failed: what the open file is if it
    /// is not the listed one (another file, not a regular file), which says more than the failure.
    private func identityProblem() -> FileProblem? {
        guard checksOnlyAtFinish, let status = try? SystemCall.status(of: fd) else { return nil }
        return FileReader.mismatch(status, job, since: "since it was listed", checkContents: false)
    }

    /// Every byte of `fd` (just opened) to its end, at most `readToEndLimit`. `read`, not
    /// `pread`: some of these files cannot seek.
    private static func readToEnd(_ fd: Int32, path: RawPath) throws(FileProblem) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count > 0 {
                bytes += chunk[0 ..< count]
                if bytes.count > readToEndLimit {
                    throw FileProblem(path: path, kind: .error, message: "its listed size is not its length and it is "
                                      + "longer than \(RunSummary.formatBytes(UInt64(readToEndLimit))), the most sluice reads of such a file")
                }
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw FileProblem(path: path, kind: .error, message: SystemCallError.current("read").description)
            }
        }
    }

    /// The problem when `status` (of an open descriptor) is not the listed file unchanged.
    /// `checkContents` false checks only type and identity (a file read to its end, whose
    /// listed size and mtime say nothing about its bytes).
    private static func mismatch(_ status: FileStatus, _ job: FileJob, since: String,
                                 checkContents: Bool = true) -> FileProblem? {
        if status.type != .regular {
            return FileProblem(path: job.path, kind: .skipped, message: status.notRegularMessage)
        }
        if status.device != job.device || status.inode != job.inode {
            return FileProblem(path: job.path, kind: .changed, message: "file replaced \(since)")
        }
        if checkContents && (status.size != job.size || status.mtimeNanoseconds != job.mtimeNanoseconds) {
            return FileProblem(path: job.path, kind: .changed, message: "file changed \(since)")
        }
        return nil
    }

    private func close() {
        mapping = nil
        contents = nil
        if fd >= 0 {
            SystemCall.close(fd)
            fd = -1
        }
    }

    deinit {
        close()
    }
}
