/// One of `count` disjoint parts of a catalog (`--shard K/N`, K zero-based).
///
/// A path belongs to shard `fnv1a64(path bytes) % count`. The hash is FNV-1a (64-bit) over the
/// path exactly as printed, so it is stable across runs, machines and Swift versions (unlike
/// `Hasher`), and N copies given the same arguments from the same working directory split the
/// files into parts whose union is the whole catalog. Problems are sharded the same way, so
/// each one is reported by exactly one shard.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// This part's number, `0 ..< count`.
    public let index: Int
    /// How many parts there are, at least 1.
    public let count: Int

    /// A shard; `nil` unless `count >= 1` and `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
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
        Int(Shard.fnv1a64(path.bytes) % UInt64(count)) == index
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
