/// The `HEX  PATH` line format of b3sum (and sha256sum), both ways, and the BSD form
/// `BLAKE3 (PATH) = HEX` that `sha256sum --tag` writes for its algorithm.
///
/// A name holding a backslash or a newline is escaped (`\\`, `\n`) and its line starts with a
/// backslash, as b3sum 1.2 does. Names that are not UTF-8 are written as their raw bytes (like
/// coreutils), not with U+FFFD as b3sum does, so that `sluice check` finds the very same file.
public enum B3SumFormat {
    /// Whether a name needs the escaped form.
    public static func needsEscape(_ path: RawPath) -> Bool {
        path.bytes.contains(UInt8(ascii: "\\")) || path.bytes.contains(UInt8(ascii: "\n"))
    }

    /// One line, newline included; with `zero`, a NUL-terminated record and no escaping.
    public static func line(hexDigest: String, path: RawPath, zero: Bool = false) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(hexDigest.utf8.count + path.bytes.count + 4)
        let escape = !zero && needsEscape(path)
        if escape { line.append(UInt8(ascii: "\\")) }
        line.append(contentsOf: hexDigest.utf8)
        line.append(UInt8(ascii: " "))
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: escape ? escaped(path) : path.bytes)
        line.append(zero ? 0 : UInt8(ascii: "\n"))
        return line
    }

    /// The algorithm name that opens a tag line.
    public static let tag = "BLAKE3"

    /// One tag line, `BLAKE3 (PATH) = HEX`, newline included; with `zero`, a NUL-terminated
    /// record and no escaping. As `sha256sum --tag` (coreutils 9) writes it, a name holding a
    /// backslash, a newline or a carriage return is escaped (`\\`, `\n`, `\r`) and the line
    /// starts with a backslash (`\BLAKE3 (a\\b) = HEX`).
    public static func tagLine(hexDigest: String, path: RawPath, zero: Bool = false) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(tag.utf8.count + hexDigest.utf8.count + path.bytes.count + 8)
        let escape = !zero && (needsEscape(path) || path.bytes.contains(UInt8(ascii: "\r")))
        if escape { line.append(UInt8(ascii: "\\")) }
        line.append(contentsOf: tagOpening)
        line.append(contentsOf: escape ? escaped(path, carriageReturn: true) : path.bytes)
        line.append(contentsOf: Array(") = ".utf8))
        line.append(contentsOf: hexDigest.utf8)
        line.append(zero ? 0 : UInt8(ascii: "\n"))
        return line
    }

    /// `BLAKE3 (`: what a tag line starts with (after its escape backslash, if any).
    static let tagOpening = Array("\(tag) (".utf8)

    /// The path with `\` as `\\` and newline as `\n`; with `carriageReturn`, CR as `\r` too
    /// (as coreutils 9 escapes names, b3sum 1.2 does not).
    public static func escaped(_ path: RawPath, carriageReturn: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.bytes.count + 4)
        for byte in path.bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r") where carriageReturn: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            default: out.append(byte)
            }
        }
        return out
    }

    /// The name as `check` prints it: escaped with a leading backslash when needed (b3sum's way).
    public static func displayName(_ path: RawPath) -> [UInt8] {
        needsEscape(path) ? [UInt8(ascii: "\\")] + escaped(path) : path.bytes
    }

    /// One parsed line of a checksum file.
    public struct Entry: Sendable, Hashable {
        public var digest: [UInt8]
        public var path: RawPath
    }

    /// Fewest digest bytes a checksum line may carry: BLAKE3's default output. A shorter digest
    /// would let almost any file pass (a 1-byte digest matches one file in 256); b3sum refuses
    /// it too.
    public static let minimumDigestBytes = 32

    /// Parses one line (without its terminator), in either form: `HEX  PATH` or the tag form
    /// `BLAKE3 (PATH) = HEX`, told apart by how the line starts (as sha256sum does). With `zero`,
    /// the line is a NUL-terminated record of `run -z`: its name is not escaped and may hold a
    /// newline.
    /// - Throws: a message naming what is wrong with the line.
    public static func parse(line: ArraySlice<UInt8>, zero: Bool = false) throws -> Entry {
        var rest = line
        var escapedLine = false
        if rest.contains(0) {
            throw ChecksumLineError("the line holds a NUL byte" + (zero ? "" : " (a list written with -z? check it with -z)"))
        }
        if !zero && rest.first == UInt8(ascii: "\\") {
            escapedLine = true
            rest = rest.dropFirst()
        }
        if rest.starts(with: tagOpening) {
            return try parseTagged(rest.dropFirst(tagOpening.count), escaped: escapedLine)
        }
        // `HEX  PATH`, or sha256sum's binary-mode `HEX *PATH` (the same digest for BLAKE3).
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")),
              rest.index(after: space) < rest.endIndex,
              [UInt8(ascii: " "), UInt8(ascii: "*")].contains(rest[rest.index(after: space)]) else {
            throw ChecksumLineError("expected HEX, two spaces (or a space and *), then a path")
        }
        let digest = try decodeDigest(rest[rest.startIndex..<space])
        let pathPart = rest[(space + 2)...]
        guard !pathPart.isEmpty else { throw ChecksumLineError("empty path") }
        let pathBytes = escapedLine ? try unescape(pathPart) : Array(pathPart)
        return Entry(digest: digest, path: RawPath(bytes: pathBytes))
    }

    /// The rest of a tag line after `BLAKE3 (`: `PATH) = HEX`. The name ends at the line's last
    /// `)` (a digest holds none, and a name may), and blanks around the `=` are allowed, as in
    /// coreutils.
    private static func parseTagged(_ rest: ArraySlice<UInt8>, escaped: Bool) throws -> Entry {
        let shape = ChecksumLineError("expected \(tag) (PATH) = HEX")
        guard let close = rest.lastIndex(of: UInt8(ascii: ")")) else { throw shape }
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var hexPart = rest[(close + 1)...].drop(while: isBlank)
        guard hexPart.first == UInt8(ascii: "=") else { throw shape }
        hexPart = hexPart.dropFirst().drop(while: isBlank)
        let digest = try decodeDigest(hexPart)
        let pathPart = rest[..<close]
        guard !pathPart.isEmpty else { throw ChecksumLineError("empty path") }
        let pathBytes = escaped ? try unescape(pathPart) : Array(pathPart)
        return Entry(digest: digest, path: RawPath(bytes: pathBytes))
    }

    /// The digest a line's hexadecimal part spells, at least `minimumDigestBytes` long.
    private static func decodeDigest(_ hexPart: ArraySlice<UInt8>) throws -> [UInt8] {
        guard !hexPart.isEmpty, hexPart.count % 2 == 0, let digest = decodeHex(hexPart) else {
            throw ChecksumLineError("invalid hexadecimal digest")
        }
        guard digest.count >= minimumDigestBytes else {
            throw ChecksumLineError("digest of \(digest.count) bytes is too short (at least \(minimumDigestBytes) bytes, \(2 * minimumDigestBytes) hex digits)")
        }
        return digest
    }

    /// An escaped name's bytes: `\\`, `\n`, and `\r` (which coreutils 9 writes for a CR).
    static func unescape(_ bytes: ArraySlice<UInt8>) throws -> [UInt8] {
        var out: [UInt8] = []
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            switch iterator.next() {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
            default: throw ChecksumLineError("invalid escape sequence in path")
            }
        }
        return out
    }

    static func decodeHex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            guard let high = value(text[index]), let low = value(text[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

/// A checksum line that cannot be parsed.
public struct ChecksumLineError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
