import Foundation

/// The byte counts of a span of a file (the file, or one of its frames), merged from its
/// pieces' partials, and the figures `ent` reports, computed from them.
///
/// Counts merge by addition, so the merged counts, and every figure computed from them on the
/// host, are the same whatever the order the pieces arrived in and the devices that counted them.
struct ByteTally: Sendable {
    /// Count of each byte value.
    var counts = [UInt64](repeating: 0, count: 256)
    /// Σ x[i]·x[i+1] inside the pieces.
    var innerProducts: UInt64 = 0
    /// Each piece's place and end bytes, for the products across piece boundaries.
    var edges: [Edge] = []

    struct Edge: Sendable {
        var offset: UInt64
        var first: UInt8
        var last: UInt8
    }

    /// Adds one piece's partial (`BytePiecePartial`).
    mutating func add(_ piece: Piece, partial: UnsafePointer<UInt32>) {
        for bin in 0..<256 { counts[bin] &+= UInt64(partial[bin]) }
        innerProducts &+= UInt64(partial[BytePiecePartial.productsLow]) | UInt64(partial[BytePiecePartial.productsHigh]) << 32
        guard piece.length > 0 else { return }
        edges.append(Edge(offset: piece.fileOffset, first: UInt8(partial[BytePiecePartial.firstByte]),
                          last: UInt8(partial[BytePiecePartial.lastByte])))
    }

    /// Bytes counted.
    var total: UInt64 { counts.reduce(0, &+) }

    /// Shannon entropy in bits per byte, −Σ p·log₂p over the byte values that occur
    /// (p = count / total), summed in byte-value order; 0 for no bytes.
    var entropy: Double {
        let total = Double(self.total)
        guard total > 0 else { return 0 }
        var sum = 0.0
        for count in counts where count > 0 {
            let p = Double(count) / total
            sum -= p * log2(p)
        }
        return sum
    }

    /// `ent`'s chi-square against uniform bytes, Σ (count − total/256)² / (total/256), from the
    /// exact integer 256·Σcount² − total²; nil for no bytes.
    var chiSquare: Double? {
        let total = self.total
        guard total > 0 else { return nil }
        var squares: UInt128 = 0
        for count in counts { squares += UInt128(count) * UInt128(count) }
        let numerator = Int128(squares * 256) - Int128(total) * Int128(total)
        return Double(numerator) / Double(total)
    }

    /// The arithmetic mean of the bytes; nil for no bytes.
    var mean: Double? {
        let total = self.total
        guard total > 0 else { return nil }
        var sum: UInt128 = 0
        for (value, count) in counts.enumerated() { sum += UInt128(value) * UInt128(count) }
        return Double(sum) / Double(total)
    }

    /// `ent`'s serial correlation coefficient: of each byte with the next, the last byte paired
    /// with the first, (n·Σx[i]x[i+1] − (Σx)²) / (n·Σx² − (Σx)²) from exact integers; nil where
    /// `ent` prints "undefined" (no bytes, or all bytes equal).
    var serialCorrelation: Double? {
        let total = self.total
        guard total > 0 else { return nil }
        let sorted = edges.sorted { $0.offset < $1.offset }
        var products = UInt128(innerProducts)
        for index in sorted.indices.dropFirst() {
            products += UInt128(sorted[index - 1].last) * UInt128(sorted[index].first)
        }
        products += UInt128(sorted.last!.last) * UInt128(sorted.first!.first)
        var sum: UInt128 = 0
        var squares: UInt128 = 0
        for (value, count) in counts.enumerated() {
            sum += UInt128(value) * UInt128(count)
            squares += UInt128(value * value) * UInt128(count)
        }
        let n = Int128(total)
        let denominator = n * Int128(squares) - Int128(sum) * Int128(sum)
        guard denominator != 0 else { return nil }
        return Double(n * Int128(products) - Int128(sum) * Int128(sum)) / Double(denominator)
    }
}
