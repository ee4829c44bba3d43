import Sluice

/// `sluice audit`: the tree as computed now against the store's `ok` results of one kernel
/// fingerprint, in the terms of `hashdeep -a` (docs/results.md).
public struct StoreAudit: Sendable {
    /// What became of one file.
    public enum Verdict: Sendable, Equatable {
        /// At its stored path with its stored digest.
        case matched
        /// At its stored path with another digest.
        case changed
        /// Not in the store, and its digest is no missing file's.
        case new
        /// In the store, not in the tree (and not moved).
        case missing
        /// Not in the store at this path, with the digest of a stored file that is missing.
        case moved(from: RawPath)
        /// In the tree, but it could not be read (the reason went to stderr).
        case unreadable
    }

    /// Every file's verdict, in path byte order.
    public private(set) var entries: [(path: RawPath, verdict: Verdict)] = []

    /// Compares `found`, the results of the tree's files, with `stored`, the store's rows of the
    /// fingerprint (those under `scope` and `ok` are the known files). Files that are skipped
    /// (special files) or that vanished while the audit read them are not the tree's.
    public init(stored: [StoredResult], found: [FileResult], scope: PathScope) {
        var known: [RawPath: [UInt8]] = [:]
        for row in stored where row.isOK && scope.contains(row.path) { known[row.path] = row.digest ?? [] }
        var verdicts: [(RawPath, Verdict)] = []
        var candidates: [(RawPath, [UInt8])] = []
        var present = Set<RawPath>()
        for result in found {
            if let problem = result.problem {
                if problem.kind == .error || problem.kind == .changed {
                    verdicts.append((result.path, .unreadable))
                    present.insert(result.path)
                }
                continue
            }
            present.insert(result.path)
            let digest = result.digest ?? []
            if let stored = known[result.path] {
                verdicts.append((result.path, stored == digest ? .matched : .changed))
            } else {
                candidates.append((result.path, digest))
            }
        }
        // Missing files, by digest, for the moves: each missing file explains one new path.
        var missingByDigest: [[UInt8]: [RawPath]] = [:]
        for (path, digest) in known where !present.contains(path) { missingByDigest[digest, default: []].append(path) }
        for key in missingByDigest.keys { missingByDigest[key]!.sort(by: >) }
        for (path, digest) in candidates.sorted(by: { $0.0 < $1.0 }) {
            if let from = missingByDigest[digest]?.popLast() {
                verdicts.append((path, .moved(from: from)))
            } else {
                verdicts.append((path, .new))
            }
        }
        for paths in missingByDigest.values { verdicts += paths.map { ($0, .missing) } }
        entries = verdicts.sorted { $0.0 < $1.0 }.map { (path: $0.0, verdict: $0.1) }
    }

    /// How many files had each verdict.
    public struct Counts: Sendable, Equatable {
        public var matched = 0, changed = 0, moved = 0, new = 0, missing = 0, unreadable = 0

        public init(matched: Int = 0, changed: Int = 0, moved: Int = 0, new: Int = 0, missing: Int = 0, unreadable: Int = 0) {
            self.matched = matched
            self.changed = changed
            self.moved = moved
            self.new = new
            self.missing = missing
            self.unreadable = unreadable
        }
    }

    public var counts: Counts {
        var counts = Counts()
        for (_, verdict) in entries {
            switch verdict {
            case .matched: counts.matched += 1
            case .changed: counts.changed += 1
            case .moved: counts.moved += 1
            case .new: counts.new += 1
            case .missing: counts.missing += 1
            case .unreadable: counts.unreadable += 1
            }
        }
        return counts
    }

    /// As `hashdeep -a`: passed when every file matched and every known file was found.
    public var passed: Bool { entries.allSatisfy { $0.verdict == .matched } }
}
