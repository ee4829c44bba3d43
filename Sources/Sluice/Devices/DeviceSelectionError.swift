import Foundation

/// A `--device` value that cannot be parsed or satisfied: a setup error (exit status 2), whose
/// message says what was asked, why it failed and what is available.
public struct DeviceSelectionError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The full message, one or more lines, without a "sluice:" prefix.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The message, for `localizedDescription`.
    public var errorDescription: String? { message }
}
