import CSluice

/// The partial of one piece for the byte-histogram kernels (`ByteHistogramKernel`): 260 words.
///
/// Words 0..<256 are the piece's byte counts; 256 and 257 the low and high halves of the sum of
/// the products of adjacent bytes inside the piece (Σ x[i]·x[i+1], for ent's serial
/// correlation); 258 the piece's first byte and 259 its last, so that the products across a
/// boundary between pieces are added when the file's pieces are merged in order. Every word is
/// an exact integer: the CPU and OpenCL (`histogram_pieces` in `Kernels/histogram.cl`) give the
/// same partials, and merging them in any order gives the same counts.
public enum BytePiecePartial {
    /// Words per partial.
    public static let words = 260
    static let productsLow = 256
    static let productsHigh = 257
    static let firstByte = 258
    static let lastByte = 259

    /// Computes the partial of `bytes` (at most `Piece.maxBytes`, so that no count or product
    /// sum overflows its word) into `partial`.
    public static func compute(_ bytes: UnsafeRawBufferPointer, into partial: UnsafeMutablePointer<UInt32>,
                               isa: CPUVectorISA = .baseline) {
        precondition(bytes.count <= Piece.maxBytes, "a piece is at most 64 KiB")
        countBytes(bytes, into: partial)
        let products = adjacentProducts(bytes, isa: isa)
        partial[productsLow] = UInt32(truncatingIfNeeded: products)
        partial[productsHigh] = UInt32(truncatingIfNeeded: products >> 32)
        partial[firstByte] = bytes.isEmpty ? 0 : UInt32(bytes[0])
        partial[lastByte] = bytes.isEmpty ? 0 : UInt32(bytes[bytes.count - 1])
    }

    /// The 256 counts of `bytes` into `counts`, from two 64-bit loads at a time. Eight
    /// sub-tables take the 16 bytes in turn, so that a run of equal bytes does not make each
    /// increment wait for the previous store to the same counter; 32-bit counters, on the stack
    /// (8 KiB, in the L1 cache): at most 65 536 bytes. Measured on a Zen 3 core (C, best of 15,
    /// 64 KiB pieces; docs/performance.md, seventh session): every layout counts random bytes at
    /// 2.9–3.1 GB/s, about one byte a cycle, the limit of one increment per byte; on bytes that
    /// repeat (mostly zeros, text) eight tables over two words did 2.5 and 3.0 GB/s against 1.9
    /// and 2.7 with four tables over one word, and no worse elsewhere.
    static func countBytes(_ bytes: UnsafeRawBufferPointer, into counts: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tableCount * 256) { tables in
            tables.initialize(repeating: 0)
            let table = tables.baseAddress!
            let pairEnd = bytes.count & ~15
            var offset = 0
            while offset < pairEnd {
                let first = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let second = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                // Byte k of each half of the first word into table k, of the second into 4 + k:
                // two increments of one counter are eight apart. (Masking shifts and constant
                // bounds, so that the compiler unrolls it into 16 increments: the disassembly.)
                @inline(__always) func countHalf(from shift: UInt64) {
                    for lane in 0..<4 {
                        let byteShift = shift &+ 8 &* UInt64(lane)
                        table[lane &* 256 &+ Int((first &>> byteShift) & 0xFF)] &+= 1
                        table[(4 &+ lane) &* 256 &+ Int((second &>> byteShift) & 0xFF)] &+= 1
                    }
                }
                countHalf(from: 0)
                countHalf(from: 32)
                offset += 16
            }
            while offset < bytes.count {
                table[Int(bytes[offset])] &+= 1
                offset += 1
            }
            for bin in 0..<256 {
                var sum: UInt32 = 0
                for index in 0..<tableCount { sum &+= table[index * 256 + bin] }
                counts[bin] = sum
            }
        }
    }

    /// Sub-tables of `countBytes`.
    static let tableCount = 8

    /// Σ x[i]·x[i+1] over the bytes (`sluice_adjacent_byte_products`, in C: AVX2 when `isa`
    /// has it, else SSE2).
    static func adjacentProducts(_ bytes: UnsafeRawBufferPointer, isa: CPUVectorISA) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        return sluice_adjacent_byte_products(base.assumingMemoryBound(to: UInt8.self), bytes.count, isa.cLevel)
    }
}
