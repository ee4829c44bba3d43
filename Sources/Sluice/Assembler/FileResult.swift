/// What a run says about one file: its digest, or the problem that stopped it.
public struct FileResult: Sendable {
    /// The file's position in the catalog's given order.
    public var index: Int
    /// The path as given or walked.
    public var path: RawPath
    /// Size in bytes as listed (0 when unknown, e.g. a file that could not be listed).
    public var size: UInt64
    /// The digest, or nil when `problem` is set.
    public var digest: [UInt8]?
    /// Why there is no digest.
    public var problem: FileProblem?

    public init(index: Int, path: RawPath, size: UInt64, digest: [UInt8]?, problem: FileProblem?) {
        self.index = index
        self.path = path
        self.size = size
        self.digest = digest
        self.problem = problem
    }

    /// The digest in lowercase hexadecimal.
    public var hexDigest: String? {
        guard let digest else { return nil }
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
