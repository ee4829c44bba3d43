// The two passes of the typed-statistics kernel over the whole elements of one piece (at most
// 64 KiB), eight elements at a time in float64 lanes. They live in this module, which is
// optimised even in debug builds, so that the test suite's corpora go through optimised code;
// Sources/Sluice/Kernels/Statistics/ holds the rest of the kernel, and StatisticsReference.swift
// there is the scalar spec these passes follow.
//
// Both passes ignore NaN elements: a NaN lane adds 0 to the sums and loses every comparison.
// Sums are taken in blocks of `blockVectors` vectors in plain lanes, each block's lanes then
// added to compensated (two-sum) lane accumulators, and the lanes combined at the end with
// compensation too: the error stays near 32 roundings of the largest terms, not 2048.

/// The element types the statistics lanes read, in their own module's terms (the kernel's
/// `ElementType` maps onto it).
/// This file is compiled into the baseline, AVX2 and AVX-512 modules (each has its own copy of
/// these types), so the library calls the passes through `firstPass(_:count:typeCode:bigEndian:)`
/// and `squaredDeviations(_:count:typeCode:bigEndian:mean:)`, whose signatures hold only standard
/// types; `typeCode` is the case's raw value.
public enum StatisticsLaneType: Int, Sendable {
    case float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64
}

/// What the first pass finds over a piece's elements.
public struct StatisticsFirstPass: Sendable, Equatable {
    /// NaN elements (always 0 for integer types).
    public var nanCount: Int
    /// The smallest and largest non-NaN element, +inf and -inf when there is none. A zero is
    /// +0.0 (never -0.0), so that the result does not depend on which zero came first.
    public var min: Double
    public var max: Double
    /// The sum of the non-NaN elements.
    public var sum: Double
}

/// The statistics passes over raw little- or big-endian elements.
public enum StatisticsLanes {
    /// Vectors of 8 elements per block of plain lane sums.
    static let blockVectors = 32

    /// `firstPass` for the element type whose raw value is `typeCode`, as a tuple.
    public static func firstPass(_ bytes: UnsafeRawPointer, count: Int, typeCode: Int, bigEndian: Bool)
        -> (nanCount: Int, min: Double, max: Double, sum: Double) {
        let pass = firstPass(bytes, count: count, type: StatisticsLaneType(rawValue: typeCode)!, bigEndian: bigEndian)
        return (pass.nanCount, pass.min, pass.max, pass.sum)
    }

    /// `squaredDeviations` for the element type whose raw value is `typeCode`.
    public static func squaredDeviations(_ bytes: UnsafeRawPointer, count: Int, typeCode: Int, bigEndian: Bool,
                                         mean: Double) -> Double {
        squaredDeviations(bytes, count: count, type: StatisticsLaneType(rawValue: typeCode)!, bigEndian: bigEndian, mean: mean)
    }

    /// Counts NaNs, finds the minimum and maximum and sums the non-NaN elements of the first
    /// `count` elements at `bytes` (no alignment needed).
    public static func firstPass(_ bytes: UnsafeRawPointer, count: Int, type: StatisticsLaneType,
                                 bigEndian: Bool) -> StatisticsFirstPass {
        let swap = bigEndian != (1.bigEndian == 1)
        switch type {
        case .float32: return swap ? firstFloat32(bytes, count, Swapped.self) : firstFloat32(bytes, count, Native.self)
        case .float64: return swap ? first(bytes, count, Float64Lanes<Swapped>.self) : first(bytes, count, Float64Lanes<Native>.self)
        case .int8: return first(bytes, count, IntegerLanes<Int8, Native>.self)
        case .uint8: return first(bytes, count, IntegerLanes<UInt8, Native>.self)
        case .int16: return swap ? first(bytes, count, IntegerLanes<Int16, Swapped>.self) : first(bytes, count, IntegerLanes<Int16, Native>.self)
        case .uint16: return swap ? first(bytes, count, IntegerLanes<UInt16, Swapped>.self) : first(bytes, count, IntegerLanes<UInt16, Native>.self)
        case .int32: return swap ? first(bytes, count, IntegerLanes<Int32, Swapped>.self) : first(bytes, count, IntegerLanes<Int32, Native>.self)
        case .uint32: return swap ? first(bytes, count, IntegerLanes<UInt32, Swapped>.self) : first(bytes, count, IntegerLanes<UInt32, Native>.self)
        case .int64: return swap ? first(bytes, count, IntegerLanes<Int64, Swapped>.self) : first(bytes, count, IntegerLanes<Int64, Native>.self)
        case .uint64: return swap ? first(bytes, count, IntegerLanes<UInt64, Swapped>.self) : first(bytes, count, IntegerLanes<UInt64, Native>.self)
        }
    }

