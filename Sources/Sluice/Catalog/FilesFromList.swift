#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a `--files-from` list: paths separated by newlines or NUL bytes.
enum FilesFromList {
    /// The entries of the list at `source` (`-`: standard input), in file order, empty entries
    /// dropped. With newline separation a trailing `\r` is kept: it is a legal name byte.
    static func read(from source: RawPath, nulSeparated: Bool) throws(CatalogSetupError) -> [RawPath] {
        let data: [UInt8]
        do {
            data = try readAll(source)
        } catch {
            throw CatalogSetupError(message: "cannot read the --files-from list \(source): \(error)")
        }
        return split(data, nulSeparated: nulSeparated)
    }

    /// Splits list bytes into paths.
    static func split(_ data: [UInt8], nulSeparated: Bool) -> [RawPath] {
        let separator: UInt8 = nulSeparated ? 0 : UInt8(ascii: "\n")
        return data.split(separator: separator, omittingEmptySubsequences: true).map { RawPath(bytes: $0) }
    }

    /// The whole content of `source`, or of standard input for `-`.
    private static func readAll(_ source: RawPath) throws(SystemCallError) -> [UInt8] {
        let isStandardInput = source.bytes == [UInt8(ascii: "-")]
        let fd = isStandardInput ? STDIN_FILENO : try SystemCall.open(source, flags: O_RDONLY | O_CLOEXEC | O_NOCTTY)
        defer { if !isStandardInput { SystemCall.close(fd) } }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .current("read")
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0 ..< count])
        }
    }
}

/// A failure before any file is listed (an unreadable `--files-from` list): exit code 2.
public struct CatalogSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for the user.
    public var message: String
    /// Wraps a message.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
