import XCTest
@testable import Sluice

/// Files wholly in one batch are finalized by the lane that computed it
/// (`ComputedBatch.finishingWholeFiles`): the right digest for each, and the pieces of the
/// files that span batches left for the assembler, in order, with their own partials.
final class WholeFileTests: XCTestCase {
    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    func testWholeFilesGetTheirDigestsAndTheOtherPiecesStayInOrder() throws {
        let kernel = BLAKE3Kernel()
        // Files 0 (the tail of a file begun in an earlier batch), 1 and 2 (whole), 3 (its head; it
        // goes on in the next batch) and 4 (whole), packed as a reader packs them.
        let sizes: [(position: Int, fileOffset: UInt64, length: Int, whole: Bool)] = [
            (0, 3 << 16, 70_000, false), (1, 0, 5, true), (2, 0, 200_000, true), (3, 0, 1 << 17, false), (4, 0, 4096, true),
        ]
        let buffer = StagingBuffer(capacity: 1 << 20)
        var contents: [Int: [UInt8]] = [:]
        for (position, fileOffset, length, whole) in sizes {
            buffer.alignUsed(to: 64)
            let bytes = randomBytes(length, seed: UInt64(position + 1))
            contents[position] = bytes
            bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer.bytes + buffer.used).copyMemory(from: $0.baseAddress!, byteCount: length) }
            let firstPiece = buffer.pieces.count
            var cursor = PieceCursor(layout: kernel.layout, fileSize: fileOffset + UInt64(length) + (position == 3 ? 1000 : 0),
                                     range: fileOffset ..< fileOffset + UInt64(length))
            var offset = 0
            while let step = cursor.next() {
                buffer.pieces.append(Piece(bufferOffset: buffer.used + offset, length: step.length, fileOffset: step.fileOffset,
                                           fileIndex: position, isWholeFile: step.isWholeFile))
                offset += step.length
            }
            buffer.used += length
            if whole {
                let job = FileJob(index: position, path: RawPath(bytes: Array("f\(position)".utf8)), size: UInt64(length),
                                  mtimeNanoseconds: 0, device: 0, inode: 0)
                buffer.wholeFiles.append(WholeFile(position: position, job: job, size: UInt64(length),
                                                   pieces: firstPiece ..< buffer.pieces.count))
            }
        }
        var executor = kernel.makeCPUExecutor(isa: .baseline)
        var partials: [UInt32] = []
        executor.run(pieces: buffer.pieces, bytes: UnsafeRawPointer(buffer.bytes), partials: &partials)
        let computed = ComputedBatch(batch: buffer, partials: partials)
        XCTAssertEqual(computed.wholeFiles.count, 3)

        let finished = computed.finishingWholeFiles(with: kernel)
        XCTAssertTrue(finished.wholeFiles.isEmpty)
        XCTAssertEqual(finished.results.map(\.index), [1, 2, 4])
        for result in finished.results {
            XCTAssertEqual(result.digest, BLAKE3Reference.hash(contents[result.index]!), "file \(result.index)")
            XCTAssertEqual(result.size, UInt64(contents[result.index]!.count))
        }
        let words = kernel.partialWords
        let kept = buffer.pieces.indices.filter { [0, 3].contains(buffer.pieces[$0].fileIndex) }
        XCTAssertEqual(finished.pieces, kept.map { buffer.pieces[$0] })
        XCTAssertEqual(finished.partials, kept.flatMap { partials[$0 * words ..< ($0 + 1) * words] })
        // With the sink's renderer, each whole file also carries its line, the same bytes the
        // writer would render.
        let renderer = JSONLineRenderer(kernel: kernel, device: "cpu:test")
        let rendered = computed.finishingWholeFiles(with: kernel, renderer: renderer)
        for result in rendered.results {
            var plain = result
            plain.rendered = nil
            XCTAssertEqual(result.rendered, renderer.render(plain), "file \(result.index)")
            XCTAssertTrue(String(decoding: result.rendered ?? [], as: UTF8.self).contains(Hex.lowercase(result.digest!)))
        }
        XCTAssertNil(finished.results.first?.rendered, "no renderer, no bytes")
        // Nothing whole: the batch is passed on as it is.
        let plain = ComputedBatch(pieces: finished.pieces, partials: finished.partials).finishingWholeFiles(with: kernel)
        XCTAssertEqual(plain.pieces, finished.pieces)
        XCTAssertTrue(plain.results.isEmpty)
    }
}
