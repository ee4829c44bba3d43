/// The statistics kernel's figures computed the plain way, one element at a time over a whole
/// buffer: the spec that `StatisticsLanes` (CPU), `stats_pieces` (OpenCL) and the piece merge
/// follow, and the tests' oracle beside numpy.
///
/// Each element is read as float64; NaNs are counted and left out of everything else; the sum
/// and the sum of squared deviations from the mean are Neumaier-compensated; a zero extreme is
/// +0.0.
public enum StatisticsReference {
    /// The figures of `bytes` read as elements of `type`.
    public static func figures(_ bytes: UnsafeRawBufferPointer, type: ElementType, bigEndian: Bool) -> StatisticsFigures {
        let size = type.byteSize
        let count = bytes.count / size
        var nanCount: UInt64 = 0
        var low = Double.infinity
        var high = -Double.infinity
        var sum = NeumaierSum()
        for index in 0..<count {
            let x = element(bytes, index, type, bigEndian)
            if x.isNaN {
                nanCount += 1
                continue
            }
            if x < low { low = x }
            if x > high { high = x }
            sum.add(x)
        }
        let values = UInt64(count) - nanCount
        let total = sum.total
        guard values > 0 else {
            return StatisticsFigures(count: UInt64(count), nanCount: nanCount, min: nil, max: nil, sum: total, mean: nil,
                                     std: nil, trailingBytes: UInt64(bytes.count - count * size))
        }
        let mean = total / Double(values)
        var squares = NeumaierSum()
        for index in 0..<count {
            let x = element(bytes, index, type, bigEndian)
            if !x.isNaN { squares.add((x - mean) * (x - mean)) }
        }
        return StatisticsFigures(count: UInt64(count), nanCount: nanCount, min: low + 0.0, max: high + 0.0, sum: total,
                                 mean: mean, std: (squares.total / Double(values)).squareRoot(),
                                 trailingBytes: UInt64(bytes.count - count * size))
    }

    /// Element `index` as float64.
    public static func element(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ type: ElementType,
                               _ bigEndian: Bool) -> Double {
        let offset = index * type.byteSize
        func word<T: FixedWidthInteger>(_: T.Type) -> T {
            let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
            return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
        }
        switch type {
        case .f32: return Double(Float(bitPattern: word(UInt32.self)))
        case .f64: return Double(bitPattern: word(UInt64.self))
        case .i8: return Double(word(Int8.self))
        case .u8: return Double(word(UInt8.self))
        case .i16: return Double(word(Int16.self))
        case .u16: return Double(word(UInt16.self))
        case .i32: return Double(word(Int32.self))
        case .u32: return Double(word(UInt32.self))
        case .i64: return Double(word(Int64.self))
        case .u64: return Double(word(UInt64.self))
        }
    }

    /// A running sum with Neumaier's compensation (exact to about one rounding of the total).
    private struct NeumaierSum {
        var sum = 0.0
        var compensation = 0.0

        mutating func add(_ value: Double) {
            let total = sum + value
            if abs(sum) >= abs(value) {
                compensation += (sum - total) + value
            } else {
                compensation += (value - total) + sum
            }
            sum = total
        }

        /// The plain sum once it is infinite or NaN (the compensation is then NaN).
        var total: Double { sum.isFinite ? sum + compensation : sum }
    }
}
