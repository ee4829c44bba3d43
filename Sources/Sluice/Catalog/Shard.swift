#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One of `count` disjoint parts of a catalog (`--shard K/N`, K zero-based).
///
/// A file belongs to shard `fnv1a64(key) % count`, where the key is its path made absolute and
/// lexically normal: joined to the working directory when relative, with `.` components, empty
/// components (`//`) and `..` (with the component before it) removed; symbolic links are not
/// resolved. So `--shard 0/3 .`, `--shard 0/3 d00 d01 …` and `--shard 0/3 /data` from `/data`
/// pick the same files, and N copies that see the tree at the same absolute path split it into
/// parts whose union is the whole catalog, whatever arguments each was given. FNV-1a (64-bit) is
/// stable across runs, machines and Swift versions (unlike `Hasher`). Problems are sharded the
/// same way, so each one is reported by exactly one shard.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// This part's number, `0 ..< count`.
    public let index: Int
    /// How many parts there are, at least 1.
    public let count: Int

    /// The working directory relative paths are keyed from (taken when the shard is made).
    private let workingDirectory: [UInt8]

    /// A shard; `nil` unless `count >= 1` and `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
        workingDirectory = Self.currentDirectory()
    }

    /// Parses `K/N`, e.g. `3/8`; `nil` when malformed or out of range.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }

    /// Whether `path` falls into this shard.
    public func contains(_ path: RawPath) -> Bool {
        count == 1 || Int(Shard.fnv1a64(Shard.key(of: path, from: workingDirectory)) % UInt64(count)) == index
    }

    /// The bytes a path is sharded by: absolute and lexically normal (see the type's note).
    public static func key(of path: RawPath, from workingDirectory: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let full = path.bytes.first == slash ? path.bytes : workingDirectory + [slash] + path.bytes
        var components: [ArraySlice<UInt8>] = []
        for component in full.split(separator: slash, omittingEmptySubsequences: true) {
            if component.elementsEqual([UInt8(ascii: ".")]) { continue }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = components.popLast()
                continue
            }
            components.append(component)
        }
        var key: [UInt8] = []
        for component in components {
            key.append(slash)
            key += component
        }
        return key.isEmpty ? [slash] : key
    }

    /// `getcwd`, or `/` when it cannot be had.
    private static func currentDirectory() -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return [UInt8(ascii: "/")] }
        return buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    }

    /// The 64-bit FNV-1a hash of `bytes` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
    public static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
