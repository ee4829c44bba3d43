/// The layout of one file of `ProgramBinaryCache`: a fixed header, then the driver's binary.
///
/// | Offset | Bytes | Field |
/// | --- | --- | --- |
/// | 0 | 8 | magic `SLUICEPB` |
/// | 8 | 4 | format version (little-endian) |
/// | 12 | 4 | header length, 88 (little-endian) |
/// | 16 | 8 | binary length (little-endian) |
/// | 24 | 32 | the entry's key (the digest the file is named by) |
/// | 56 | 32 | BLAKE3 of the binary |
/// | 88 | length | the binary |
///
/// Files are renamed into place whole, so a short or damaged file means a disk fault, a copy
/// gone wrong or another writer's bug; whatever the cause, `decode` refuses it rather than hand a
/// driver bytes it may crash on. The key in the header catches a file copied under another
/// entry's name.
enum ProgramBinaryFile {
    /// Bumped whenever the header or the key's fields change; it is part of the key too, so
    /// entries of another format are never even opened.
    static let formatVersion: UInt32 = 1
    static let magic = Array("SLUICEPB".utf8)
    static let headerLength = 88
    /// The largest binary stored or read back. PoCL's and NVIDIA's binaries of sluice's kernels
    /// are well under a megabyte; this bound only keeps a bad header from allocating gigabytes.
    static let maxBinaryLength = 256 << 20

    /// The header and `binary`, ready to be written.
    static func encode(binary: [UInt8], key: ProgramBinaryCache.Key) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(headerLength + binary.count)
        append(formatVersion, to: &bytes)
        append(UInt32(headerLength), to: &bytes)
        append(UInt64(binary.count), to: &bytes)
        bytes += key.bytes
        bytes += digest(of: binary)
        bytes += binary
        return bytes
    }

    /// The binary held in `bytes`, a whole file; nil unless the magic, version, header length,
    /// key, length and digest all match.
    static func decode(_ bytes: [UInt8], key: ProgramBinaryCache.Key) -> [UInt8]? {
        guard bytes.count > headerLength, bytes.count - headerLength <= maxBinaryLength,
              Array(bytes[0..<8]) == magic,
              load(UInt32.self, from: bytes, at: 8) == formatVersion,
              load(UInt32.self, from: bytes, at: 12) == UInt32(headerLength),
              load(UInt64.self, from: bytes, at: 16) == UInt64(bytes.count - headerLength),
              Array(bytes[24..<56]) == key.bytes else { return nil }
        let binary = Array(bytes[headerLength...])
        guard Array(bytes[56..<88]) == digest(of: binary) else { return nil }
        return binary
    }

    /// The 32-byte BLAKE3 digest of `bytes`, computed by the project's own CPU kernels.
    static func digest(of bytes: [UInt8]) -> [UInt8] {
        var hasher = BLAKE3BufferHasher(isa: .detected)
        return hasher.hash([bytes], mode: .hash())[0]
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
