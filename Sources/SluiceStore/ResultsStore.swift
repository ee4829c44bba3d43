import CSluiceStore
import Foundation
import GRDB
import GRDBSQLite
import Sluice

/// A results store: one SQLite file in WAL mode holding the runs made on it and one result per
/// file and kernel fingerprint (docs/results.md has the schema).
///
/// Opening checks the file before any work: that it can be opened as asked, that it is a
/// SQLite database, that it is a sluice store (or empty), and that its schema version is one
/// this sluice knows; for writing, it brings the schema up to date. Each failure is a
/// `StoreError` naming the store.
public final class ResultsStore: @unchecked Sendable {
    /// The store as the command line names it, for messages.
    public let label: String
    /// The file.
    public let path: String
    let queue: DatabaseQueue

    /// How to open a store.
    public enum Access: Sendable {
        /// Read and write; created when missing; schema brought up to date.
        case write
        /// Read only; the file must exist and be a store.
        case read
    }

    /// Opens (or, for `.write`, creates) the store at `path`.
    /// - Throws: `StoreError` with `label` and the reason.
    public init(path: String, label: String, access: Access) throws {
        self.label = label
        self.path = path
        try Self.checkFile(path, access: access, label: label)
        var configuration = Configuration()
        configuration.readonly = access == .read
        // Another sluice writing the same store (a second run, a merge) holds the write lock for
        // one batch at a time: wait for it rather than fail.
        configuration.busyMode = .timeout(60)
        configuration.label = "sluice-store"
        if access == .write {
            // In WAL mode NORMAL never corrupts and a process crash (kill -9) loses no committed
            // batch; only a power loss may lose the last few. (WAL itself is set by `prepare`,
            // once the file is known to be a store: another database is left as it is.)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // A run ends without copying the WAL into the file (and without its two syncs):
                // the WAL is the store's too, checkpointed as it grows (every 1000 pages) and
                // by `close(checkpointing: true)`.
                guard sluice_sqlite3_no_checkpoint_on_close(db.sqliteConnection, 1) == SQLITE_OK else {
                    throw DatabaseError(message: "cannot keep the WAL at close")
                }
            }
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.inDatabase { db in try Self.prepare(db, access: access) }
        } catch {
            throw StoreError(label: label, error)
        }
    }

    /// The checks SQLite would make less clearly: a folder, a missing file or folder, no
    /// permission (errno's words).
    private static func checkFile(_ path: String, access: Access, label: String) throws {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw StoreError(label: label, reason: String(cString: strerror(EISDIR)))
        }
        let flags = access == .write ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC
        let fd = open(path, flags, 0o666)
        guard fd >= 0 else { throw StoreError(label: label, reason: String(cString: strerror(errno))) }
        Glibc.close(fd)
        if access == .write {
            // The WAL and its index live beside the file.
            let folder = (path as NSString).deletingLastPathComponent
            if Glibc.access(folder.isEmpty ? "." : folder, W_OK) != 0 {
                throw StoreError(label: label, reason: "its folder is not writable (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Checks that the database is a sluice store this sluice can use, and for writing creates
    /// or migrates its tables.
    private static func prepare(_ db: Database, access: Access) throws {
        let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        if application != StoreSchema.applicationID {
            guard application == 0, tables == 0 else {
                throw StoreError(label: "", reason: "not a sluice results store (an SQLite database of something else)")
            }
            guard access == .write else { throw StoreError(label: "", reason: "not a sluice results store (empty)") }
        }
        if version > StoreSchema.currentVersion {
            throw StoreError(label: "", reason: "made by a newer sluice (store version \(version); this sluice knows up to \(StoreSchema.currentVersion))")
        }
        guard access == .write else { return }
        if tables == 0 {
            // A new store's first writes (the switch to WAL through a rollback journal, then the
            // tables, the WAL's first frame) are made without syncs: they cost 5 to 70 ms here,
            // most of a short run's cost of --db. Only a power loss in these first milliseconds
            // could tear the new, still empty file; a process crash loses nothing (the page
            // cache stays).
            try db.execute(sql: "PRAGMA synchronous = OFF")
        }
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        if version < StoreSchema.currentVersion {
            try db.inTransaction(.immediate) {
                for script in StoreSchema.migrations[version...] { try db.execute(sql: script) }
                try db.execute(sql: "PRAGMA application_id = \(StoreSchema.applicationID)")
                try db.execute(sql: "PRAGMA user_version = \(StoreSchema.currentVersion)")
                return .commit
            }
        }
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }

    /// Runs `body` in one write transaction; the database's errors name the store, others
    /// (the output's, in an export) pass as they are.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.write(body)
        } catch let error as DatabaseError {
            throw StoreError(label: label, error)
        } catch let error as StoreError {
            throw StoreError(label: label, reason: error.reason)
        }
    }

    /// Runs `body` with read access; the database's errors name the store, others pass.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as DatabaseError {
            throw StoreError(label: label, error)
        } catch let error as StoreError {
            throw StoreError(label: label, reason: error.reason)
        }
    }

    /// The kernel fingerprints that have results, with how many.
    public func fingerprints() throws -> [(fingerprint: String, kernel: String, results: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT fingerprint, kernel, count(*) AS n FROM results GROUP BY fingerprint, kernel ORDER BY fingerprint")
                .map { ($0["fingerprint"], $0["kernel"], $0["n"]) }
        }
    }

    /// Every result row of `fingerprint` (every fingerprint when nil), in path byte order.
    public func results(fingerprint: String? = nil) throws -> [StoredResult] {
        var rows: [StoredResult] = []
        try forEachResult(fingerprint: fingerprint) { rows.append($0) }
        return rows
    }

    /// Calls `body` with each result row of `fingerprint` (every fingerprint when nil), in path
    /// byte order, one at a time (an export of millions of rows holds one).
    public func forEachResult(fingerprint: String? = nil, _ body: (StoredResult) throws -> Void) throws {
        try read { db in
            let sql = "SELECT * FROM results" + (fingerprint == nil ? "" : " WHERE fingerprint = ?") + " ORDER BY path, fingerprint"
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(fingerprint.map { [$0] } ?? []))
            while let row = try cursor.next() { try body(StoredResult(row: row)) }
        }
    }

    /// Every run, oldest first.
    public func runs() throws -> [StoredRun] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(StoredRun.init(row:)) }
    }

    /// Closes the store. A store opened for writing keeps its WAL (`FILE-wal`, `FILE-shm`)
    /// unless `checkpointing`: then SQLite copies the WAL into the file, syncs it and removes
    /// the WAL, so that the store is one file (what `merge` leaves).
    public func close(checkpointing: Bool = false) throws {
        do {
            if checkpointing {
                try queue.inDatabase { db in
                    guard sluice_sqlite3_no_checkpoint_on_close(db.sqliteConnection, 0) == SQLITE_OK else {
                        throw DatabaseError(message: "cannot checkpoint at close")
                    }
                }
            }
            try queue.close()
        } catch {
            throw StoreError(label: label, error)
        }
    }
}
