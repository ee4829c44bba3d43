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

    /// The 256 counts of `bytes` into `counts`, from 64-bit loads. Four sub-tables take the
    /// word's bytes in turn, so that a run of equal bytes does not make each increment wait for
    /// the previous store to the same counter (eight tables measured no faster); 32-bit
    /// counters, on the stack: at most 65 536 bytes.
    static func countBytes(_ bytes: UnsafeRawBufferPointer, into counts: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: tableCount * 256) { tables in
            tables.initialize(repeating: 0)
            let table = tables.baseAddress!
            let wordEnd = bytes.count & ~7
            var offset = 0
            while offset < wordEnd {
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                table[Int(word & 0xFF)] &+= 1
                table[256 + Int((word >> 8) & 0xFF)] &+= 1
                table[512 + Int((word >> 16) & 0xFF)] &+= 1
                table[768 + Int((word >> 24) & 0xFF)] &+= 1
                table[Int((word >> 32) & 0xFF)] &+= 1
                table[256 + Int((word >> 40) & 0xFF)] &+= 1
                table[512 + Int((word >> 48) & 0xFF)] &+= 1
                table[768 + Int(word >> 56)] &+= 1
                offset += 8
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

    /// Sub-tables of `countBytes` (4 KiB, in the L1 cache).
    static let tableCount = 4

    /// Σ x[i]·x[i+1] over the bytes (`sluice_adjacent_byte_products`, in C: AVX2 when `isa`
    /// has it, else SSE2).
    static func adjacentProducts(_ bytes: UnsafeRawBufferPointer, isa: CPUVectorISA) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        return sluice_adjacent_byte_products(base.assumingMemoryBound(to: UInt8.self), bytes.count, isa.cLevel)
    }
}
