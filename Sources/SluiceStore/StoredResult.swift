import Foundation
import GRDB
import Sluice

/// One row of the results table: a file's identity as listed, the kernel fingerprint, and its
/// result (the kernel's JSONL members and digest) or problem.
public struct StoredResult: Sendable, Equatable {
    /// The path's bytes, as printed by the run.
    public var path: RawPath
    /// The kernel and its parameters (`KernelFingerprint`).
    public var fingerprint: String
    /// The run that wrote the row last.
    public var run: Int64
    /// The kernel's name.
    public var kernel: String
    /// The file's identity as listed; nil for a problem found while listing.
    public var size: UInt64?
    public var mtimeNanoseconds: Int64?
    public var device: UInt64?
    public var inode: UInt64?
    /// `ok`, a problem's kind (`error`, `changed`, `vanished`, `skipped`), or `vanished` for a
    /// file an `--update` no longer found (its last result is kept).
    public var status: String
    /// The digest, for kernels that compute one.
    public var digest: [UInt8]?
    /// The kernel's output members as one JSON object, without the digest (which is `digest`);
    /// nil when the digest is the whole output (BLAKE3) or there is none.
    public var result: String?
    /// The problem's message.
    public var problem: String?

    public init(path: RawPath, fingerprint: String, run: Int64, kernel: String, size: UInt64?, mtimeNanoseconds: Int64?,
                device: UInt64?, inode: UInt64?, status: String, digest: [UInt8]?, result: String?, problem: String?) {
        self.path = path
        self.fingerprint = fingerprint
        self.run = run
        self.kernel = kernel
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.device = device
        self.inode = inode
        self.status = status
        self.digest = digest
        self.result = result
        self.problem = problem
    }

    /// The row of `result`, computed by the run `run` with the kernel `kernel` (`fingerprint`).
    public init(_ result: FileResult, run: Int64, kernel: String, fingerprint: String) {
        let listed = result.listed
        self.init(path: result.path, fingerprint: fingerprint, run: run, kernel: kernel,
                  // A stream's length is known only once read; a file's identity is its listing.
                  size: listed.map { $0.isStream ? result.size : $0.size },
                  mtimeNanoseconds: listed?.mtimeNanoseconds, device: listed?.device, inode: listed?.inode,
                  status: result.problem?.kind.rawValue ?? "ok", digest: result.output?.digest,
                  result: result.output.flatMap { output in
                      MembersJSON.bytes(of: output.members, omittingDigest: output.digest).map { String(decoding: $0, as: UTF8.self) }
                  },
                  problem: result.problem?.message)
    }

    /// The kernel's output members (JSONL's), the digest's included; empty without an output.
    public func outputMembers() throws -> [JSONMember] {
        isOK ? try MembersJSON.outputMembers(result: result, digest: digest) : []
    }

    /// Whether the row holds an output.
    public var isOK: Bool { status == "ok" }

    /// The digest in lowercase hex.
    public var hexDigest: String? { digest.map(Hex.lowercase) }

    /// Whether `job`, as listed now, is the file this row describes (path aside): same size,
    /// mtime, device and inode.
    public func sameIdentity(as job: FileJob) -> Bool {
        size == job.size && mtimeNanoseconds == job.mtimeNanoseconds && device == job.device && inode == job.inode
    }

    /// The columns in table order, for statements that write a whole row.
    static let columns = ["path", "fingerprint", "run", "kernel", "size", "mtime_ns", "device", "inode", "status",
                          "digest", "result", "problem"]

    /// The row's values in `columns` order. 64-bit unsigned numbers are stored as their bit
    /// pattern (SQLite integers are signed).
    var values: [(any DatabaseValueConvertible)?] {
        [Data(path.bytes), fingerprint, run, kernel, size.map { Int64(bitPattern: $0) }, mtimeNanoseconds,
         device.map { Int64(bitPattern: $0) }, inode.map { Int64(bitPattern: $0) }, status, digest.map { Data($0) },
         result, problem]
    }

    /// `values` as a statement's arguments.
    var arguments: StatementArguments { StatementArguments(values) }

    init(row: Row) {
        func unsigned(_ column: String) -> UInt64? { (row[column] as Int64?).map { UInt64(bitPattern: $0) } }
        self.init(path: RawPath(bytes: row["path"] as Data), fingerprint: row["fingerprint"], run: row["run"],
                  kernel: row["kernel"], size: unsigned("size"), mtimeNanoseconds: row["mtime_ns"],
                  device: unsigned("device"), inode: unsigned("inode"), status: row["status"],
                  digest: (row["digest"] as Data?).map { [UInt8]($0) }, result: row["result"], problem: row["problem"])
    }
}

/// One row of the runs table.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var startedNanoseconds: Int64
    public var endedNanoseconds: Int64?
    /// The arguments, as a JSON array of strings.
    public var commandLine: String
    public var kernel: String
    /// The kernel's parameters as a JSON object (its JSONL run members; never a key).
    public var parameters: String
    public var fingerprint: String
    public var device: String
    /// `run`, `resume`, `update` or `merge`.
    public var mode: String
    public var shard: String?
    /// `running` (also what a killed run leaves), `complete`, `failed`, `interrupted`, `error`.
    public var status: String
    public var exitStatus: Int?
    public var counts: RunCounts
    /// For a run copied by `sluice merge`: the store it came from and its id there.
    public var mergedFrom: String?
    public var mergedRun: Int64?

    init(row: Row) {
        id = row["id"]
        startedNanoseconds = row["started_ns"]
        endedNanoseconds = row["ended_ns"]
        commandLine = row["command_line"]
        kernel = row["kernel"]
        parameters = row["parameters"]
        fingerprint = row["fingerprint"]
        device = row["device"]
        mode = row["mode"]
        shard = row["shard"]
        status = row["status"]
        exitStatus = row["exit_status"]
        counts = RunCounts(computed: row["files_computed"], failed: row["files_failed"], reused: row["files_reused"],
                           new: row["files_new"], changed: row["files_changed"], vanished: row["files_vanished"])
        mergedFrom = row["merged_from"]
        mergedRun = row["merged_run"]
    }
}

/// What a run did, file by file, as the runs table counts it.
public struct RunCounts: Sendable, Equatable {
    /// Files whose result the run wrote with an output.
    public var computed = 0
    /// Files whose result the run wrote with a problem.
    public var failed = 0
    /// Files left out because the store already held their result (`--resume`, `--update`).
    public var reused = 0
    /// `--update`: files the store did not know.
    public var new = 0
    /// `--update`: files whose identity differed from the store's (or whose stored result was a problem).
    public var changed = 0
    /// `--update`: files the store knew that are gone.
    public var vanished = 0

    public init(computed: Int = 0, failed: Int = 0, reused: Int = 0, new: Int = 0, changed: Int = 0, vanished: Int = 0) {
        self.computed = computed
        self.failed = failed
        self.reused = reused
        self.new = new
        self.changed = changed
        self.vanished = vanished
    }
}
