import Foundation

/// One line of `--format jsonl`: the result of one file, the schema docs/cli.md describes.
///
/// Every line carries `schema` (`FileRecord.schemaVersion`), so consumers can tell versions
/// apart; a field is only ever added under the same version, and a change of meaning raises it.
public struct FileRecord: Codable, Sendable, Equatable {
    /// The version of this schema.
    public static let schemaVersion = 1

    public var schema: Int
    /// The path as UTF-8 (U+FFFD for bytes that are not).
    public var path: String
    /// The path's exact bytes in base64, only when they are not UTF-8.
    public var pathBase64: String?
    /// Bytes computed over; for a failed file its size as listed. Absent when not known (a
    /// problem found while listing, before the file's size was read).
    public var size: UInt64?
    /// The kernel (`blake3`, `histogram`, `entropy`, `stats`).
    public var kernel: String
    /// The lanes as known when the run started, joined by `+`.
    public var device: String
    /// `ok`, or why there is no output: `error`, `changed`, `vanished`, `skipped`.
    public var status: String
    /// What went wrong, when `status` is not `ok`.
    public var error: String?
    /// The kernel's fields, sorted by key: its parameters (BLAKE3's `mode` and `length`, on every
    /// line) and, when `status` is `ok`, its output (`digest`; figures). docs/kernels.md lists
    /// them per kernel.
    public var members: [JSONMember]

    /// A kernel field's value.
    public subscript(member key: String) -> JSONValue? { members.first { $0.key == key }?.value }
    /// BLAKE3's function: `hash`, `keyed` or `derive-key`.
    public var mode: String? { if case .string(let mode)? = self[member: "mode"] { mode } else { nil } }
    /// BLAKE3's output bytes per digest (`--length`).
    public var length: Int? { if case .integer(let length)? = self[member: "length"] { Int(length) } else { nil } }
    /// The digest in lowercase hex, when the kernel computes one and `status` is `ok`.
    public var digest: String? { if case .string(let digest)? = self[member: "digest"] { digest } else { nil } }

