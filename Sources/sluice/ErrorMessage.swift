import ArgumentParser
import Foundation

/// Every error the command prints, in one voice: one line, `sluice: WHAT: why`, as coreutils
/// write theirs. Usage errors name the option and what it allows, and point at `--help`;
/// ArgumentParser's own texts ("Error: The value 'x' is invalid for '--length <length>'", a
/// usage block) are rewritten into that form.
enum ErrorMessage {
    /// What the integer options allow, for a value that is not a number.
    static let allowed: [String: String] = [
        "--length": "1 to \(Run.maximumLength) output bytes",
        "--readers": "1 to \(Run.maximumThreads) threads",
        "--workers": "1 to \(Run.maximumThreads) threads",
        "--walk-threads": "1 to \(Run.maximumThreads) threads",
        "--in-flight": "1 to \(DeviceOptions.maximumInFlight) submissions",
        "--repeat": "a count of repetitions, at least 1",
        "--db-batch": "1 to 1000000 results",
    ]

    /// The line for an error ArgumentParser raised while parsing or validating (exit 2).
    static func usage(_ error: Error, command: String?) -> String {
        let raw = SluiceCommand.message(for: error)
        let first = raw.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? raw
        let hint = " (see 'sluice\(command.map { " " + $0 } ?? "") --help')"
        return "sluice: " + rewrite(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first) + hint
    }

    /// ArgumentParser's phrasing, as `OPTION: what is wrong`.
    static func rewrite(_ message: String) -> String {
        // "The value 'X' is invalid for '--opt <value>'" + ": reason" | ". Please provide one of 'a' and 'b'."
        if message.hasPrefix("The value '"), let forRange = message.range(of: "' is invalid for '") {
            let value = String(message[message.index(message.startIndex, offsetBy: 11) ..< forRange.lowerBound])
            let rest = message[forRange.upperBound...]
            guard let end = rest.firstIndex(of: "'") else { return message }
            let option = String(rest[..<end].split(separator: " ").first ?? "")
            let tail = rest[rest.index(after: end)...]
            if tail.hasPrefix(": ") { return "\(option): \(tail.dropFirst(2))" }
            if let choices = tail.range(of: "Please provide one of ") {
                let list = tail[choices.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "."))
                    .replacingOccurrences(of: "'", with: "").replacingOccurrences(of: " and ", with: ", ")
                return "\(option): invalid value '\(value)' (allowed: \(list))"
            }
            if let allowed = allowed[option] { return "\(option): '\(value)' is not a number (allowed: \(allowed))" }
            return "\(option): invalid value '\(value)'"
        }
        // "Missing value for '--opt <value>'"
        if message.hasPrefix("Missing value for '"), let option = message.dropFirst(19).split(separator: " ").first {
            let name = option.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            return "\(name): a value is missing\(allowed[name].map { " (allowed: \($0))" } ?? "")"
        }
        // "Unknown option '--bogus'", "Unexpected argument 'x'": lowercase, as the rest.
        if let first = message.first, first.isUppercase, !message.hasPrefix("--") {
            return first.lowercased() + message.dropFirst()
        }
        return message
    }

    /// The line for any other error: its description, or for a Foundation error its reason and path.
    static func other(_ error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
            let path = nsError.userInfo[NSFilePathErrorKey] as? String
            let reason = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
                ?? nsError.localizedDescription
            return "sluice: " + (path.map { "\($0): " } ?? "") + reason
        }
        let text = String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        return "sluice: " + text
    }
}
