/// The results store's tables, one SQL script per schema version (docs/results.md).
///
/// `PRAGMA user_version` holds the version a store is at; opening a store for writing applies the
/// scripts after it, in order, in one transaction. `PRAGMA application_id` marks the file as a
/// sluice store, so that another SQLite file is refused instead of altered.
enum StoreSchema {
    /// `sluc` in ASCII: `PRAGMA application_id` of every sluice results store.
    static let applicationID: Int32 = 0x736C_7563

    /// The version this sluice writes (the number of `migrations`).
    static var currentVersion: Int { migrations.count }

    /// The script that takes a store from version `index` to `index + 1`.
    static let migrations: [String] = [
        // 1: runs, results (one row per path and kernel fingerprint), merge conflicts.
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_ns INTEGER NOT NULL,
            ended_ns INTEGER,
            command_line TEXT NOT NULL,
            working_directory BLOB NOT NULL,
            kernel TEXT NOT NULL,
            parameters TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            device TEXT NOT NULL,
            mode TEXT NOT NULL,
            shard TEXT,
            status TEXT NOT NULL,
            exit_status INTEGER,
            files_computed INTEGER NOT NULL DEFAULT 0,
            files_failed INTEGER NOT NULL DEFAULT 0,
            files_reused INTEGER NOT NULL DEFAULT 0,
            files_new INTEGER NOT NULL DEFAULT 0,
            files_changed INTEGER NOT NULL DEFAULT 0,
            files_vanished INTEGER NOT NULL DEFAULT 0,
            merged_from TEXT,
            merged_run INTEGER
        );
        CREATE TABLE results (
            path BLOB NOT NULL,
            fingerprint TEXT NOT NULL,
            run INTEGER NOT NULL REFERENCES runs(id),
            kernel TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            device INTEGER,
            inode INTEGER,
            status TEXT NOT NULL,
            digest BLOB,
            result TEXT,
            problem TEXT,
            PRIMARY KEY (path, fingerprint)
        ) WITHOUT ROWID;
        CREATE TABLE merge_conflicts (
            path BLOB NOT NULL,
            fingerprint TEXT NOT NULL,
            source TEXT NOT NULL,
            source_run INTEGER NOT NULL,
            kept_run INTEGER NOT NULL,
            kernel TEXT NOT NULL,
            size INTEGER,
            mtime_ns INTEGER,
            device INTEGER,
            inode INTEGER,
            status TEXT NOT NULL,
            digest BLOB,
            result TEXT,
            problem TEXT
        );
        """,
    ]
}
