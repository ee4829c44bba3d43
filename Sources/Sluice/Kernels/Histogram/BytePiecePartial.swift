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
                table[Int(first & 0xFF)] &+= 1
                table[256 + Int((first >> 8) & 0xFF)] &+= 1
                table[512 + Int((first >> 16) & 0xFF)] &+= 1
                table[768 + Int((first >> 24) & 0xFF)] &+= 1
                table[1024 + Int(second & 0xFF)] &+= 1
                table[1280 + Int((second >> 8) & 0xFF)] &+= 1
                table[1536 + Int((second >> 16) & 0xFF)] &+= 1
                table[1792 + Int((second >> 24) & 0xFF)] &+= 1
                table[Int((first >> 32) & 0xFF)] &+= 1
                table[256 + Int((first >> 40) & 0xFF)] &+= 1
                table[512 + Int((first >> 48) & 0xFF)] &+= 1
                table[768 + Int(first >> 56)] &+= 1
                table[1024 + Int((second >> 32) & 0xFF)] &+= 1
                table[1280 + Int((second >> 40) & 0xFF)] &+= 1
                table[1536 + Int((second >> 48) & 0xFF)] &+= 1
                table[1792 + Int(second >> 56)] &+= 1
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
