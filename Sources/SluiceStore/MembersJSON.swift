import Foundation
import Sluice

/// A kernel's JSONL members as one JSON object, as the store keeps them (`results.result`,
/// `runs.parameters`), and back: keys sorted, values as the JSONL line writes them.
enum MembersJSON {
    /// The object's text, keys in byte order.
    static func text(of members: [JSONMember]) -> String {
        var line: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendQuoted(member.key, to: &line)
            line.append(UInt8(ascii: ":"))
            append(member.value, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        return String(decoding: line, as: UTF8.self)
    }

    /// What `results.result` holds for an output: its members without the digest when that is
    /// stored as the `digest` blob (a `digest` member that is its hex); nil when nothing is left.
    static func bytes(of members: [JSONMember], omittingDigest digest: [UInt8]?) -> [UInt8]? {
        var kept = members
        if let digest, let index = kept.firstIndex(where: { $0.key == "digest" }),
           kept[index].value == .string(Hex.lowercase(digest)) {
            kept.remove(at: index)
        }
        guard !kept.isEmpty else { return nil }
        return Array(text(of: kept).utf8)
    }

    /// The output's members back from a row: `result`'s, and the digest as its hex.
    static func outputMembers(result: String?, digest: [UInt8]?) throws -> [JSONMember] {
        var members = try result.map(members(of:)) ?? []
        if let digest, !members.contains(where: { $0.key == "digest" }) {
            members.append(JSONMember("digest", .string(Hex.lowercase(digest))))
        }
        return members.sorted { $0.key < $1.key }
    }

    /// The members of an object `text(of:)` wrote (numbers read back as the kinds they were
    /// written as: integers, then float64).
    static func members(of text: String) throws -> [JSONMember] {
        try JSONDecoder().decode(Object.self, from: Data(text.utf8)).members
    }

    private struct Object: Decodable {
        var members: [JSONMember] = []

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                let value: JSONValue
                if try container.decodeNil(forKey: key) {
                    value = .null
                } else if let text = try? container.decode(String.self, forKey: key) {
                    value = .string(text)
                } else if let number = try? container.decode(Int64.self, forKey: key) {
                    value = .integer(number)
                } else if let number = try? container.decode(UInt64.self, forKey: key) {
                    value = .unsigned(number)
                } else if let number = try? container.decode(Double.self, forKey: key) {
                    value = .number(number)
                } else {
                    value = .unsignedArray(try container.decode([UInt64].self, forKey: key))
                }
                members.append(JSONMember(key.stringValue, value))
            }
        }
    }

    /// A value's JSON text, as JSONL writes it (float64 as Swift's shortest round-trip text;
    /// infinities and NaN as strings).
    static func append(_ value: JSONValue, to line: inout [UInt8]) {
        switch value {
        case .string(let text): appendQuoted(text, to: &line)
        case .integer(let number): line += String(number).utf8
        case .unsigned(let number): line += String(number).utf8
        case .number(let number) where number.isNaN: line += "\"nan\"".utf8
        case .number(let number) where number.isInfinite: line += (number < 0 ? "\"-inf\"" : "\"inf\"").utf8
        case .number(let number): line += String(number).utf8
        case .unsignedArray(let numbers):
            line.append(UInt8(ascii: "["))
            line += numbers.map(String.init).joined(separator: ",").utf8
            line.append(UInt8(ascii: "]"))
        case .null: line += "null".utf8
        }
    }

    /// `text` as a JSON string literal.
    static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): line += [UInt8(ascii: "\\"), byte]
            case 0x0A: line += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: line += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: line += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: line += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: line += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case ..<0x20: line += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
