import Foundation

/// The deterministic corpora of `sluice bench`: the same files (names, sizes, bytes) on every
/// run and machine, generated once into a cache folder.
public struct BenchCorpus: Sendable {
    /// The corpus's name (`std8k`, `tiny`, `huge`).
    public let name: String
    /// One file per entry: relative path and size.
    public let files: [(path: String, size: Int)]

    /// Total bytes.
    public var totalBytes: Int { files.reduce(0) { $0 + $1.size } }

    /// The named corpus, or nil.
    public static func named(_ name: String) -> BenchCorpus? {
        switch name {
        case "std8k": return std8k()
        case "tiny": return tiny()
        case "huge": return huge()
        default: return nil
        }
    }

    /// All names, in the order the bench runs them.
    public static let names = ["std8k", "tiny", "huge"]

    /// 8000 files, log-normal sizes (median 64 KiB, sigma 1.3, capped at 32 MiB), in 40 folders.
    public static func std8k() -> BenchCorpus {
        var generator = SplitMix64(seed: 8000)
        let files = (0..<8000).map { index -> (String, Int) in
            // Box–Muller from two uniform draws.
            let u1 = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-12)
            let u2 = Double(generator.next() >> 11) / Double(1 << 53)
            let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            let size = min(32 << 20, Int(65536 * exp(1.3 * normal)))
            return (String(format: "d%02d/f%05d.bin", index % 40, index), size)
        }
        return BenchCorpus(name: "std8k", files: files)
    }

    /// 20000 files of 4 KiB, in 20 folders.
    public static func tiny() -> BenchCorpus {
        BenchCorpus(name: "tiny", files: (0..<20000).map { (String(format: "d%02d/t%05d.bin", $0 % 20, $0), 4096) })
    }

    /// 2 files of 1 GiB.
    public static func huge() -> BenchCorpus {
        BenchCorpus(name: "huge", files: [("h0.bin", 1 << 30), ("h1.bin", 1 << 30)])
    }

    /// The corpus's folder under `cache`, generating it first if it is missing or incomplete.
    /// - Parameter log: progress messages.
    public func materialise(in cache: URL, log: (String) -> Void) throws -> URL {
        let root = cache.appendingPathComponent(name)
        let marker = cache.appendingPathComponent("\(name).complete")
        let signature = "\(files.count) \(totalBytes) v1"
        if let existing = try? String(contentsOf: marker, encoding: .utf8), existing == signature { return root }
        log("sluice bench: generating corpus \(name) (\(files.count) files, \(RunSummary.formatBytes(UInt64(totalBytes)))) in \(root.path)")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var generator = SplitMix64(seed: UInt64(truncatingIfNeeded: name.hashValueStable))
        let chunk = 1 << 20
        var buffer = [UInt64](repeating: 0, count: chunk / 8)
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: url.path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            var left = file.size
            while left > 0 {
                let count = min(left, chunk)
                for index in 0..<((count + 7) / 8) { buffer[index] = generator.next() }
                try buffer.withUnsafeBytes { try handle.write(contentsOf: Data($0.prefix(count))) }
                left -= count
            }
            try handle.close()
        }
        try signature.write(to: marker, atomically: true, encoding: .utf8)
        return root
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 { Shard.fnv1a64(Array(utf8)) }
}
