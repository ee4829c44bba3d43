import ArgumentParser

/// A size on the command line: a number with an optional K, M, G or T suffix (powers of 1024),
/// e.g. `256M`, `64K`, `1G`, `4096`.
struct ByteCount: CustomStringConvertible {
    var bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    /// Parses `argument` for `option` (named in the error), e.g. `--memory`.
    /// - Throws: a `ValidationError` that says what is wrong with the value.
    init(parsing argument: String, for option: String) throws {
        var text = argument.uppercased()
        if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
        var multiplier = 1
        if let unit = text.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(unit)] {
            multiplier = 1 << (10 * power)
            text.removeLast()
        }
        let example = "a size such as 4096, 512K, 64M or 1G"
        guard let value = Int(text) else {
            throw ValidationError("\(option) takes \(example); '\(argument)' is not a size")
        }
        guard value > 0 else {
            throw ValidationError("\(option) takes \(example); '\(argument)' is \(value < 0 ? "negative" : "zero")")
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ValidationError("\(option) \(argument) is too large") }
        bytes = product
    }

    var description: String { "\(bytes)" }
}
