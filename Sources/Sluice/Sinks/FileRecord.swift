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
    /// Bytes hashed; for a failed file its size as listed. Absent when not known (a problem
    /// found while listing, before the file's size was read).
    public var size: UInt64?
    /// The kernel (`blake3`).
    public var kernel: String
    /// The BLAKE3 function: `hash`, `keyed` or `derive-key`.
    public var mode: String
    /// Output bytes per digest (`--length`).
    public var length: Int
    /// The lanes as known when the run started, joined by `+`.
    public var device: String
    /// `ok`, or why there is no digest: `error`, `changed`, `vanished`, `skipped`.
    public var status: String
    /// The digest in lowercase hex, when `status` is `ok`.
    public var digest: String?
    /// What went wrong, when `status` is not `ok`.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case schema, path, pathBase64 = "path_base64", size, kernel, mode, length, device, status, digest, error
    }

    /// The record of `result`.
    public init(_ result: FileResult, kernel: String, mode: BLAKE3Mode, device: String) {
        schema = Self.schemaVersion
        path = result.path.description
        pathBase64 = result.path.isValidUTF8 ? nil : Data(result.path.bytes).base64EncodedString()
        size = result.index < 0 ? nil : result.size
        self.kernel = kernel
        self.mode = mode.name
        length = mode.outputLength
        self.device = device
        status = result.problem?.kind.rawValue ?? "ok"
        digest = result.hexDigest
        error = result.problem?.message
    }
}
