/// What a kernel computed for one file: a digest, or figures (and figures per frame).
///
/// Sinks render it without knowing the kernel: the b3sum format writes `digest`, JSONL writes
/// `members` on the file's line and one line per frame.
public protocol KernelOutput: Sendable {
    /// The file's digest, for kernels that compute one (b3sum lines, `check`); nil otherwise.
    var digest: [UInt8]? { get }
    /// The file's figures as JSONL members, in the order given (the line sorts its keys).
    var members: [JSONMember] { get }
    /// Figures per frame, in file order; empty when the run has no frames.
    var frames: [FrameOutput] { get }
}

extension KernelOutput {
    public var digest: [UInt8]? { nil }
    public var frames: [FrameOutput] { [] }
}

/// The figures of one frame of a file: consecutive bytes `offset ..< offset + length`.
public struct FrameOutput: Sendable, Equatable {
    /// The frame's number in its file, from 0.
    public var index: Int
    public var offset: UInt64
    public var length: UInt64
    public var members: [JSONMember]

    public init(index: Int, offset: UInt64, length: UInt64, members: [JSONMember]) {
        self.index = index
        self.offset = offset
        self.length = length
        self.members = members
    }
}

/// One field of a JSONL line.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON value a kernel writes.
public enum JSONValue: Sendable, Equatable, Decodable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    /// A float64. JSON has no infinities or NaN: those are written as the strings `"inf"`,
    /// `"-inf"` and `"nan"` (what Python's `float()` and numpy read back).
    case number(Double)
    case unsignedArray([UInt64])
    case null

    /// Reads a value back as `append` wrote it: a string, then an integer (signed, then
    /// unsigned), then a float64, then an array of integers.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? container.decode(UInt64.self) {
            self = .unsigned(number)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .unsignedArray(try container.decode([UInt64].self))
        }
    }

    /// Appends the value's JSON text.
    public func append(to line: inout [UInt8]) {
        switch self {
        case .string(let text): FileRecord.appendQuoted(text, to: &line)
        case .integer(let value): JSONValue.appendDecimal(value, to: &line)
        case .unsigned(let value): JSONValue.appendDecimal(value, to: &line)
        case .number(let value):
            if value.isNaN {
                line += "\"nan\"".utf8
            } else if value.isInfinite {
                line += (value < 0 ? "\"-inf\"" : "\"inf\"").utf8
            } else {
                // Shortest text that reads back as the same float64 ("0.1", "3.0", "1e-05").
                line += String(value).utf8
            }
        case .unsignedArray(let values):
            line.reserveCapacity(line.count + 2 + values.count * 8)
            line.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                JSONValue.appendDecimal(value, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .null: line += "null".utf8
        }
    }

    /// Appends the decimal digits of `value`: what `String(value)` writes, without making the
    /// String (a histogram's line is 256 counts: `String` for each was 9% of a histogram run's CPU).
    static func appendDecimal(_ value: UInt64, to line: inout [UInt8]) {
        if value < 10 {
            line.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        // At most 20 digits, written from the last into a stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Appends the decimal text of `value`, a leading `-` when negative (`Int64.min` included).
    static func appendDecimal(_ value: Int64, to line: inout [UInt8]) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &line)
    }
}

extension JSONMember {
    /// Appends `members` as one JSON object, keys in byte order (`JSONEncoder`'s `.sortedKeys`
    /// order for these ASCII keys): what every JSONL line and the results store write.
    public static func appendObject(_ members: [JSONMember], to line: inout [UInt8]) {
        var object = JSONObjectWriter(opening: &line)
        for member in sortedByKey(members) { object.append(member, to: &line) }
        object.close(&line)
    }

    /// Whether `left` comes before `right` in a line. Keys are ASCII (snake_case names), for
    /// which String's `<` is byte order, on a fast path (comparing the UTF-8 views element by
    /// element cost 5% of the writer's time).
    static func precedes(_ left: JSONMember, _ right: JSONMember) -> Bool { left.key < right.key }

    /// `members` in key order: as they are when they already are (lines are mostly built in key
    /// order: checked in one pass), else sorted.
    static func sortedByKey(_ members: [JSONMember]) -> [JSONMember] {
        var index = 1
        while index < members.count {
            if precedes(members[index], members[index - 1]) { return members.sorted(by: precedes) }
            index += 1
        }
        return members
    }
}

/// Writes one JSON object at the end of line bytes, member after member, in the order given (the
/// caller keeps keys sorted): the braces, a comma between members, each key quoted and escaped.
struct JSONObjectWriter {
    private var isFirst = true

    /// Opens an object at the end of `line`.
    init(opening line: inout [UInt8]) {
        line.append(UInt8(ascii: "{"))
    }

    /// Writes `key` and the colon after it, then the value `appendValue` writes.
    mutating func key(_ key: String, in line: inout [UInt8], appendingValue appendValue: (inout [UInt8]) -> Void) {
        if !isFirst { line.append(UInt8(ascii: ",")) }
        isFirst = false
        FileRecord.appendQuoted(key, to: &line)
        line.append(UInt8(ascii: ":"))
        appendValue(&line)
    }

    /// Writes one member.
    mutating func append(_ member: JSONMember, to line: inout [UInt8]) {
        key(member.key, in: &line) { member.value.append(to: &$0) }
    }

    /// Closes the object.
    func close(_ line: inout [UInt8]) {
        line.append(UInt8(ascii: "}"))
    }
}
