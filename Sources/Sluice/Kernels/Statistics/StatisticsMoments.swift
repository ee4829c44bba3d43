/// The statistics of a span of a file (the file, or one of its frames), merged from the
/// partials of its pieces, and the figures made from them.
///
/// Two adjacent spans merge with Chan, Golub and LeVeque's parallel formula (with n the non-NaN
/// elements): δ = mean_b − mean_a, mean = mean_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n;
/// sums are added with a two-sum compensation term. `merged(_:)` merges a span's pieces as a
/// balanced tree in file order, so the result depends only on the pieces, never on the batches
/// they travelled in or the order they arrived in.
struct StatisticsMoments: Sendable, Equatable {
    /// Whole elements, NaNs included.
    var elements: UInt64 = 0
    var nanCount: UInt64 = 0
    var min = Double.infinity
    var max = -Double.infinity
    /// The sum of the non-NaN elements is `sum + sumError` (while `sum` is finite).
    var sum = 0.0
    var sumError = 0.0
    var mean = 0.0
    var m2 = 0.0
    var trailingBytes: UInt64 = 0

    /// Non-NaN elements.
    var valueCount: UInt64 { elements - nanCount }

    init() {}

    /// One piece's statistics.
    init(_ partial: StatisticsPartial) {
        elements = partial.elements
        nanCount = partial.nanCount
        min = partial.min
        max = partial.max
        sum = partial.sum
        mean = partial.mean
        m2 = partial.m2
        trailingBytes = partial.trailingBytes
    }

    /// The statistics of this span followed by `next`.
    func followed(by next: StatisticsMoments) -> StatisticsMoments {
        var merged = StatisticsMoments()
        merged.elements = elements + next.elements
        merged.nanCount = nanCount + next.nanCount
        merged.trailingBytes = trailingBytes + next.trailingBytes
        // Explicit comparisons, so that the merge keeps +0.0 over -0.0 as the pieces do (the
        // pieces' extremes are never -0.0, nor NaN).
        merged.min = next.min < min ? next.min : min
        merged.max = next.max > max ? next.max : max
        let total = sum + next.sum
        let virtual = total - sum
        merged.sum = total
        merged.sumError = sumError + next.sumError + ((sum - (total - virtual)) + (next.sum - virtual))

        let countA = Double(valueCount)
        let countB = Double(next.valueCount)
        if next.valueCount == 0 {
            merged.mean = mean
            merged.m2 = m2
        } else if valueCount == 0 {
            merged.mean = next.mean
            merged.m2 = next.m2
        } else {
            let count = countA + countB
            let delta = next.mean - mean
            merged.mean = mean + delta * (countB / count)
            merged.m2 = m2 + next.m2 + delta * delta * (countA * countB / count)
        }
        return merged
    }

    /// The statistics of consecutive spans (in file order) merged as a balanced binary tree.
    static func merged(_ spans: ArraySlice<StatisticsMoments>) -> StatisticsMoments {
        switch spans.count {
        case 0: return StatisticsMoments()
        case 1: return spans.first!
        default:
            let middle = spans.startIndex + spans.count / 2
            return merged(spans[..<middle]).followed(by: merged(spans[middle...]))
        }
    }

    /// The span's figures: numpy's nanmin, nanmax, nansum, nanmean and nanstd (ddof 0) of the
    /// elements as float64.
    var figures: StatisticsFigures {
        let values = valueCount
        let total = sum.isFinite ? sum + sumError : sum
        return StatisticsFigures(
            count: elements, nanCount: nanCount,
            min: values > 0 ? min : nil, max: values > 0 ? max : nil,
            sum: total,
            mean: values > 0 ? total / Double(values) : nil,
            std: values > 0 ? (m2 / Double(values)).squareRoot() : nil,
            trailingBytes: trailingBytes)
    }
}
