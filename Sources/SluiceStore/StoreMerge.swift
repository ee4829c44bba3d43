import Foundation
import GRDB
import Sluice

/// `sluice merge`: the runs and results of several stores (the shards of a cluster run) copied
/// into one (docs/results.md).
///
/// Each source is merged in one transaction of its own. A result whose path and fingerprint
/// the target already holds is never overwritten: the same outcome (status, digest, result,
/// problem) is a *duplicate*, reported and kept once; another outcome is a *conflict*,
/// reported, and the source's row kept in `merge_conflicts`. A source run already in the target
/// (same start, command line, folder and fingerprint: a store merged twice) is not copied again.
public struct StoreMerge {
    /// A result that the target already held.
    public struct Clash: Sendable {
        public enum Kind: String, Sendable {
            case duplicate, conflict
        }

        public var kind: Kind
        public var path: RawPath
        public var fingerprint: String
        /// The source store it came from, as named.
        public var source: String
        /// The store the kept result came from (the target's own when it was there before).
        public var keptFrom: String
    }

    /// What the merge did.
    public private(set) var added = 0
    public private(set) var runsCopied = 0
    public private(set) var clashes: [Clash] = []

    /// Merges `sources` (already checked: each opened read-only) into `target`, one by one.
    /// - Throws: `StoreError` naming the store that failed.
    public init(into target: ResultsStore, sources: [ResultsStore]) throws {
        for source in sources { try merge(source, into: target) }
    }

    private mutating func merge(_ source: ResultsStore, into target: ResultsStore) throws {
        let runs = try source.read { db in try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id") }
        let rows = try source.results()
        var clashes: [Clash] = []
        var added = 0
        var copied = 0
        try target.write { db in
            // Where each run is known as in the target.
            let origins = try Dictionary(
                Row.fetchAll(db, sql: "SELECT id, merged_from FROM runs").map { ($0["id"] as Int64, $0["merged_from"] as String?) },
                uniquingKeysWith: { first, _ in first })
            var runIDs: [Int64: Int64] = [:]
            for run in runs {
                let sourceID: Int64 = run["id"]
                if let existing = try Int64.fetchOne(db, sql: """
                    SELECT id FROM runs WHERE started_ns = ? AND command_line = ? AND working_directory = ? AND fingerprint = ?
                    """, arguments: [run["started_ns"], run["command_line"], run["working_directory"], run["fingerprint"]]) {
                    runIDs[sourceID] = existing
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO runs (started_ns, ended_ns, command_line, working_directory, kernel, parameters, fingerprint,
                        device, mode, shard, status, exit_status, files_computed, files_failed, files_reused, files_new,
                        files_changed, files_vanished, merged_from, merged_run)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run["started_ns"], run["ended_ns"], run["command_line"], run["working_directory"],
                                     run["kernel"], run["parameters"], run["fingerprint"], run["device"], run["mode"],
                                     run["shard"], run["status"], run["exit_status"], run["files_computed"],
                                     run["files_failed"], run["files_reused"], run["files_new"], run["files_changed"],
                                     run["files_vanished"], (run["merged_from"] as String?) ?? source.path,
                                     (run["merged_run"] as Int64?) ?? sourceID])
                runIDs[sourceID] = db.lastInsertedRowID
                copied += 1
            }
            let find = try db.makeStatement(sql: "SELECT * FROM results WHERE path = ? AND fingerprint = ?")
            let insert = try db.makeStatement(sql: ResultsWriter.upsert)
            let conflict = try db.makeStatement(sql: """
                INSERT INTO merge_conflicts (path, fingerprint, source, source_run, kept_run, kernel, size, mtime_ns, device,
                    inode, status, digest, result, problem)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for var row in rows {
                row.run = runIDs[row.run] ?? row.run
                let kept = try Row.fetchOne(find, arguments: [Data(row.path.bytes), row.fingerprint]).map(StoredResult.init(row:))
                guard let kept else {
                    insert.setUncheckedArguments(row.arguments)
                    try insert.execute()
                    added += 1
                    continue
                }
                let keptFrom = origins[kept.run].flatMap { $0 } ?? target.path
                if kept.sameOutcome(as: row) {
                    clashes.append(Clash(kind: .duplicate, path: row.path, fingerprint: row.fingerprint, source: source.path,
                                         keptFrom: keptFrom))
                } else {
                    let values = row.values
                    try conflict.execute(arguments: StatementArguments([values[0], values[1], source.path, row.run, kept.run]
                                                                       + Array(values[3...])))
                    clashes.append(Clash(kind: .conflict, path: row.path, fingerprint: row.fingerprint, source: source.path,
                                         keptFrom: keptFrom))
                }
            }
        }
        self.added += added
        runsCopied += copied
        self.clashes += clashes
    }
}

extension StoredResult {
    /// Whether `other` says the same of the file: status, digest, result and problem (the
    /// identity may differ: the same file seen through two mounts has two device numbers).
    func sameOutcome(as other: StoredResult) -> Bool {
        kernel == other.kernel && status == other.status && digest == other.digest && result == other.result
            && problem == other.problem
    }
}