    /// Σ (x − mean)² over the non-NaN elements among the first `count` at `bytes`.
    public static func squaredDeviations(_ bytes: UnsafeRawPointer, count: Int, type: StatisticsLaneType,
                                         bigEndian: Bool, mean: Double) -> Double {
        let swap = bigEndian != (1.bigEndian == 1)
        switch type {
        case .float32: return swap ? second(bytes, count, mean, Float32Lanes<Swapped>.self) : second(bytes, count, mean, Float32Lanes<Native>.self)
        case .float64: return swap ? second(bytes, count, mean, Float64Lanes<Swapped>.self) : second(bytes, count, mean, Float64Lanes<Native>.self)
        case .int8: return second(bytes, count, mean, IntegerLanes<Int8, Native>.self)
        case .uint8: return second(bytes, count, mean, IntegerLanes<UInt8, Native>.self)
        case .int16: return swap ? second(bytes, count, mean, IntegerLanes<Int16, Swapped>.self) : second(bytes, count, mean, IntegerLanes<Int16, Native>.self)
        case .uint16: return swap ? second(bytes, count, mean, IntegerLanes<UInt16, Swapped>.self) : second(bytes, count, mean, IntegerLanes<UInt16, Native>.self)
        case .int32: return swap ? second(bytes, count, mean, IntegerLanes<Int32, Swapped>.self) : second(bytes, count, mean, IntegerLanes<Int32, Native>.self)
        case .uint32: return swap ? second(bytes, count, mean, IntegerLanes<UInt32, Swapped>.self) : second(bytes, count, mean, IntegerLanes<UInt32, Native>.self)
        case .int64: return swap ? second(bytes, count, mean, IntegerLanes<Int64, Swapped>.self) : second(bytes, count, mean, IntegerLanes<Int64, Native>.self)
        case .uint64: return swap ? second(bytes, count, mean, IntegerLanes<UInt64, Swapped>.self) : second(bytes, count, mean, IntegerLanes<UInt64, Native>.self)
        }
    }

    // MARK: - The passes, specialised per element type and byte order

