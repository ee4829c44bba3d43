/// What `sluice check` found for one checksum list: the counts behind its exit status and the
/// closing warnings sha256sum prints for a list.
struct CheckTally {
    /// Properly formatted lines.
    var formattedLines = 0
    /// Improperly formatted lines (blank lines are neither).
    var badLines = 0
    /// Lines whose file's digest matched.
    var matched = 0
    /// Lines whose file's digest did not match.
    var mismatched = 0
    /// Lines whose file could not be opened or read (missing ones too, unless ignored).
    var unreadable = 0

    /// Whether the list passes: some line was properly formatted, every listed file was read
    /// and matched, and with `strict` no line was improperly formatted; with `ignoreMissing`
    /// some file must have been verified.
    func passed(strict: Bool, ignoreMissing: Bool) -> Bool {
        formattedLines > 0 && mismatched == 0 && unreadable == 0
            && !(strict && badLines > 0) && !(ignoreMissing && matched == 0)
    }

    /// The lines printed on stderr once the list is checked, in sha256sum's order and words
    /// (singular or plural). A list without a properly formatted line has its own error instead.
    func closingLines(listName: String, ignoreMissing: Bool) -> [String] {
        guard formattedLines > 0 else { return [] }
        var lines: [String] = []
        if badLines > 0 {
            lines.append("sluice: WARNING: " + Self.counted(badLines, "line is", "lines are") + " improperly formatted")
        }
        if unreadable > 0 {
            lines.append("sluice: WARNING: " + Self.counted(unreadable, "listed file", "listed files") + " could not be read")
        }
        if mismatched > 0 {
            lines.append("sluice: WARNING: " + Self.counted(mismatched, "computed checksum", "computed checksums")
                         + " did NOT match")
        }
        if ignoreMissing && matched == 0 { lines.append("sluice: \(listName): no file was verified") }
        return lines
    }

    /// `1 singular` or `N plural`.
    static func counted(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }
}
