import Foundation
import Sluice

/// A kernel's JSONL members as one JSON object, as the store keeps them (`results.result`,
/// `runs.parameters`), and back: keys sorted, values as the JSONL line writes them.
enum MembersJSON {
    /// The object's text, keys in byte order.
    static func text(of members: [JSONMember]) -> String {
        var line: [UInt8] = []
        JSONMember.appendObject(members, to: &line)
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
        try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
            .sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) }
    }
}