    @inline(__always)
    private static func first<E: LaneElement>(_ bytes: UnsafeRawPointer, _ count: Int, _: E.Type) -> StatisticsFirstPass {
        var low = SIMD8<Double>(repeating: .infinity)
        var high = SIMD8<Double>(repeating: -.infinity)
        var nans = SIMD8<Int64>()
        var sums = CompensatedLanes()
        let vectors = count / 8
        var vector = 0
        while vector < vectors {
            let blockEnd = Swift.min(vectors, vector + blockVectors)
            var block = SIMD8<Double>()
            while vector < blockEnd {
                let x = E.load8(bytes + vector * 8 * E.size)
                if E.hasNaN {
                    let isNaN = x .!= x
                    nans &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: isNaN)
                    block += x.replacing(with: 0, where: isNaN)
                } else {
                    block += x
                }
                low = low.replacing(with: x, where: x .< low)
                high = high.replacing(with: x, where: x .> high)
                vector += 1
            }
            sums.add(block)
        }
        let rest = count - vectors * 8
        if rest > 0 {
            // The last 1–7 elements in one vector, padded with NaNs (not counted).
            let x = tail(bytes + vectors * 8 * E.size, rest, E.self)
            let isNaN = x .!= x
            nans &+= SIMD8<Int64>(repeating: 0).replacing(with: 1, where: isNaN)
            nans[0] -= Int64(8 - rest)
            sums.add(x.replacing(with: 0, where: isNaN))
            low = low.replacing(with: x, where: x .< low)
            high = high.replacing(with: x, where: x .> high)
        }
        // + 0.0 turns a -0.0 into +0.0 and leaves every other value as it is.
        return StatisticsFirstPass(nanCount: Int(nans.wrappedSum()), min: low.min() + 0.0, max: high.max() + 0.0,
                                   sum: sums.total())
    }

    /// `first` for float32, with the NaN test and the extremes in float32 lanes (exact: widening
    /// keeps order and values), half the vector work of float64 lanes; only the sums are widened.
    @inline(__always)
    private static func firstFloat32<Order: ByteOrder>(_ bytes: UnsafeRawPointer, _ count: Int,
                                                       _: Order.Type) -> StatisticsFirstPass {
        var low = SIMD8<Float>(repeating: .infinity)
        var high = SIMD8<Float>(repeating: -.infinity)
        var nans = SIMD8<Int32>()
        var sums = CompensatedLanes()
        let vectors = count / 8
        var vector = 0
        while vector < vectors {
            let blockEnd = Swift.min(vectors, vector + blockVectors)
            var block = SIMD8<Double>()
            while vector < blockEnd {
                var words = bytes.loadUnaligned(fromByteOffset: vector * 32, as: SIMD8<UInt32>.self)
                if Order.swaps { words = swapped(words) }
                let x = unsafeBitCast(words, to: SIMD8<Float>.self)
                let isNaN = x .!= x
                nans &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: isNaN)
                block += SIMD8<Double>(x.replacing(with: 0, where: isNaN))
                low = low.replacing(with: x, where: x .< low)
                high = high.replacing(with: x, where: x .> high)
                vector += 1
            }
            sums.add(block)
        }
        var result = StatisticsFirstPass(nanCount: Int(nans.wrappedSum()), min: Double(low.min()),
                                         max: Double(high.max()), sum: 0)
        let rest = count - vectors * 8
        if rest > 0 {
            let x = tail(bytes + vectors * 32, rest, Float32Lanes<Order>.self)
            let isNaN = x .!= x
            result.nanCount += Int(SIMD8<Int64>(repeating: 0).replacing(with: 1, where: isNaN).wrappedSum()) - (8 - rest)
            sums.add(x.replacing(with: 0, where: isNaN))
            let tailLow = x.replacing(with: .infinity, where: isNaN).min()
            let tailHigh = x.replacing(with: -.infinity, where: isNaN).max()
            if tailLow < result.min { result.min = tailLow }
            if tailHigh > result.max { result.max = tailHigh }
        }
        result.min += 0.0
        result.max += 0.0
        result.sum = sums.total()
        return result
    }

    @inline(__always)
    private static func second<E: LaneElement>(_ bytes: UnsafeRawPointer, _ count: Int, _ mean: Double,
                                               _: E.Type) -> Double {
        let center = SIMD8<Double>(repeating: mean)
        var sums = CompensatedLanes()
        let vectors = count / 8
        var vector = 0
        while vector < vectors {
            let blockEnd = Swift.min(vectors, vector + blockVectors)
            var block = SIMD8<Double>()
            while vector < blockEnd {
                let x = E.load8(bytes + vector * 8 * E.size)
                let deviation = x - center
                if E.hasNaN {
                    block += (deviation * deviation).replacing(with: 0, where: x .!= x)
                } else {
                    block += deviation * deviation
                }
                vector += 1
            }
            sums.add(block)
        }
        let rest = count - vectors * 8
        if rest > 0 {
            let x = tail(bytes + vectors * 8 * E.size, rest, E.self)
            let deviation = x - center
            sums.add((deviation * deviation).replacing(with: 0, where: x .!= x))
        }
        return sums.total()
    }

    /// The last `rest` (< 8) elements in lanes 0..<rest, NaN in the others.
    @inline(__always)
    private static func tail<E: LaneElement>(_ bytes: UnsafeRawPointer, _ rest: Int, _: E.Type) -> SIMD8<Double> {
        var x = SIMD8<Double>(repeating: .nan)
        for lane in 0..<rest { x[lane] = E.load1(bytes + lane * E.size) }
        return x
    }
}

/// Eight lane sums with a two-sum compensation term each (Knuth's TwoSum, no branches).
private struct CompensatedLanes {
    var sum = SIMD8<Double>()
    var error = SIMD8<Double>()

    @inline(__always)
    mutating func add(_ value: SIMD8<Double>) {
        let total = sum + value
        let virtual = total - sum
        error += (sum - (total - virtual)) + (value - virtual)
        sum = total
    }

