import Foundation
import GRDB
import Sluice

/// `sluice export`: the store's results as b3sum lines, JSONL records or CSV rows, in path
/// byte order (docs/results.md).
public enum StoreExport {
    /// The formats `export` writes.
    public enum Format: String, Sendable, CaseIterable {
        /// `HEX  PATH`, as `sluice run` and b3sum print them: the `ok` rows with a digest.
        case b3sum
        /// `sluice run --format jsonl`'s records, one per row.
        case jsonl
        /// One row per result, with a header line (RFC 4180 quoting).
        case csv
    }

    /// Writes the rows of `fingerprint` (every fingerprint when nil) to `output`.
    /// - Throws: `StoreError` when the store cannot be read or, for b3sum lines, holds digests
    ///   of more than one fingerprint and none was chosen; `OutputError` when `output` fails.
    public static func write(_ store: ResultsStore, format: Format, fingerprint: String?, to output: Sluice.OutputStream) throws {
        let runs = Dictionary(uniqueKeysWithValues: try store.runs().map { ($0.id, $0) })
        var chosen = fingerprint
        if format == .b3sum && chosen == nil {
            let withDigests = try store.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT fingerprint FROM results WHERE digest IS NOT NULL ORDER BY fingerprint")
            }
            guard withDigests.count <= 1 else {
                throw StoreError(label: store.label, reason: "holds digests of \(withDigests.count) kernel fingerprints ("
                                 + withDigests.map { "'\($0)'" }.joined(separator: ", ") + "): choose one with --fingerprint")
            }
            chosen = withDigests.first
        }
        if format == .csv { try output.write(Array((csvColumns.joined(separator: ",") + "\n").utf8)) }
        var parameters: [Int64: [JSONMember]] = [:]
        try store.forEachResult(fingerprint: chosen) { row in
            switch format {
            case .b3sum:
                guard row.isOK, let hex = row.hexDigest else { return }
                try output.write(B3SumFormat.line(hexDigest: hex, path: row.path))
            case .jsonl:
                if parameters[row.run] == nil { parameters[row.run] = try MembersJSON.members(of: runs[row.run]?.parameters ?? "{}") }
                let members = try parameters[row.run]! + row.outputMembers()
                let record = FileRecord(path: row.path, size: row.size, kernel: row.kernel, device: runs[row.run]?.device ?? "",
                                        status: row.status, error: row.problem, members: members)
                try output.write(record.jsonLine())
            case .csv:
                try output.write(csvLine(row))
            }
        }
        try output.flush()
    }

    /// The CSV header.
    static let csvColumns = ["path", "path_base64", "size", "mtime_ns", "device", "inode", "kernel", "fingerprint",
                             "status", "digest", "result", "problem", "run"]

    /// One CSV line: the path as UTF-8 (U+FFFD for bytes that are not, with the exact bytes in
    /// `path_base64`), numbers in decimal, the digest in hex, the result as its JSON object.
    static func csvLine(_ row: StoredResult) -> [UInt8] {
        let fields: [String] = [
            row.path.description, row.path.isValidUTF8 ? "" : Data(row.path.bytes).base64EncodedString(),
            row.size.map(String.init) ?? "", row.mtimeNanoseconds.map(String.init) ?? "",
            row.device.map(String.init) ?? "", row.inode.map(String.init) ?? "", row.kernel, row.fingerprint,
            row.status, row.hexDigest ?? "", row.result ?? "", row.problem ?? "", String(row.run),
        ]
        return Array((fields.map(csvField).joined(separator: ",") + "\n").utf8)
    }

    /// A field, quoted when it holds a comma, a quote, CR or LF (quotes doubled).
    static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
