/// Which BLAKE3 function to compute, and how many output bytes: b3sum's `--keyed`,
/// `--derive-key` and `--length`.
public struct BLAKE3Mode: Sendable, Hashable {
    /// The 8 key words every compression starts from (the IV for plain hashing).
    public var keyWords: [UInt32]
    /// KEYED_HASH, DERIVE_KEY_MATERIAL or no flag.
    public var flags: BLAKE3Reference.Flags
    /// Output bytes per file (32 by default; more is the extendable output).
    public var outputLength: Int

    /// Plain hashing.
    public static func hash(outputLength: Int = 32) -> BLAKE3Mode {
        BLAKE3Mode(keyWords: BLAKE3Reference.iv, flags: [], outputLength: outputLength)
    }

    /// Keyed hashing with a 32-byte key.
    public static func keyed(key: [UInt8], outputLength: Int = 32) throws -> BLAKE3Mode {
        guard key.count == 32 else { throw BLAKE3ModeError.keyLength(key.count) }
        return BLAKE3Mode(keyWords: BLAKE3Reference.keyWords(key), flags: .keyedHash, outputLength: outputLength)
    }

    /// Key derivation: the context string picks the key, the file is the key material.
    public static func deriveKey(context: String, outputLength: Int = 32) -> BLAKE3Mode {
        BLAKE3Mode(keyWords: BLAKE3Reference.deriveKeyContextKey(context: context), flags: .deriveKeyMaterial,
                   outputLength: outputLength)
    }

    /// A short name for results and statistics.
    public var name: String {
        if flags.contains(.keyedHash) { return "keyed" }
        if flags.contains(.deriveKeyMaterial) { return "derive-key" }
        return "hash"
    }
}

/// A BLAKE3 option that cannot be used.
public enum BLAKE3ModeError: Error, CustomStringConvertible {
    case keyLength(Int)

    public var description: String {
        switch self {
        case .keyLength(let count): return "a BLAKE3 key must be exactly 32 bytes (got \(count))"
        }
    }
}