    /// The lanes and their errors added with compensation. Once a lane is infinite or NaN its
    /// error is NaN (∞ − ∞) and meaningless: the total is then the plain sum of the lanes.
    @inline(__always)
    func total() -> Double {
        var total = 0.0
        var correction = 0.0
        for lane in 0..<8 {
            let next = total + sum[lane]
            let virtual = next - total
            correction += (total - (next - virtual)) + (sum[lane] - virtual)
            total = next
            correction += error[lane]
        }
        return total.isFinite ? total + correction : total
    }
}

// MARK: - Loading elements as float64 lanes

/// Whether loaded words are byte-swapped (the data's byte order is not the host's).
private protocol ByteOrder { static var swaps: Bool { get } }
private enum Native: ByteOrder { static var swaps: Bool { false } }
private enum Swapped: ByteOrder { static var swaps: Bool { true } }

/// One element type and byte order, loaded as float64 (exactly, but for 64-bit integers beyond
/// 2⁵³, which round to nearest as numpy's `astype(np.float64)` does).
private protocol LaneElement {
    static var size: Int { get }
    /// Whether an element can be NaN.
    static var hasNaN: Bool { get }
    static func load8(_ bytes: UnsafeRawPointer) -> SIMD8<Double>
    static func load1(_ bytes: UnsafeRawPointer) -> Double
}

private enum Float32Lanes<Order: ByteOrder>: LaneElement {
    static var size: Int { 4 }
    static var hasNaN: Bool { true }

    @inline(__always)
    static func load8(_ bytes: UnsafeRawPointer) -> SIMD8<Double> {
        var words = bytes.loadUnaligned(as: SIMD8<UInt32>.self)
        if Order.swaps { words = swapped(words) }
        return SIMD8<Double>(unsafeBitCast(words, to: SIMD8<Float>.self))
    }

    @inline(__always)
    static func load1(_ bytes: UnsafeRawPointer) -> Double {
        let word = bytes.loadUnaligned(as: UInt32.self)
        return Double(Float(bitPattern: Order.swaps ? word.byteSwapped : word))
    }
}

private enum Float64Lanes<Order: ByteOrder>: LaneElement {
    static var size: Int { 8 }
    static var hasNaN: Bool { true }

    @inline(__always)
    static func load8(_ bytes: UnsafeRawPointer) -> SIMD8<Double> {
        var words = bytes.loadUnaligned(as: SIMD8<UInt64>.self)
        if Order.swaps { words = swapped(words) }
        return unsafeBitCast(words, to: SIMD8<Double>.self)
    }

    @inline(__always)
    static func load1(_ bytes: UnsafeRawPointer) -> Double {
        let word = bytes.loadUnaligned(as: UInt64.self)
        return Double(bitPattern: Order.swaps ? word.byteSwapped : word)
    }
}

private enum IntegerLanes<Scalar: FixedWidthInteger & SIMDScalar, Order: ByteOrder>: LaneElement {
    static var size: Int { MemoryLayout<Scalar>.size }
    static var hasNaN: Bool { false }

    @inline(__always)
    static func load8(_ bytes: UnsafeRawPointer) -> SIMD8<Double> {
        var values = bytes.loadUnaligned(as: SIMD8<Scalar>.self)
        if Order.swaps { for lane in 0..<8 { values[lane] = values[lane].byteSwapped } }
        return SIMD8<Double>(values)
    }

    @inline(__always)
    static func load1(_ bytes: UnsafeRawPointer) -> Double {
        let value = bytes.loadUnaligned(as: Scalar.self)
        return Double(Order.swaps ? value.byteSwapped : value)
    }
}

@inline(__always)
private func swapped(_ words: SIMD8<UInt32>) -> SIMD8<UInt32> {
    let byteMask = SIMD8<UInt32>(repeating: 0xFF00)
    let outer: SIMD8<UInt32> = (words &<< 24) | (words &>> 24)
    let inner: SIMD8<UInt32> = ((words & byteMask) &<< 8) | ((words &>> 8) & byteMask)
    return outer | inner
}

@inline(__always)
private func swapped(_ words: SIMD8<UInt64>) -> SIMD8<UInt64> {
    var result = words
    for lane in 0..<8 { result[lane] = words[lane].byteSwapped }
    return result
}
