/// One file's piece partials, kept until the file is complete and then merged in file order
/// (`StatisticsMoments.merged`): the file's figures, and each frame's from the pieces of that
/// frame. About 80 bytes per piece (per 64 KiB, or per frame when frames are smaller), as
/// BLAKE3 keeps a record per subtree; in exchange, the figures do not depend on batching or on
/// the order the pieces arrive in.
public struct StatisticsAccumulator: FileAccumulator {
    let frameBytes: UInt64?
    private var pieces: [(offset: UInt64, moments: StatisticsMoments)] = []

    init(frameBytes: UInt64?) { self.frameBytes = frameBytes }

    public mutating func add(_ piece: Piece, partial: UnsafePointer<UInt32>) {
        pieces.append((piece.fileOffset, StatisticsMoments(StatisticsPartial(words: partial))))
    }

    public mutating func finalize(fileSize: UInt64) -> any KernelOutput {
        pieces.sort { $0.offset < $1.offset }
        let spans = pieces.map(\.moments)
        var output = StatisticsOutput(file: StatisticsMoments.merged(spans[...]).figures, frameFigures: [])
        if let frameBytes {
            // A frame's pieces are consecutive in file order.
            var start = 0
            while start < pieces.count {
                let frame = pieces[start].offset / frameBytes
                var end = start + 1
                while end < pieces.count && pieces[end].offset / frameBytes == frame { end += 1 }
                let offset = frame * frameBytes
                output.frameFigures.append(StatisticsOutput.Frame(
                    index: Int(frame), offset: offset, length: Swift.min(frameBytes, fileSize - offset),
                    figures: StatisticsMoments.merged(spans[start..<end]).figures))
                start = end
            }
        }
        return output
    }
}
