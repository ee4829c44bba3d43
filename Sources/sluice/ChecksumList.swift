import Foundation
import Sluice

/// One checksum list given to `sluice check`, read and parsed: its properly formatted lines as
/// entries and its improperly formatted ones with their line numbers.
///
/// Lines are numbered as they stand in the list, blank ones included (a blank line is skipped,
/// neither an entry nor improperly formatted). In a newline-separated list a `\r` before the
/// newline is dropped, so lists written on Windows (CRLF) check like any other; a name that
/// really ends with `\r` can only be checked from a `-z` list.
struct ChecksumList {
    /// One properly formatted line.
    struct Line {
        var entry: B3SumFormat.Entry
        /// The list's position among the lists given.
        var list: Int
    }

    /// An improperly formatted line: its number (from 1) and what is wrong with it.
    struct BadLine {
        var number: Int
        var reason: String
    }

    /// The name messages use: `standard input` for `-` (as sha256sum says), else the path.
    var name: String
    var lines: [Line] = []
    var badLines: [BadLine] = []

    /// Parses `bytes`, the contents of list number `list`; with `zero`, NUL-terminated records.
    init(name: String, list: Int, bytes: [UInt8], zero: Bool) {
        self.name = name
        let separator: UInt8 = zero ? 0 : UInt8(ascii: "\n")
        for (offset, record) in bytes.split(separator: separator, omittingEmptySubsequences: false).enumerated() {
            var text = record
            if !zero && text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            // Blank lines, and comments as coreutils reads them (a line that starts with `#` is
            // never a checksum line: those start with hex, `\` or the tag).
            guard !text.isEmpty, text.first != UInt8(ascii: "#") else { continue }
            do {
                lines.append(Line(entry: try B3SumFormat.parse(line: text, zero: zero), list: list))
            } catch {
                badLines.append(BadLine(number: offset + 1, reason: "\(error)"))
            }
        }
    }

    /// Reads list number `list` from `path` (`-`: standard input).
    /// - Throws: `SetupError` when the list cannot be read.
    static func read(_ path: RawPath, list: Int, zero: Bool) throws -> ChecksumList {
        let isStandardInput = path.bytes == Array("-".utf8)
        let data = isStandardInput ? FileHandle.standardInput.readDataToEndOfFile() : try readWholeFile(path)
        return ChecksumList(name: isStandardInput ? "standard input" : path.description, list: list,
                            bytes: [UInt8](data), zero: zero)
    }

    /// The `--warn` message for a bad line: sha256sum's words, then the reason.
    func warning(for line: BadLine) -> String {
        "sluice: \(name): \(line.number): improperly formatted \(B3SumFormat.tag) checksum line: \(line.reason)"
    }
}
