/// The byte histogram: how often each of the 256 byte values occurs in a buffer. Its partial
/// state merges by adding counts; it is the first kernel with both a CPU and
/// an OpenCL implementation (`Kernels/histogram.cl`, see `ByteHistogram+OpenCL.swift`).
public enum ByteHistogram {
    /// The number of bins: one per byte value.
    public static let binCount = 256

    /// Counts the bytes of `bytes` on the CPU. Returns 256 counts, indexed by byte value.
    ///
    /// Four sub-tables take the four bytes of each 32-bit word: in a run of equal bytes, a single
    /// table would make each increment wait for the previous store to the same counter
    /// (store-to-load forwarding, about 5 cycles each); with four, consecutive increments touch
    /// different counters. The tables are summed at the end.
    public static func compute(bytes: UnsafeRawBufferPointer) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: binCount)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4 * binCount) { tables in
            tables.initialize(repeating: 0)
            let table = tables.baseAddress!
            let wordEnd = bytes.count & ~3
            var offset = 0
            while offset < wordEnd {
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                table[Int(word & 0xFF)] &+= 1
                table[256 + Int((word >> 8) & 0xFF)] &+= 1
                table[512 + Int((word >> 16) & 0xFF)] &+= 1
                table[768 + Int(word >> 24)] &+= 1
                offset += 4
            }
            while offset < bytes.count {
                table[Int(bytes[offset])] &+= 1
                offset += 1
            }
            for bin in 0..<binCount {
                counts[bin] = table[bin] &+ table[256 + bin] &+ table[512 + bin] &+ table[768 + bin]
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
