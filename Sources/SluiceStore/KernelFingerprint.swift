import Sluice

/// What makes two results of one file comparable: the kernel's name and its parameters, as
/// one short text (`blake3 length=32 mode=hash`, `entropy frame_size=1048576`). A keyed or
/// derive-key BLAKE3 run adds `key=` and 16 hex digits of a one-way hash of its key words, so
/// results under different keys never mix, and the key itself is never stored.
public struct KernelFingerprint: Sendable, Equatable, CustomStringConvertible {
    /// The text stored in `results.fingerprint` and `runs.fingerprint`.
    public var text: String
    /// The kernel's name.
    public var kernel: String
    /// Its parameters (its JSONL run members), as stored in `runs.parameters`.
    public var parameters: [JSONMember]

    /// The fingerprint of `kernel` as a run uses it.
    public init(_ kernel: any ComputeKernel) {
        self.kernel = kernel.name
        parameters = kernel.runMembers
        var fields = parameters.map { member -> String in
            var value: [UInt8] = []
            member.value.append(to: &value)
            return member.key + "=" + String(decoding: value, as: UTF8.self).replacingOccurrences(of: "\"", with: "")
        }
        if let blake3 = kernel as? BLAKE3Kernel, !blake3.mode.flags.isEmpty {
            fields.append("key=" + Self.keyFingerprint(blake3.mode.keyWords))
        }
        text = ([kernel.name] + fields.sorted()).joined(separator: " ")
    }

    public var description: String { text }

    /// 8 bytes (16 hex digits) of BLAKE3 in derive-key mode over the key words: the same for
    /// the same key, and no way back to it.
    static func keyFingerprint(_ keyWords: [UInt32]) -> String {
        let bytes = keyWords.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        let context = BLAKE3Reference.deriveKeyContextKey(context: "sluice results store 2026 key fingerprint")
        return Hex.lowercase(BLAKE3Reference.hash(bytes, key: context, flags: .deriveKeyMaterial, length: 8))
    }
}
