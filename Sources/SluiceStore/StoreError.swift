import GRDB

/// Why a results store could not be opened, read or written: one line, `LABEL: why`, where the
/// label names the store as the command line did (`--db FILE`, or the FILE of export and merge).
public struct StoreError: Error, CustomStringConvertible {
    /// The store as the command line names it.
    public var label: String
    /// What went wrong, in a few words ("file is not a database", "Permission denied").
    public var reason: String

    public init(label: String, reason: String) {
        self.label = label
        self.reason = reason
    }

    /// The error `error` raised while using the store named `label`: SQLite's own message for a
    /// database error (without GRDB's "SQLite error N:" and the statement).
    init(label: String, _ error: Error) {
        self.label = label
        if let error = error as? StoreError {
            reason = error.reason
        } else if let error = error as? DatabaseError {
            reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        } else {
            reason = "\(error)"
        }
    }

    public var description: String { "\(label): \(reason)" }
}
