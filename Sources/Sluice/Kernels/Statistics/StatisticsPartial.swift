import SIMDKernels

/// The partial of one piece for the statistics kernel: 16 words (64 bytes), eight 64-bit fields,
/// each as its low word then its high word.
///
/// | words | field |
/// | --- | --- |
/// | 0–1 | elements: the piece's whole elements, NaNs included (UInt64) |
/// | 2–3 | NaN elements (UInt64; 0 for integer types) |
/// | 4–5 | minimum of the non-NaN elements (float64 bits; +inf when there is none) |
/// | 6–7 | maximum of the non-NaN elements (float64 bits; -inf when there is none) |
/// | 8–9 | sum of the non-NaN elements (float64 bits) |
/// | 10–11 | their mean, sum / n (float64 bits; 0 when n = 0) |
/// | 12–13 | M2 = Σ (x − mean)² over them (float64 bits) |
/// | 14–15 | trailing bytes: bytes after the last whole element (UInt64) |
///
/// The CPU (`compute`) and `stats_pieces` (`Kernels/stats.cl`) give the same counts, minimum and
/// maximum (a zero extreme is +0.0 on both); sum, mean and M2 agree to rounding.
public struct StatisticsPartial: Sendable, Equatable {
    /// Words per partial.
    public static let words = 16

    /// Whole elements, NaNs included.
    public var elements: UInt64
    public var nanCount: UInt64
    /// Extremes of the non-NaN elements (+inf and -inf when there is none).
    public var min: Double
    public var max: Double
    /// Sum, mean and Σ (x − mean)² of the non-NaN elements.
    public var sum: Double
    public var mean: Double
    public var m2: Double
    /// Bytes after the last whole element.
    public var trailingBytes: UInt64

    /// The elements the figures are over (the non-NaN ones).
    public var valueCount: UInt64 { elements - nanCount }

    /// Reads a partial from its 16 words.
    public init(words partial: UnsafePointer<UInt32>) {
        func field(_ index: Int) -> UInt64 { UInt64(partial[2 * index]) | UInt64(partial[2 * index + 1]) << 32 }
        elements = field(0)
        nanCount = field(1)
        min = Double(bitPattern: field(2))
        max = Double(bitPattern: field(3))
        sum = Double(bitPattern: field(4))
        mean = Double(bitPattern: field(5))
        m2 = Double(bitPattern: field(6))
        trailingBytes = field(7)
    }

    /// A partial from its fields.
    public init(elements: UInt64, nanCount: UInt64, min: Double, max: Double, sum: Double, mean: Double, m2: Double,
                trailingBytes: UInt64) {
        self.elements = elements
        self.nanCount = nanCount
        self.min = min
        self.max = max
        self.sum = sum
        self.mean = mean
        self.m2 = m2
        self.trailingBytes = trailingBytes
    }

    /// Writes the partial's 16 words.
    public func write(to partial: UnsafeMutablePointer<UInt32>) {
        func put(_ index: Int, _ field: UInt64) {
            partial[2 * index] = UInt32(truncatingIfNeeded: field)
            partial[2 * index + 1] = UInt32(truncatingIfNeeded: field >> 32)
        }
        put(0, elements)
        put(1, nanCount)
        put(2, min.bitPattern)
        put(3, max.bitPattern)
        put(4, sum.bitPattern)
        put(5, mean.bitPattern)
        put(6, m2.bitPattern)
        put(7, trailingBytes)
    }

    /// Computes the partial of one piece's bytes on this CPU: a first pass for the counts,
    /// extremes and sum, then, with the mean known, a second for M2 (the piece is at most 64 KiB,
    /// so the second pass reads it from the cache).
    public static func compute(_ bytes: UnsafeRawBufferPointer, type: ElementType, bigEndian: Bool,
                               isa: CPUVectorISA = .baseline) -> StatisticsPartial {
        precondition(bytes.count <= Piece.maxBytes, "a piece is at most 64 KiB")
        let elements = bytes.count / type.byteSize
        let trailing = UInt64(bytes.count - elements * type.byteSize)
        guard elements > 0, let base = bytes.baseAddress else {
            return StatisticsPartial(elements: 0, nanCount: 0, min: .infinity, max: -.infinity, sum: 0, mean: 0, m2: 0,
                                     trailingBytes: trailing)
        }
        let first = StatisticsPasses.firstPass(base, count: elements, type: type, bigEndian: bigEndian, isa: isa)
        let values = elements - first.nanCount
        let mean = values > 0 ? first.sum / Double(values) : 0
        let m2 = values > 0
            ? StatisticsPasses.squaredDeviations(base, count: elements, type: type, bigEndian: bigEndian, mean: mean, isa: isa)
            : 0
        return StatisticsPartial(elements: UInt64(elements), nanCount: UInt64(first.nanCount), min: first.min,
                                 max: first.max, sum: first.sum, mean: mean, m2: m2, trailingBytes: trailing)
    }
}
