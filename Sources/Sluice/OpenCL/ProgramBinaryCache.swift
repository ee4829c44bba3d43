#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Program binaries kept on disk between processes, so that a device's next process hands the
/// driver its own earlier binary instead of compiling the source again (seconds for PoCL's LLVM
/// in a fresh process, 2–3 s for NVIDIA's first build on a machine).
///
/// One file per program, named by a `Key` that digests everything the binary depends on (the
/// source, the build options, the device, driver and platform, the file format). Writers build
/// the whole file under a temporary name in the same folder, sync it and rename it over the
/// final name, so a reader sees an old entry, a new one or none, never part of one; readers
/// check the header (`ProgramBinaryFile`) before the driver sees a byte.
///
/// Nothing here fails a run: a missing home, a read-only or foreign folder, a full disk or a bad
/// file all mean "no binary", silently, and the caller builds from source as it would without a
/// cache. `SLUICE_PROGRAM_CACHE=0` turns the cache off; `SLUICE_PROGRAM_CACHE_DIR` moves it.
public struct ProgramBinaryCache: Sendable {
    /// What a program's binary depends on, digested: the name of its file.
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        /// The 32-byte BLAKE3 digest.
        public let bytes: [UInt8]

        /// The digest of `fields`, each length-prefixed so that no two lists give the same input.
        public init(fields: [String]) {
            var input: [UInt8] = []
            for field in fields {
                let utf8 = Array(field.utf8)
                withUnsafeBytes(of: UInt64(utf8.count).littleEndian) { input += $0 }
                input += utf8
            }
            bytes = ProgramBinaryFile.digest(of: input)
        }

        /// The digest in lowercase hexadecimal (64 characters).
        public var description: String { Hex.lowercase(bytes) }
    }

    /// The folder holding the entries (created on the first store, mode 0700).
    public let folder: String

    /// A cache in `folder`.
    public init(folder: String) {
        self.folder = folder
    }

    /// The cache `environment` asks for: nil when `SLUICE_PROGRAM_CACHE` is `0`, `off`, `no` or
    /// `false`, or when there is no folder to use; else the folder `SLUICE_PROGRAM_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/sluice/programs` or `$HOME/.cache/sluice/programs`, the first that is set.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ProgramBinaryCache? {
        if let switchValue = environment["SLUICE_PROGRAM_CACHE"],
           ["0", "off", "no", "false"].contains(switchValue.lowercased()) { return nil }
        if let folder = environment["SLUICE_PROGRAM_CACHE_DIR"], !folder.isEmpty {
            return ProgramBinaryCache(folder: folder)
        }
        // XDG allows only absolute paths; a relative one is ignored, as the specification says.
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return ProgramBinaryCache(folder: xdg + "/sluice/programs")
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return ProgramBinaryCache(folder: home + "/.cache/sluice/programs")
        }
        return nil
    }

    /// The key of `source` built with `options` for `device`, or nil if the device cannot be
    /// asked what the key needs (then nothing is cached).
    public func key(source: String, options: String, device: Device) -> Key? {
        guard let name = try? device.name, let vendor = try? device.vendor,
              let driver = try? device.driverVersion, let version = try? device.version,
              let platformName = try? device.platform.name,
              let platformVersion = try? device.platform.version else { return nil }
        return Key(fields: [
            "sluice program binary", String(ProgramBinaryFile.formatVersion), source, options,
            name, vendor, driver, version, platformName, platformVersion,
        ])
    }

    /// Where the entry for `key` lives.
    public func path(for key: Key) -> String {
        folder + "/" + key.description + ".bin"
    }

    /// The binary stored for `key`, or nil if there is none or the file is not a whole, intact
    /// entry for this key.
    public func load(_ key: Key) -> [UInt8]? {
        guard folderIsTrusted() else { return nil }
        let fd = path(for: key).withCString { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
              status.st_size > ProgramBinaryFile.headerLength,
              status.st_size <= ProgramBinaryFile.headerLength + ProgramBinaryFile.maxBinaryLength else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        let complete = bytes.withUnsafeMutableBytes { buffer -> Bool in
            var done = 0
            while done < buffer.count {
                let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return false }
                done += got
            }
            return true
        }
        guard complete else { return nil }
        return ProgramBinaryFile.decode(bytes, key: key)
    }

    /// Stores `binary` as the entry for `key`, replacing any earlier one atomically. Returns
    /// whether it was stored; a failure (no folder, read-only, full disk) leaves no file behind
    /// and is not an error: the next process compiles again.
    @discardableResult
    public func store(_ binary: [UInt8], for key: Key) -> Bool {
        guard !binary.isEmpty, binary.count <= ProgramBinaryFile.maxBinaryLength, makeFolder() else { return false }
        var template = Array((folder + "/." + key.description + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return false }
        let temporary = String(cString: template)
        let contents = ProgramBinaryFile.encode(binary: binary, key: key)
        let written = contents.withUnsafeBytes { buffer -> Bool in
            var done = 0
            while done < buffer.count {
                let put = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if put < 0 && errno == EINTR { continue }
                guard put > 0 else { return false }
                done += put
            }
            return true
        }
        // The data must be on disk before the name is: after a crash the entry is whole or absent.
        let synced = written && fsync(fd) == 0
        let closed = close(fd) == 0
        guard synced, closed, rename(temporary, path(for: key)) == 0 else {
            unlink(temporary)
            return false
        }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
        return true
    }

    /// Whether the folder (or the folder a link names) is one only this user can write to.
    /// Entries are code the driver will run, so a folder another user could plant files in is
    /// not read (nor written).
    private func folderIsTrusted() -> Bool {
        var status = stat()
        guard stat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { return false }
        return status.st_uid == geteuid() && (status.st_mode & (S_IWGRP | S_IWOTH)) == 0
    }

    /// Creates the folder and its missing parents (mode 0700) and checks it is trusted.
    private func makeFolder() -> Bool {
        if folderIsTrusted() { return true }
        var prefix = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return false }
        }
        return folderIsTrusted()
    }
}
