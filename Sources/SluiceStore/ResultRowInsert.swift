import GRDB
import GRDBSQLite
import Sluice

/// The results table's upsert as one prepared SQLite statement, bound through the C API: the
/// write stage's hot path. `StatementArguments`, which boxes every value, cost more than the
/// insert itself (about 3.5 µs of a result's 10 µs on std8k's 8000 files).
///
/// Made, used and finalized inside one transaction on the store's connection. The run, kernel
/// and fingerprint are bound once: `sqlite3_reset` keeps bindings.
final class ResultRowInsert {
    private let connection: SQLiteConnection
    private var statement: SQLiteStatement?

    /// Prepares the statement on `db` for rows of `run`, `kernel` and `fingerprint`.
    /// The corresponding C functions are `sqlite3_prepare_v2` and `sqlite3_bind_*`.
    init(_ db: Database, run: Int64, kernel: String, fingerprint: String) throws {
        connection = db.sqliteConnection!
        var prepared: SQLiteStatement?
        try check(sqlite3_prepare_v2(connection, ResultsWriter.upsert, -1, &prepared, nil))
        statement = prepared
        try check(bindText(2, fingerprint))
        try check(sqlite3_bind_int64(prepared, 3, run))
        try check(bindText(4, kernel))
    }

    deinit { sqlite3_finalize(statement) }

    /// Inserts (or replaces) the row of `result`.
    /// The corresponding C functions are `sqlite3_bind_*`, `sqlite3_step` and `sqlite3_reset`.
    func insert(_ result: FileResult) throws {
        let listed = result.listed
        try result.path.bytes.withUnsafeBytes { try check(sqlite3_bind_blob(statement, 1, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)) }
        try check(bindInteger(5, listed.map { Int64(bitPattern: $0.isStream ? result.size : $0.size) }))
        try check(bindInteger(6, listed?.mtimeNanoseconds))
        try check(bindInteger(7, listed.map { Int64(bitPattern: $0.device) }))
        try check(bindInteger(8, listed.map { Int64(bitPattern: $0.inode) }))
        try check(bindText(9, result.problem?.kind.rawValue ?? "ok"))
        let digest = result.output?.digest
        if let digest {
            try digest.withUnsafeBytes { try check(sqlite3_bind_blob(statement, 10, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)) }
        } else {
            try check(sqlite3_bind_null(statement, 10))
        }
        if let output = result.output, let json = MembersJSON.bytes(of: output.members, omittingDigest: digest) {
            try json.withUnsafeBytes { try check(sqlite3_bind_text(statement, 11, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)) }
        } else {
            try check(sqlite3_bind_null(statement, 11))
        }
        try check(bindText(12, result.problem?.message))
        let stepped = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard stepped == SQLITE_DONE else { throw failure(stepped) }
    }

    private func bindText(_ index: Int32, _ text: String?) -> Int32 {
        guard let text else { return sqlite3_bind_null(statement, index) }
        return text.withCString { sqlite3_bind_text(statement, index, $0, -1, SQLITE_TRANSIENT) }
    }

    private func bindInteger(_ index: Int32, _ value: Int64?) -> Int32 {
        guard let value else { return sqlite3_bind_null(statement, index) }
        return sqlite3_bind_int64(statement, index, value)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// The connection's error, as GRDB reports it (so that `StoreError` says SQLite's words).
    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bytes before the bind returns.
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
