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
    public static func compute(_ bytes: UnsafeRawBufferPointer, into partial: UnsafeMutablePointer<UInt32>) {
        precondition(bytes.count <= Piece.maxBytes, "a piece is at most 64 KiB")
        let counts = ByteHistogram.compute(bytes: bytes)
        for bin in 0..<256 { partial[bin] = UInt32(counts[bin]) }
        let products = adjacentProducts(bytes)
        partial[productsLow] = UInt32(truncatingIfNeeded: products)
        partial[productsHigh] = UInt32(truncatingIfNeeded: products >> 32)
        partial[firstByte] = bytes.isEmpty ? 0 : UInt32(bytes[0])
        partial[lastByte] = bytes.isEmpty ? 0 : UInt32(bytes[bytes.count - 1])
    }

    /// Σ x[i]·x[i+1] over the bytes. Sixteen products at a time in 16-bit lanes (255² fits),
    /// summed in 32-bit lanes: 4096 steps of at most 65 025 each stay below 2³².
    static func adjacentProducts(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard bytes.count >= 2 else { return 0 }
        let pairs = bytes.count - 1
        var sums = SIMD16<UInt32>()
        var index = 0
        while index + 16 <= pairs {
            let left = SIMD16<UInt16>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self))
            let right = SIMD16<UInt16>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: index + 1, as: SIMD16<UInt8>.self))
            sums &+= SIMD16<UInt32>(truncatingIfNeeded: left &* right)
            index += 16
        }
        var total: UInt64 = 0
        for lane in 0..<16 { total += UInt64(sums[lane]) }
        while index < pairs {
            total += UInt64(bytes[index]) * UInt64(bytes[index + 1])
            index += 1
        }
        return total
    }
}
