import ArgumentParser
import Foundation
import Sluice

/// The BLAKE3 mode options shared by `run` and `check`: b3sum's `--keyed` and `--derive-key`.
struct HashModeOptions: ParsableArguments {
    @Flag(name: .long, help: "BLAKE3 keyed mode; the 32-byte key is read from --key-file, or else from standard input (as b3sum).")
    var keyed = false

    @Option(name: .long, help: "File holding the 32-byte key for --keyed.")
    var keyFile: String?

    @Option(name: .long, help: "BLAKE3 key derivation with this context string (b3sum --derive-key).")
    var deriveKey: String?

    func validate() throws {
        if keyed && deriveKey != nil { throw ValidationError("--keyed and --derive-key exclude each other") }
        if keyFile != nil && !keyed { throw ValidationError("--key-file needs --keyed") }
    }

    /// The mode with `length` output bytes; reads the key now.
    func mode(length: Int) throws -> BLAKE3Mode {
        if keyed {
            let key: Data
            if let keyFile {
                key = try readWholeFile(RawArguments.recover([keyFile])[0])
            } else {
                key = FileHandle.standardInput.readDataToEndOfFile()
            }
            do {
                return try .keyed(key: Array(key), outputLength: length)
            } catch {
                throw SetupError("\(error)")
            }
        }
        if let deriveKey { return .deriveKey(context: deriveKey, outputLength: length) }
        return .hash(outputLength: length)
    }
}
