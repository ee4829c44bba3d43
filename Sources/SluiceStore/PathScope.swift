import Sluice

/// The stored paths a command's PATHS cover: each path named, and every path below it (as the
/// walk prints them: `tree` covers `tree` and `tree/…`, `.` covers `./…`). Stored paths are
/// compared as they were printed, so a store is audited or updated from the folder, and with
/// the same spelling of PATHS, as the run that wrote it (or with absolute paths).
public struct PathScope: Sendable {
    private let prefixes: [[UInt8]]

    public init(roots: [RawPath]) {
        prefixes = roots.map { root in
            var bytes = root.bytes
            while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
            return bytes
        }
    }

    /// Whether `path` is one of the roots or below one.
    public func contains(_ path: RawPath) -> Bool {
        prefixes.contains { prefix in
            path.bytes == prefix || (path.bytes.count > prefix.count && path.bytes.starts(with: prefix)
                && (prefix.last == UInt8(ascii: "/") || path.bytes[prefix.count] == UInt8(ascii: "/")))
        }
    }
}
