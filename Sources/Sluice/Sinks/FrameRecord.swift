import Foundation

/// One frame's line in `--format jsonl` (after its file's `FileRecord` line): `schema`,
/// `kernel`, `path` (and `path_base64`), `frame` (from 0), `offset`, `length` and the frame's
/// figures, keys sorted. A line with a `frame` key is a frame's; a file's line has `status`.
public enum FrameRecord {
    /// Appends the line of `frame` of `result`'s file, newline included.
    public static func append(_ frame: FrameOutput, of result: FileResult, kernel: String, to line: inout [UInt8]) {
        var fields: [JSONMember] = [
            JSONMember("frame", .integer(Int64(frame.index))), JSONMember("kernel", .string(kernel)),
            JSONMember("length", .unsigned(frame.length)), JSONMember("offset", .unsigned(frame.offset)),
            JSONMember("path", .string(result.path.description)),
            JSONMember("schema", .integer(Int64(FileRecord.schemaVersion))),
        ]
        if !result.path.isValidUTF8 {
            fields.append(JSONMember("path_base64", .string(Data(result.path.bytes).base64EncodedString())))
        }
        fields += frame.members
        JSONMember.appendObject(fields, to: &line)
        line.append(UInt8(ascii: "\n"))
    }
}
