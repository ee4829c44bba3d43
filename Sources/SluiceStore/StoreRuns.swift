import Foundation
import GRDB
import Sluice

/// What a run that writes to the store is, as its row in the runs table records it.
public struct RunDescription: Sendable {
    /// The command's arguments, program name first.
    public var commandLine: [String]
    public var fingerprint: KernelFingerprint
    /// The lanes, as JSONL's `device` names them (filled in once the lanes are known).
    public var device: String
    /// `run`, `resume` or `update`.
    public var mode: String
    /// `--shard K/N`, if any.
    public var shard: String?

    public init(commandLine: [String], fingerprint: KernelFingerprint, device: String = "", mode: String,
                shard: String? = nil) {
        self.commandLine = commandLine
        self.fingerprint = fingerprint
        self.device = device
        self.mode = mode
        self.shard = shard
    }
}

/// How a run ended, as `runs.status` says it.
public enum RunStatus: String, Sendable {
    /// Not ended: still going, or killed (SIGKILL, a crash, a power loss).
    case running
    /// Every file processed (exit 0).
    case complete
    /// Some files failed (exit 1); each has its problem as its result.
    case failed
    /// Stopped by SIGINT or SIGTERM (exit 130).
    case interrupted
    /// Stopped by an error (results or the store could not be written).
    case error
}

extension ResultsStore {
    /// Adds the run's row (status `running`) and returns its id.
    public func beginRun(_ run: RunDescription) throws -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let commandLine = String(decoding: try encoder.encode(run.commandLine), as: UTF8.self)
        let directory = FileManager.default.currentDirectoryPath
        return try write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (started_ns, command_line, working_directory, kernel, parameters, fingerprint,
                                      device, mode, shard, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [Self.nowNanoseconds(), commandLine, Data(directory.utf8), run.fingerprint.kernel,
                            MembersJSON.text(of: run.fingerprint.parameters), run.fingerprint.text, run.device,
                            run.mode, run.shard, RunStatus.running.rawValue])
            return db.lastInsertedRowID
        }
    }

    /// Records the lanes the run computes on, once they are known.
    public func setDevice(_ device: String, run: Int64) throws {
        try write { db in try db.execute(sql: "UPDATE runs SET device = ? WHERE id = ?", arguments: [device, run]) }
    }

    /// Ends the run's row: its status, exit status, counts and end time.
    public func finishRun(_ run: Int64, status: RunStatus, exitStatus: Int32, counts: RunCounts) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET ended_ns = ?, status = ?, exit_status = ?, files_computed = ?, files_failed = ?,
                        files_reused = ?, files_new = ?, files_changed = ?, files_vanished = ?
                    WHERE id = ?
                    """,
                arguments: [Self.nowNanoseconds(), status.rawValue, Int(exitStatus), counts.computed, counts.failed,
                            counts.reused, counts.new, counts.changed, counts.vanished, run])
        }
    }

    /// Marks the results of `paths` (fingerprint `fingerprint`) as vanished by the run `run`:
    /// their last result stays, with status `vanished` and the problem saying since when.
    public func markVanished(_ paths: [RawPath], fingerprint: String, run: Int64) throws {
        guard !paths.isEmpty else { return }
        try write { db in
            let statement = try db.makeStatement(sql: """
                UPDATE results SET status = 'vanished', run = ?, problem = ? WHERE path = ? AND fingerprint = ?
                """)
            for path in paths {
                try statement.execute(arguments: [run, "not found by run \(run) (--update)", Data(path.bytes), fingerprint])
            }
        }
    }

    /// The results of `fingerprint` by path, for a run that leaves out what the store holds:
    /// identity and status only (no digest, result or problem).
    public func identities(fingerprint: String) throws -> [RawPath: StoredResult] {
        try read { db in
            var byPath: [RawPath: StoredResult] = [:]
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT path, fingerprint, run, kernel, size, mtime_ns, device, inode, status, NULL AS digest,
                       NULL AS result, NULL AS problem
                FROM results WHERE fingerprint = ?
                """, arguments: [fingerprint])
            while let row = try cursor.next() {
                let stored = StoredResult(row: row)
                byPath[stored.path] = stored
            }
            return byPath
        }
    }

    static func nowNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