    /// The record's own keys; a kernel's members use other names.
    static let ownKeys: Set<String> = ["schema", "path", "path_base64", "size", "kernel", "device", "status", "error"]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schema, forKey: Key("schema"))
        try container.encode(path, forKey: Key("path"))
        try container.encodeIfPresent(pathBase64, forKey: Key("path_base64"))
        try container.encodeIfPresent(size, forKey: Key("size"))
        try container.encode(kernel, forKey: Key("kernel"))
        try container.encode(device, forKey: Key("device"))
        try container.encode(status, forKey: Key("status"))
        try container.encodeIfPresent(error, forKey: Key("error"))
        for member in members {
            let key = Key(member.key)
            switch member.value {
            case .string(let text): try container.encode(text, forKey: key)
            case .integer(let value): try container.encode(value, forKey: key)
            case .unsigned(let value): try container.encode(value, forKey: key)
            case .number(let value) where value.isNaN: try container.encode("nan", forKey: key)
            case .number(let value) where value.isInfinite: try container.encode(value < 0 ? "-inf" : "inf", forKey: key)
            case .number(let value): try container.encode(value, forKey: key)
            case .unsignedArray(let values): try container.encode(values, forKey: key)
            case .null: try container.encodeNil(forKey: key)
            }
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        schema = try container.decode(Int.self, forKey: Key("schema"))
        path = try container.decode(String.self, forKey: Key("path"))
        pathBase64 = try container.decodeIfPresent(String.self, forKey: Key("path_base64"))
        size = try container.decodeIfPresent(UInt64.self, forKey: Key("size"))
        kernel = try container.decode(String.self, forKey: Key("kernel"))
        device = try container.decode(String.self, forKey: Key("device"))
        status = try container.decode(String.self, forKey: Key("status"))
        error = try container.decodeIfPresent(String.self, forKey: Key("error"))
        members = []
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !Self.ownKeys.contains(key.stringValue) {
            let value = try container.decode(JSONValue.self, forKey: key)
            members.append(JSONMember(key.stringValue, value))
        }
    }

    /// The encoder whose output is the schema's: keys sorted (the same line for the same
    /// result on every run), slashes not escaped.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The record as one JSON line, newline included: byte for byte what `encoder` writes for
    /// the record's own fields and BLAKE3's (tested), built on bytes; kernels' float64 figures
    /// are Swift's shortest round-trip text. `JSONEncoder`, and String concatenation after it, cost about
    /// 8 µs a record, more than hashing a 4 KiB file: 20 000 files of 4 KiB took 0.28–0.36 s of
    /// user time in JSONL against 0.14–0.16 s in b3sum format; on bytes, 0.23–0.25 s against
    /// 0.19–0.21 s in the same runs. Keys in sorted order.
    public func jsonLine() -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160 + path.utf8.count + (error?.utf8.count ?? 0) + members.count * 24)
        // The record's own fields in key order, the kernel's `members` (sorted by the
        // initializers) merged in as they come, written straight into the line: no array of
        // members is built for it.
        let members = JSONMember.sortedByKey(members)
        var object = JSONObjectWriter(opening: &line)
        var nextMember = 0
        func field(_ key: String, _ append: (inout [UInt8]) -> Void) {
            while nextMember < members.count && members[nextMember].key < key {
                object.append(members[nextMember], to: &line)
                nextMember += 1
            }
            object.key(key, in: &line, appendingValue: append)
        }
        field("device") { Self.appendQuoted(device, to: &$0) }
        if let error { field("error") { Self.appendQuoted(error, to: &$0) } }
        field("kernel") { Self.appendQuoted(kernel, to: &$0) }
        field("path") { Self.appendQuoted(path, to: &$0) }
        if let pathBase64 { field("path_base64") { Self.appendQuoted(pathBase64, to: &$0) } }
        field("schema") { JSONValue.appendDecimal(Int64(schema), to: &$0) }
        if let size { field("size") { JSONValue.appendDecimal(size, to: &$0) } }
        field("status") { Self.appendQuoted(status, to: &$0) }
        while nextMember < members.count {
            object.append(members[nextMember], to: &line)
            nextMember += 1
        }
        object.close(&line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// Appends `text` as a JSON string literal, escaped as `JSONEncoder` escapes it (bytes of
    /// 0x80 and up are UTF-8 sequences and pass as they are).
    public static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Most names need no escape: copied in one piece (a byte at a time, with the
            // escape table built per call, this was the write stage's largest cost in JSONL).
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start ..< index]))
                appendEscape(byte, to: &line)
                start = index + 1
            }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        line.append(UInt8(ascii: "\""))
    }

    /// The escape of one byte that JSON strings cannot hold as it is.
    private static func appendEscape(_ byte: UInt8, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): line.append(byte)
        case 0x0A: line.append(UInt8(ascii: "n"))
        case 0x0D: line.append(UInt8(ascii: "r"))
        case 0x09: line.append(UInt8(ascii: "t"))
        case 0x08: line.append(UInt8(ascii: "b"))
        case 0x0C: line.append(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            line.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                     digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }
    }

    /// The record of `result`, computed by `kernel`.
    public init(_ result: FileResult, kernel: any ComputeKernel, device: String) {
        // No size for a problem found while listing, nor for a file that failed before anything
        // was known of it (listed by its entry alone, `FileJob.statusAtOpen`).
        let sizeUnknown = result.index < 0 || (result.problem != nil && result.listed == nil)
        self.init(path: result.path, size: sizeUnknown ? nil : result.size, kernel: kernel.name, device: device,
                  status: result.problem?.kind.rawValue ?? "ok", error: result.problem?.message,
                  members: kernel.runMembers + (result.output?.members ?? []))
    }
}
