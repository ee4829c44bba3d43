import SIMDKernels

/// The element types the statistics kernel reads: IEEE floats and two's-complement or unsigned
/// integers of 1 to 8 bytes, in either byte order.
public enum ElementType: String, Sendable, CaseIterable {
    case f32, f64, i8, u8, i16, u16, i32, u32, i64, u64

    /// The type's name, as `--dtype` and JSONL's `dtype` spell it (numpy's dtype kinds and sizes:
    /// `f32` is `float32`, `u16` is `uint16`).
    public var name: String { rawValue }

    /// Bytes per element. Every size divides `Piece.maxBytes`, so 64 KiB units hold whole elements.
    public var byteSize: Int {
        switch self {
        case .i8, .u8: return 1
        case .i16, .u16: return 2
        case .f32, .i32, .u32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Whether elements can be NaN.
    public var isFloatingPoint: Bool { self == .f32 || self == .f64 }

    /// The element type named `name` ("f32", "i16", …), or nil.
    public init?(name: String) { self.init(rawValue: name) }

    /// The same type as the CPU lanes name it.
    var laneType: StatisticsLaneType {
        switch self {
        case .f32: return .float32
        case .f64: return .float64
        case .i8: return .int8
        case .u8: return .uint8
        case .i16: return .int16
        case .u16: return .uint16
        case .i32: return .int32
        case .u32: return .uint32
        case .i64: return .int64
        case .u64: return .uint64
        }
    }

    /// The `-D` macro that selects the type in `Kernels/stats.cl`.
    var openCLMacro: String { "STATS_DTYPE_\(rawValue.uppercased())" }
}
