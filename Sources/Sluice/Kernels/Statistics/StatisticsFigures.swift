/// The figures of the statistics kernel for a file or a frame, as JSONL writes them.
///
/// `min`, `max`, `sum`, `mean` and `std` are over the non-NaN elements, read as float64: numpy's
/// `nanmin`, `nanmax`, `nansum`, `nanmean` and `nanstd` (population, ddof 0) of
/// `x.astype(np.float64)`. With no non-NaN element they are null, but `sum`, which is 0.
public struct StatisticsFigures: Sendable, Equatable {
    /// Whole elements, NaNs included.
    public var count: UInt64
    /// NaN elements (0 for integer types).
    public var nanCount: UInt64
    /// The smallest and largest element; a zero is +0.0.
    public var min: Double?
    public var max: Double?
    /// The sum (0 with no non-NaN element) and the mean.
    public var sum: Double
    public var mean: Double?
    /// The population standard deviation, √(Σ (x − mean)² / n).
    public var std: Double?
    /// Bytes after the last whole element (only a file's end, and its last frame, have any).
    public var trailingBytes: UInt64

    /// Figures from their values.
    public init(count: UInt64, nanCount: UInt64, min: Double?, max: Double?, sum: Double, mean: Double?, std: Double?,
                trailingBytes: UInt64) {
        self.count = count
        self.nanCount = nanCount
        self.min = min
        self.max = max
        self.sum = sum
        self.mean = mean
        self.std = std
        self.trailingBytes = trailingBytes
    }

    /// The JSONL members: `count`, `nan_count`, `min`, `max`, `sum`, `mean`, `std`,
    /// `trailing_bytes`.
    public var members: [JSONMember] {
        func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
        return [
            JSONMember("count", .unsigned(count)), JSONMember("nan_count", .unsigned(nanCount)),
            JSONMember("min", number(min)), JSONMember("max", number(max)), JSONMember("sum", .number(sum)),
            JSONMember("mean", number(mean)), JSONMember("std", number(std)),
            JSONMember("trailing_bytes", .unsigned(trailingBytes)),
        ]
    }
}

/// The statistics kernel's output for one file: its figures, and its frames'.
public struct StatisticsOutput: KernelOutput {
    /// One frame's place in the file and its figures.
    public struct Frame: Sendable, Equatable {
        public var index: Int
        public var offset: UInt64
        public var length: UInt64
        public var figures: StatisticsFigures
    }

    /// The whole file's figures.
    public var file: StatisticsFigures
    /// Each frame's figures, in file order (empty without frames).
    public var frameFigures: [Frame]

    public var members: [JSONMember] { file.members }
    public var frames: [FrameOutput] {
        frameFigures.map { FrameOutput(index: $0.index, offset: $0.offset, length: $0.length, members: $0.figures.members) }
    }
}
