/// A file's frames as a numpy `.npy` file (format version 1.0): one structured array with a
/// record per frame, fields `frame`, `offset`, `length`, then the kernel's figures in the order
/// of its members (float64 `<f8`, NaN where a figure is null; integers `<i8`/`<u8`; the
/// histogram's counts a `<u8` sub-array of 256). `numpy.load(path)` reads it.
public enum FramesNPY {
    /// The `.npy` file's bytes.
    public static func bytes(of frames: [FrameOutput]) -> [UInt8] {
        var columns: [(key: String, type: String, width: Int)] = [("frame", "<i8", 1), ("offset", "<u8", 1), ("length", "<u8", 1)]
        for member in frames.first?.members ?? [] {
            switch member.value {
            case .integer: columns.append((member.key, "<i8", 1))
            case .unsigned: columns.append((member.key, "<u8", 1))
            case .number, .null: columns.append((member.key, "<f8", 1))
            case .unsignedArray(let values): columns.append((member.key, "<u8", values.count))
            case .string: continue
            }
        }
        let fields = columns.map { column in
            column.width == 1 ? "('\(column.key)', '\(column.type)')" : "('\(column.key)', '\(column.type)', (\(column.width),))"
        }
        var header = "{'descr': [\(fields.joined(separator: ", "))], 'fortran_order': False, 'shape': (\(frames.count),), }"
        // The magic string, version, header length and header make a multiple of 64 bytes,
        // the header ending in a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let headerLength = UInt16(header.utf8.count)
        bytes += [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        bytes += header.utf8
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        for frame in frames {
            append(Int64(frame.index))
            append(frame.offset)
            append(frame.length)
            for column in columns.dropFirst(3) {
                let value = frame.members.first { $0.key == column.key }?.value ?? .null
                switch (column.type, value) {
                case ("<i8", .integer(let number)): append(number)
                case ("<u8", .unsigned(let number)): append(number)
                case ("<f8", .number(let number)): append(number.bitPattern)
                case ("<f8", _): append(Double.nan.bitPattern)
                case ("<u8", .unsignedArray(let values)):
                    for index in 0..<column.width { append(index < values.count ? values[index] : 0) }
                default:
                    for _ in 0..<column.width { append(UInt64(0)) }
                }
            }
        }
        return bytes
    }
}
