#if canImport(Glibc)
import Glibc
#endif
import Sluice

/// The exact bytes of command-line arguments.
///
/// Swift decodes `argv` as UTF-8, replacing invalid bytes with U+FFFD, so a file name that is
/// not UTF-8 would be lost on its way through ArgumentParser. Each parsed path is matched back,
/// in order, to the first unused raw argument that decodes to the same string.
enum RawArguments {
    static func recover(_ parsed: [String]) -> [RawPath] {
        let raw: [RawPath] = (1..<Int(CommandLine.argc)).map { index in
            let pointer = CommandLine.unsafeArgv[index]!
            return RawPath(bytes: UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                      count: strlen(pointer)))
        }
        var used = Array(repeating: false, count: raw.count)
        var searchFrom = 0
        return parsed.map { text in
            for index in searchFrom..<raw.count where !used[index] && raw[index].description == text {
                used[index] = true
                searchFrom = index + 1
                return raw[index]
            }
            return RawPath(text)
        }
    }
}
