import Foundation
import Sluice

/// The results a store holds for one kernel fingerprint, used before any read to leave out
/// the files whose result is already there (`--resume`, `--update`), and to tell what changed.
///
/// `keep` is the catalog's filter (`CatalogFilter`): called once per listed job, on the walk's
/// thread, it returns false for a file whose identity (path, size, mtime, device, inode) is the
/// one of an `ok` row, and notes what it decided.
public final class StoredFiles: @unchecked Sendable {
    /// What `keep` decided for one job.
    public enum Verdict: String, Sendable {
        /// The store holds an `ok` result for this identity: left out.
        case unchanged
        /// The store holds a row for the path, but for another identity, or a problem.
        case changed
        /// The store holds nothing for the path (or a result marked vanished).
        case new
        /// A stream (`-`, a FIFO named as an argument): always read, never compared.
        case stream
    }

    private let stored: [RawPath: StoredResult]
    private let lock = NSLock()
    private var verdicts: [(path: RawPath, verdict: Verdict)] = []
    private var seen = Set<RawPath>()

    /// Loads the rows of `fingerprint`.
    public init(store: ResultsStore, fingerprint: KernelFingerprint) throws {
        stored = try store.identities(fingerprint: fingerprint.text)
    }

    /// The decision for `job`, noted.
    public func keep(_ job: FileJob) -> Bool {
        let verdict: Verdict
        if job.isStream {
            verdict = .stream
        } else if let row = stored[job.path], row.status != "vanished" {
            verdict = row.isOK && row.sameIdentity(as: job) ? .unchanged : .changed
        } else {
            verdict = .new
        }
        lock.lock()
        verdicts.append((job.path, verdict))
        seen.insert(job.path)
        lock.unlock()
        return verdict != .unchanged
    }

    /// The filter to give the catalog.
    public var filter: CatalogFilter { { [self] in self.keep($0) } }

    /// Every decision so far, in listing order.
    public var decisions: [(path: RawPath, verdict: Verdict)] {
        lock.lock()
        defer { lock.unlock() }
        return verdicts
    }

    /// The stored files (rows not already marked vanished) that the walk did not list and that
    /// are gone: under one of `roots` (the paths named; each itself or a path below it), in
    /// `shard` if any, and no longer there for `lstat` (so a file left out by `--exclude` or
    /// one that could not be listed is not taken for vanished). In path order.
    public func vanished(roots: [RawPath], shard: Shard?) -> [RawPath] {
        lock.lock()
        let seen = self.seen
        lock.unlock()
        let scope = PathScope(roots: roots)
        return stored.values
            .filter { $0.status != "vanished" && $0.size != nil && !seen.contains($0.path) && scope.contains($0.path)
                && (shard?.contains($0.path) ?? true) && Self.isGone($0.path) }
            .map(\.path).sorted()
    }

    /// Whether `lstat` says there is no such file (ENOENT, ENOTDIR).
    static func isGone(_ path: RawPath) -> Bool {
        var status = stat()
        let result = path.withCString { lstat($0, &status) }
        return result != 0 && (errno == ENOENT || errno == ENOTDIR)
    }
}
