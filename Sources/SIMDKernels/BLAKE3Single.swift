// BLAKE3 on one input at a time, with the state held as four SIMD4 rows (columns, then the
// diagonals after rotating rows 1–3), the usual single-input SIMD layout. Used for what does not
// fill lanes: a file's last, partial chunk, a single-chunk file, and root outputs.

/// Single-input BLAKE3 compressions over raw memory, for one instruction set.
public enum BLAKE3Single {
    /// The full 16-word output of one compression, written to `output`.
    /// - Parameters:
    ///   - chainingValue: 8 words.
    ///   - block: 16 message words.
    public static func compress(
        chainingValue: UnsafePointer<UInt32>, block: UnsafePointer<UInt32>, counter: UInt64,
        blockLength: UInt32, flags: UInt32, output: UnsafeMutablePointer<UInt32>
    ) {
        let rows = compressRows(chainingValue, block, counter, blockLength, flags)
        let cv0 = SIMD4(chainingValue[0], chainingValue[1], chainingValue[2], chainingValue[3])
        let cv1 = SIMD4(chainingValue[4], chainingValue[5], chainingValue[6], chainingValue[7])
        store(rows.0 ^ rows.2, output)
        store(rows.1 ^ rows.3, output + 4)
        store(rows.2 ^ cv0, output + 8)
        store(rows.3 ^ cv1, output + 12)
    }

    /// Processes a chunk of `length` bytes (0…1024) up to its last block.
    ///
    /// Writes the chaining value that enters the last block to `state[0..<8]` and the last
    /// block's words (zero-padded) to `state[8..<24]`, and returns the last block's length and
    /// flags. Compressing that state gives the chunk's chaining value, or, with ROOT, the
    /// output of a single-chunk message.
    @discardableResult
    public static func chunkState(
        input: UnsafeRawPointer, length: Int, counter: UInt64, key: UnsafePointer<UInt32>, flags: UInt32,
        state: UnsafeMutablePointer<UInt32>
    ) -> (blockLength: UInt32, flags: UInt32) {
        for i in 0..<8 { state[i] = key[i] }
        var offset = 0
        var blockIndex = 0
        let block = state + 8
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { next in
            while length - offset > 64 {
                loadBlock(input + offset, 64, block)
                let blockFlags = flags | (blockIndex == 0 ? 1 : 0)
                compress(chainingValue: state, block: block, counter: counter, blockLength: 64, flags: blockFlags,
                         output: next.baseAddress!)
                for i in 0..<8 { state[i] = next[i] }
                offset += 64
                blockIndex += 1
            }
        }
        let lastLength = length - offset
        loadBlock(input + offset, lastLength, block)
        return (UInt32(lastLength), flags | 2 | (blockIndex == 0 ? 1 : 0))
    }

    /// The chaining value of a non-root chunk of 1…1024 bytes, written to `output[0..<8]`.
    public static func chunkChainingValue(
        input: UnsafeRawPointer, length: Int, counter: UInt64, key: UnsafePointer<UInt32>, flags: UInt32,
        output: UnsafeMutablePointer<UInt32>
    ) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 24 + 16) { scratch in
            let state = scratch.baseAddress!
            let last = chunkState(input: input, length: length, counter: counter, key: key, flags: flags, state: state)
            compress(chainingValue: state, block: state + 8, counter: counter, blockLength: last.blockLength,
                     flags: last.flags, output: state + 24)
            for i in 0..<8 { output[i] = state[24 + i] }
        }
    }
}

@inline(__always)
func loadBlock(_ source: UnsafeRawPointer, _ length: Int, _ words: UnsafeMutablePointer<UInt32>) {
    if length == 64 {
        for i in 0..<16 { words[i] = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        return
    }
    for i in 0..<16 { words[i] = 0 }
    let bytes = UnsafeMutableRawPointer(words)
    bytes.copyMemory(from: source, byteCount: length)
    for i in 0..<16 { words[i] = UInt32(littleEndian: words[i]) }
}

@inline(__always)
func store(_ row: SIMD4<UInt32>, _ destination: UnsafeMutablePointer<UInt32>) {
    destination[0] = row[0]; destination[1] = row[1]; destination[2] = row[2]; destination[3] = row[3]
}

/// The message schedule: the word order of each round (round r is the permutation applied r times).
let messageSchedule: [[Int]] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8],
    [3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1],
    [10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6],
    [12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4],
    [9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7],
    [11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13],
]

@inline(__always)
func gRows(_ a: inout SIMD4<UInt32>, _ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>,
           _ mx: SIMD4<UInt32>, _ my: SIMD4<UInt32>) {
    g(&a, &b, &c, &d, mx, my)
}

@inline(__always)
func compressRows(
    _ cv: UnsafePointer<UInt32>, _ m: UnsafePointer<UInt32>, _ counter: UInt64, _ blockLength: UInt32, _ flags: UInt32
) -> (SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>) {
    var row0 = SIMD4(cv[0], cv[1], cv[2], cv[3])
    var row1 = SIMD4(cv[4], cv[5], cv[6], cv[7])
    var row2 = SIMD4(iv0, iv1, iv2, iv3)
    var row3 = SIMD4(UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags)
    for round in 0..<7 {
        let s = messageSchedule[round]
        gRows(&row0, &row1, &row2, &row3, SIMD4(m[s[0]], m[s[2]], m[s[4]], m[s[6]]),
              SIMD4(m[s[1]], m[s[3]], m[s[5]], m[s[7]]))
        // Diagonalise: rotate rows 1, 2, 3 left by 1, 2, 3 lanes.
        row1 = SIMD4(row1[1], row1[2], row1[3], row1[0])
        row2 = SIMD4(row2[2], row2[3], row2[0], row2[1])
        row3 = SIMD4(row3[3], row3[0], row3[1], row3[2])
        gRows(&row0, &row1, &row2, &row3, SIMD4(m[s[8]], m[s[10]], m[s[12]], m[s[14]]),
              SIMD4(m[s[9]], m[s[11]], m[s[13]], m[s[15]]))
        row1 = SIMD4(row1[3], row1[0], row1[1], row1[2])
        row2 = SIMD4(row2[2], row2[3], row2[0], row2[1])
        row3 = SIMD4(row3[1], row3[2], row3[3], row3[0])
    }
    return (row0, row1, row2, row3)
}
