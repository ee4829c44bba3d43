/// The byte histogram: how often each of the 256 byte values occurs in a buffer. Its partial
/// state merges by adding counts; it is the first kernel with both a CPU and
/// an OpenCL implementation (`Kernels/histogram.cl`, see `ByteHistogram+OpenCL.swift`).
public enum ByteHistogram {
    /// The number of bins: one per byte value.
    public static let binCount = 256

    /// Counts the bytes of `bytes` on the CPU. Returns 256 counts, indexed by byte value:
    /// the histogram kernel's counting (`BytePiecePartial.countBytes`), 64 KiB at a time.
    public static func compute(bytes: UnsafeRawBufferPointer) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: binCount)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: binCount) { piece in
            var offset = 0
            while offset < bytes.count {
                let length = min(Piece.maxBytes, bytes.count - offset)
                BytePiecePartial.countBytes(UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + length]),
                                            into: piece.baseAddress!)
                for bin in 0..<binCount { counts[bin] &+= UInt64(piece[bin]) }
                offset += length
            }
        }
        return counts
    }

    /// Adds the counts of `other` into `counts`: the merge of two adjacent partials.
    public static func merge(_ counts: inout [UInt64], _ other: [UInt64]) {
        precondition(counts.count == binCount && other.count == binCount, "a histogram has 256 bins")
        for bin in 0..<binCount {
            counts[bin] &+= other[bin]
        }
    }
}
