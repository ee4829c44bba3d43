/// A file path as the exact bytes the kernel gave or took (Linux names need not be UTF-8).
///
/// Every path in sluice travels as bytes so that output and `check` can round-trip
/// any name; `description` is only for humans (invalid UTF-8 shown as U+FFFD, as b3sum does).
public struct RawPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL.
    public var bytes: [UInt8]

    /// Wraps raw bytes.
    public init<S: Sequence>(bytes: S) where S.Element == UInt8 { self.bytes = Array(bytes) }

    /// A path from a Swift string (UTF-8).
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// Whether the bytes are valid UTF-8.
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// The path decoded as UTF-8, with U+FFFD for invalid sequences.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// `self` followed by `/` and `component` (no separator doubled).
    public func appending(_ component: [UInt8]) -> RawPath {
        var result = bytes
        if let last = result.last, last != UInt8(ascii: "/") { result.append(UInt8(ascii: "/")) }
        result.append(contentsOf: component)
        return RawPath(bytes: result)
    }

    /// Calls `body` with a NUL-terminated C string of the path.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var terminated = bytes
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    public static func < (lhs: RawPath, rhs: RawPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
