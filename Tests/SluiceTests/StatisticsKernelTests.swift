import Foundation
import XCTest
@testable import Sluice

/// The typed-statistics kernel (`stats`): piece partials and their merge against the plain
/// reference (`StatisticsReference`), and whole-pipeline figures on the CPU lane, the PoCL lane
/// and both together, against the reference, against each other and against numpy.
///
/// Agreement means 1e-12 relative: of the larger of the two values for `min`, `max` and `std`,
/// and for `sum` and `mean` of the sum (or mean) of the magnitudes too, the condition of a sum
/// (random signed integers sum to little beside their magnitudes). Counts agree exactly.
final class StatisticsKernelTests: XCTestCase {
    private static let tolerance = 1e-12

    // MARK: - Data

    /// Reproducible pseudo-random words (SplitMix64).
    private struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [-1, 1).
        mutating func signedUnit() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
    }

    /// `elements` random elements of `type` in its byte order, then `trailing` random bytes.
    /// Floats are an offset plus a spread (float64 over nine decades), integers random bits.
    private func sample(_ type: ElementType, bigEndian: Bool, elements: Int, trailing: Int = 0, seed: UInt64) -> [UInt8] {
        var random = SplitMix(state: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(elements * type.byteSize + trailing)
        for _ in 0..<elements {
            let bits: UInt64
            switch type {
            case .f32: bits = UInt64(Float(3.25 + 1000 * random.signedUnit()).bitPattern)
            case .f64:
                let decade = Double(Int(random.next() % 10) - 3)
                bits = (42 + random.signedUnit() * Foundation.pow(10, decade)).bitPattern
            default: bits = random.next()
            }
            append(bits, size: type.byteSize, bigEndian: bigEndian, to: &bytes)
        }
        for _ in 0..<trailing { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
        return bytes
    }

    private func append(_ bits: UInt64, size: Int, bigEndian: Bool, to bytes: inout [UInt8]) {
        for index in 0..<size {
            let shift = 8 * (bigEndian ? size - 1 - index : index)
            bytes.append(UInt8(truncatingIfNeeded: bits >> shift))
        }
    }

    /// f32 elements of `values`, little-endian.
    private func float32Bytes(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values { append(UInt64(value.bitPattern), size: 4, bigEndian: false, to: &bytes) }
        return bytes
    }

    // MARK: - Expected figures and agreement

    /// Figures to compare with, and Σ|x| over the non-NaN elements (the scale of `sum`).
    private struct Expected {
        var figures: StatisticsFigures
        var absoluteSum: Double
    }

    private func reference(_ bytes: [UInt8], _ type: ElementType, bigEndian: Bool) -> Expected {
        bytes.withUnsafeBytes { raw in
            var absoluteSum = 0.0
            for index in 0..<(raw.count / type.byteSize) {
                let x = StatisticsReference.element(raw, index, type, bigEndian)
                if !x.isNaN { absoluteSum += abs(x) }
            }
            return Expected(figures: StatisticsReference.figures(raw, type: type, bigEndian: bigEndian),
                            absoluteSum: absoluteSum)
        }
    }

    private func close(_ a: Double?, _ b: Double?, scale: Double = 0) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?):
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
            if !x.isFinite || !y.isFinite { return x == y }
            return abs(x - y) <= Self.tolerance * Swift.max(abs(x), abs(y), scale)
        default: return false
        }
    }

    private func assertAgree(_ got: StatisticsFigures, _ expected: Expected, _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        let want = expected.figures
        let values = Double(want.count - want.nanCount)
        XCTAssertEqual(got.count, want.count, "\(label): count", file: file, line: line)
        XCTAssertEqual(got.nanCount, want.nanCount, "\(label): nan_count", file: file, line: line)
        XCTAssertEqual(got.trailingBytes, want.trailingBytes, "\(label): trailing_bytes", file: file, line: line)
        XCTAssertEqual(got.min, want.min, "\(label): min", file: file, line: line)
        XCTAssertEqual(got.max, want.max, "\(label): max", file: file, line: line)
        XCTAssertTrue(close(got.sum, want.sum, scale: expected.absoluteSum),
                      "\(label): sum \(got.sum) against \(want.sum)", file: file, line: line)
        XCTAssertTrue(close(got.mean, want.mean, scale: values > 0 ? expected.absoluteSum / values : 0),
                      "\(label): mean \(String(describing: got.mean)) against \(String(describing: want.mean))",
                      file: file, line: line)
        XCTAssertTrue(close(got.std, want.std), "\(label): std \(String(describing: got.std)) against \(String(describing: want.std))",
                      file: file, line: line)
    }

    /// The figures that must be the same bit for bit on every device and batching.
    private func assertIdenticalExactFields(_ a: StatisticsFigures, _ b: StatisticsFigures, _ label: String,
                                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, label, file: file, line: line)
        XCTAssertEqual(a.nanCount, b.nanCount, label, file: file, line: line)
        XCTAssertEqual(a.trailingBytes, b.trailingBytes, label, file: file, line: line)
        XCTAssertEqual(a.min?.bitPattern, b.min?.bitPattern, "\(label): min bits", file: file, line: line)
        XCTAssertEqual(a.max?.bitPattern, b.max?.bitPattern, "\(label): max bits", file: file, line: line)
    }

    // MARK: - Partials and merge

    /// Cuts `bytes` into the kernel's pieces (as one batch), computes their partials on this CPU
    /// and adds them to an accumulator in the order `order` gives.
    private func mergedOnCPU(_ bytes: [UInt8], kernel: StatisticsKernel,
                             order: ([Piece]) -> [Int] = { Array($0.indices) }) -> StatisticsOutput {
        var cursor = PieceCursor(layout: kernel.layout, fileSize: UInt64(bytes.count))
        var pieces: [Piece] = []
        while let step = cursor.next() {
            pieces.append(Piece(bufferOffset: Int(step.fileOffset), length: step.length, fileOffset: step.fileOffset,
                                fileIndex: 0, isWholeFile: step.isWholeFile))
        }
        var executor = kernel.makeCPUExecutor(isa: .baseline)
        var partials: [UInt32] = []
        bytes.withUnsafeBytes { executor.run(pieces: pieces, bytes: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, partials: &partials) }
        var accumulator = kernel.makeAccumulator()
        partials.withUnsafeBufferPointer { words in
            for index in order(pieces) {
                accumulator.add(pieces[index], partial: words.baseAddress! + index * StatisticsPartial.words)
            }
        }
        return accumulator.finalize(fileSize: UInt64(bytes.count)) as! StatisticsOutput
    }

    func testPiecePartialsMergedMatchTheReferenceForEveryTypeAndByteOrder() {
        for (number, type) in ElementType.allCases.enumerated() {
            for bigEndian in [false, true] {
                // Five 64 KiB pieces and a short one, ending inside an element where it can.
                let elements = (5 * Piece.maxBytes + 9_000) / type.byteSize
                let bytes = sample(type, bigEndian: bigEndian, elements: elements, trailing: type.byteSize - 1,
                                   seed: UInt64(number * 2 + (bigEndian ? 1 : 0)))
                let kernel = StatisticsKernel(dtype: type, bigEndian: bigEndian)
                let label = "\(type.name) \(bigEndian ? "big" : "little")"
                let merged = mergedOnCPU(bytes, kernel: kernel)
                assertAgree(merged.file, reference(bytes, type, bigEndian: bigEndian), label)
                XCTAssertEqual(merged.file.trailingBytes, UInt64(type.byteSize - 1), label)
            }
        }
    }

    func testTheMergeDoesNotDependOnTheOrderPiecesArriveIn() {
        let bytes = sample(.f64, bigEndian: false, elements: 300_001, seed: 99)
        let kernel = StatisticsKernel(dtype: .f64)
        let inOrder = mergedOnCPU(bytes, kernel: kernel)
        let reversed = mergedOnCPU(bytes, kernel: kernel) { Array($0.indices.reversed()) }
        var random = SplitMix(state: 5)
        let shuffled = mergedOnCPU(bytes, kernel: kernel) { pieces in
            var order = Array(pieces.indices)
            for index in order.indices.reversed() { order.swapAt(index, Int(random.next() % UInt64(index + 1))) }
            return order
        }
        XCTAssertEqual(reversed.file, inOrder.file, "bit for bit, whatever the order")
        XCTAssertEqual(shuffled.file, inOrder.file, "bit for bit, whatever the order")
    }

    /// The passes are built for SSE2, AVX2 and AVX-512 (`StatisticsPasses`); every build this
    /// CPU can run gives the same partial, bit for bit, for every type and byte order, on random
    /// bytes (NaNs and infinities among the floats) at lengths around the 8-element vectors and the
    /// 32-vector blocks.
    func testEveryInstructionSetGivesTheSamePartialBitForBit() {
        var random = SplitMix(state: 11)
        let isas = CPUVectorISA.allCases.filter { $0 <= CPUVectorISA.detected }
        var compared = 0
        for type in ElementType.allCases {
            for bigEndian in [false, true] {
                for elements in [1, 7, 8, 9, 255, 256, 257, 1000, 65_536 / type.byteSize - 1] {
                    let bytes = (0 ..< elements * type.byteSize + (type.byteSize - 1)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    let partials = isas.map { isa in
                        bytes.withUnsafeBytes { StatisticsPartial.compute($0, type: type, bigEndian: bigEndian, isa: isa) }
                    }
                    var words: [[UInt32]] = []
                    for partial in partials {
                        var raw = [UInt32](repeating: 0, count: StatisticsPartial.words)
                        raw.withUnsafeMutableBufferPointer { partial.write(to: $0.baseAddress!) }
                        words.append(raw)
                    }
                    for (isa, raw) in zip(isas, words) {
                        XCTAssertEqual(raw, words[0], "\(type) bigEndian=\(bigEndian) \(elements) elements: \(isa) against \(isas[0])")
                    }
                    XCTAssertEqual(partials[0].elements, UInt64(elements))
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, ElementType.allCases.count * 2 * 9)
        if CPUVectorISA.detected >= .avx2 { XCTAssertGreaterThan(isas.count, 1, "the AVX2 build was compared") }
    }

    func testOnePiecePartialHoldsItsCountsExtremesAndMoments() {
        // 1, 2, NaN, 3, -0.0, 6 and two trailing bytes.
        let bytes = float32Bytes([1, 2, .nan, 3, -0.0, 6]) + [0xAB, 0xCD]
        let partial = bytes.withUnsafeBytes { StatisticsPartial.compute($0, type: .f32, bigEndian: false) }
        XCTAssertEqual(partial.elements, 6)
        XCTAssertEqual(partial.nanCount, 1)
        XCTAssertEqual(partial.min, -0.0)
        XCTAssertEqual(partial.max, 6)
        XCTAssertEqual(partial.sum, 12)
        XCTAssertEqual(partial.mean, 2.4)
        // Σ (x − 2.4)² over 1, 2, 3, 0, 6.
        XCTAssertEqual(partial.m2, 1.96 + 0.16 + 0.36 + 5.76 + 12.96, accuracy: 1e-12)
        XCTAssertEqual(partial.trailingBytes, 2)
        var words = [UInt32](repeating: 0, count: StatisticsPartial.words)
        words.withUnsafeMutableBufferPointer { partial.write(to: $0.baseAddress!) }
        XCTAssertEqual(words.withUnsafeBufferPointer { StatisticsPartial(words: $0.baseAddress!) }, partial)
    }

    func testAZeroExtremeIsPositiveZeroWhicheverZeroComesFirst() {
        for values: [Float] in [[-0.0, 0.0], [0.0, -0.0], [-0.0], [-0.0, 1], [-1, -0.0]] {
            let figures = mergedOnCPU(float32Bytes(values), kernel: StatisticsKernel(dtype: .f32)).file
            for extreme in [figures.min!, figures.max!] where extreme == 0 {
                XCTAssertEqual(extreme.sign, .plus, "\(values)")
            }
        }
    }

    func testAStreamGivesTheFiguresOfTheSameBytesAsAFile() {
        let bytes = sample(.i32, bigEndian: true, elements: 100_000, trailing: 3, seed: 11)
        let kernel = StatisticsKernel(dtype: .i32, bigEndian: true, frameBytes: 12_000)
        let stream = kernel.makeStreamComputation(isa: .baseline)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            for chunk in [1, 70_000, 5, 4_096, 131_072] where offset < raw.count {
                let take = Swift.min(chunk, raw.count - offset)
                stream.consume(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + take)]))
                offset += take
            }
            stream.consume(UnsafeRawBufferPointer(rebasing: raw[offset...]))
        }
        let streamed = stream.finish() as! StatisticsOutput
        let whole = mergedOnCPU(bytes, kernel: kernel)
        XCTAssertEqual(streamed.file, whole.file)
        XCTAssertEqual(streamed.frameFigures, whole.frameFigures)
    }

    func testMembersAndRunMembersUseTheDocumentedKeys() {
        let kernel = StatisticsKernel(dtype: .i16, bigEndian: true, frameBytes: 1000)
        XCTAssertEqual(kernel.name, "stats")
        XCTAssertEqual(kernel.runMembers, [JSONMember("dtype", .string("i16")), JSONMember("endian", .string("big")),
                                           JSONMember("frame_size", .unsigned(1000))])
        XCTAssertEqual(StatisticsKernel(dtype: .f32).runMembers.map(\.key), ["dtype", "endian"])
        XCTAssertEqual(StatisticsKernel(dtype: .f32).runMembers.last?.value, .string("little"))
        // No whole element: nulls, but a sum of 0.
        let empty = mergedOnCPU([1, 2, 3], kernel: StatisticsKernel(dtype: .f32)).file
        XCTAssertEqual(empty.members, [
            JSONMember("count", .unsigned(0)), JSONMember("nan_count", .unsigned(0)), JSONMember("min", .null),
            JSONMember("max", .null), JSONMember("sum", .number(0)), JSONMember("mean", .null), JSONMember("std", .null),
            JSONMember("trailing_bytes", .unsigned(3)),
        ])
        XCTAssertEqual(ElementType.allCases.map(\.byteSize), [4, 8, 1, 1, 2, 2, 4, 4, 8, 8])
        XCTAssertEqual(ElementType(name: "u64"), .u64)
    }

    // MARK: - Through the pipeline

    /// The lanes a pipeline test runs on.
    private enum Lanes: String, CaseIterable {
        case cpu, pocl, both
    }

    private func poclDevice() throws -> Device {
        guard let device = DeviceInventory.current().openCL.first?.device else {
            throw XCTSkip("no OpenCL device on this machine (install PoCL: apt-get install pocl-opencl-icd)")
        }
        return device
    }

    /// Runs `kernel` over `paths` on `lanes` with staging buffers of `batchBytes`; every file's output.
    private func run(_ paths: [RawPath], kernel: StatisticsKernel, lanes: Lanes, batchBytes: Int,
                     file: StaticString = #filePath, line: UInt = #line) throws -> [RawPath: StatisticsOutput] {
        let cpu = CPUBackend(isa: CPUVectorISA.active(environment: ProcessInfo.processInfo.environment), workers: 2,
                             batchBytes: batchBytes)
        var ready: [PipelineLane] = []
        if lanes == .cpu { ready.append(.ready(cpu)) }
        if lanes == .both { ready.append(.ready(SlowedCPULane(cpu, delayMicroseconds: 10_000))) }
        if lanes != .cpu {
            let device = try poclDevice()
            try XCTSkipUnless(kernel.supports(device), "the OpenCL device has no float64")
            ready.append(.ready(try OpenCLBackend(device: device, kernel: kernel,
                                                  warnings: { OpenCLFallbackLog.shared.append($0) })))
        }
        var configuration = RunConfiguration()
        configuration.kernel = kernel
        configuration.batchBytes = batchBytes
        configuration.memoryBytes = 1 << 20
        let sink = CollectingSink()
        _ = OpenCLFallbackLog.shared.drain()
        let catalog = try Catalog.build(paths: paths, options: CatalogOptions())
        let summary = try Pipeline(catalog: catalog, lanes: ready, configuration: configuration, sink: sink).run()
        XCTAssertEqual(OpenCLFallbackLog.shared.drain(), [], "the OpenCL lane fell back to the CPU", file: file, line: line)
        XCTAssertEqual(summary.filesFailed, 0, file: file, line: line)
        XCTAssertEqual(summary.lanes.count, ready.count, "\(summary.lanes)", file: file, line: line)
        if lanes == .both && summary.lanes.reduce(0, { $0 + $1.batches }) >= 20 {
            // With many small batches and the CPU lane slowed, both lanes take some (the mix is
            // what is under test; unslowed, the CPU lane can finish before the device starts).
            XCTAssertTrue(summary.lanes.allSatisfy { $0.batches > 0 }, "both lanes computed: \(summary.lanes)",
                          file: file, line: line)
        }
        var outputs: [RawPath: StatisticsOutput] = [:]
        for result in sink.results {
            outputs[result.path] = result.output as? StatisticsOutput
        }
        XCTAssertEqual(outputs.count, paths.count, "one output per file", file: file, line: line)
        return outputs
    }

    /// Files read with one kernel, on some lanes.
    private struct Corpus {
        var files: [(name: String, bytes: [UInt8])]
        var kernel: StatisticsKernel
        var lanes: [Lanes] = Lanes.allCases
    }

    /// The single parameterised check: on every lane mix and batch size, each file's figures
    /// (and each frame's) agree with the reference, with numpy when it is installed (one python3
    /// run for all corpora), and with the first run's bit for bit in their exact fields.
    private func assertPipelineAgrees(_ corpora: [Corpus], batchSizes: [Int] = [64 << 10, 256 << 10, 1 << 20],
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let scratch = try ScratchDirectory()
        var paths: [[RawPath]] = []
        var expected: [RawPath: (file: Expected, frames: [Expected])] = [:]
        for (number, corpus) in corpora.enumerated() {
            let kernel = corpus.kernel
            paths.append(try corpus.files.map { try scratch.write(scratch.path("c\(number)/\($0.name)"), $0.bytes) })
            for (path, entry) in zip(paths[number], corpus.files) {
                let frames = kernel.frameBytes.map { frameBytes in
                    stride(from: 0, to: entry.bytes.count, by: Int(frameBytes)).map { start in
                        reference(Array(entry.bytes[start..<Swift.min(entry.bytes.count, start + Int(frameBytes))]),
                                  kernel.dtype, bigEndian: kernel.bigEndian)
                    }
                } ?? []
                expected[path] = (reference(entry.bytes, kernel.dtype, bigEndian: kernel.bigEndian), frames)
            }
        }
        let numpy = try? NumpyStatistics.figures(zip(paths, corpora).flatMap { paths, corpus in
            paths.map { ($0, corpus.kernel) }
        }, scratch: scratch)
        for (paths, corpus) in zip(paths, corpora) {
            let kernel = corpus.kernel
            var first: [RawPath: StatisticsOutput]?
            for lane in corpus.lanes {
                for batchBytes in batchSizes {
                    let outputs: [RawPath: StatisticsOutput]
                    do {
                        outputs = try run(paths, kernel: kernel, lanes: lane, batchBytes: batchBytes, file: file, line: line)
                    } catch is XCTSkip where lane != .cpu {
                        continue
                    }
                    for path in paths {
                        let label = "\(kernel.dtype.name) \(kernel.bigEndian ? "big" : "little") \(lane) batch "
                            + "\(batchBytes >> 10) KiB \(path)"
                        guard let output = outputs[path], let want = expected[path] else {
                            XCTFail("\(label): no output", file: file, line: line)
                            continue
                        }
                        assertAgree(output.file, want.file, label, file: file, line: line)
                        XCTAssertEqual(output.frameFigures.count, want.frames.count, "\(label): frames", file: file, line: line)
                        for (frame, wantFrame) in zip(output.frameFigures, want.frames) {
                            assertAgree(frame.figures, wantFrame, "\(label) frame \(frame.index)", file: file, line: line)
                            XCTAssertEqual(frame.offset, UInt64(frame.index) * kernel.frameBytes!, label, file: file, line: line)
                        }
                        if let numpy, let reference = numpy[path] {
                            assertAgree(output.file, reference.file, "\(label) against numpy", file: file, line: line)
                            for (frame, numpyFrame) in zip(output.frameFigures, reference.frames) {
                                assertAgree(frame.figures, numpyFrame, "\(label) frame \(frame.index) against numpy",
                                            file: file, line: line)
                            }
                        }
                        if let earlier = first?[path] {
                            assertIdenticalExactFields(output.file, earlier.file, label, file: file, line: line)
                            for (frame, earlierFrame) in zip(output.frameFigures, earlier.frameFigures) {
                                assertIdenticalExactFields(frame.figures, earlierFrame.figures,
                                                           "\(label) frame \(frame.index)", file: file, line: line)
                            }
                        }
                    }
                    if first == nil { first = outputs }
                }
            }
        }
    }

    /// Sizes around the element, the 64 KiB piece and the 256 KiB and 1 MiB batches, and a few MiB.
    private func boundaryFiles(_ type: ElementType, bigEndian: Bool) -> [(name: String, bytes: [UInt8])] {
        let size = type.byteSize
        var sizes = [0, 1, size - 1, size, Piece.maxBytes - 1, Piece.maxBytes, Piece.maxBytes + size,
                     (256 << 10) - size, (256 << 10) + 1, (1 << 20) + size + 1, (3 << 20) + 5]
        sizes = Array(Set(sizes)).sorted()
        return sizes.enumerated().map { number, bytes in
            let elements = bytes / size
            return ("f\(number)-\(bytes)", sample(type, bigEndian: bigEndian, elements: elements,
                                                   trailing: bytes - elements * size, seed: UInt64(1000 + number)))
        }
    }

    func testFloat32FilesOfEverySizeClassAgreeOnEveryLaneAndBatchSize() throws {
        try assertPipelineAgrees([Corpus(files: boundaryFiles(.f32, bigEndian: false), kernel: StatisticsKernel(dtype: .f32))])
    }

    func testFloat64FilesAgreeOnEveryLaneAndBatchSize() throws {
        try assertPipelineAgrees([Corpus(files: boundaryFiles(.f64, bigEndian: false), kernel: StatisticsKernel(dtype: .f64))],
                                 batchSizes: [64 << 10, 1 << 20])
    }

    func testBigEndianInt16FilesAgreeOnEveryLaneAndBatchSize() throws {
        try assertPipelineAgrees([Corpus(files: boundaryFiles(.i16, bigEndian: true),
                                         kernel: StatisticsKernel(dtype: .i16, bigEndian: true))])
    }

    func testEveryElementTypeAndByteOrderAgreesOnCPUAndPoCL() throws {
        var corpora: [Corpus] = []
        for (number, type) in ElementType.allCases.enumerated() {
            for bigEndian in [false, true] {
                let elements = (300_000 + 12_345) / type.byteSize
                let files = [("a", sample(type, bigEndian: bigEndian, elements: elements, trailing: type.byteSize / 2,
                                          seed: UInt64(77 + number))),
                             ("b", sample(type, bigEndian: bigEndian, elements: 1000, seed: UInt64(177 + number)))]
                // PoCL builds a program per type and byte order (seconds each): it runs half of
                // them, every type once and every swap width (16, 32, 64 bits) in both orders.
                let onPoCL = (number % 2 == 0) == bigEndian
                corpora.append(Corpus(files: files, kernel: StatisticsKernel(dtype: type, bigEndian: bigEndian),
                                      lanes: onPoCL ? [.cpu, .pocl] : [.cpu]))
            }
        }
        try assertPipelineAgrees(corpora, batchSizes: [64 << 10])
    }

    func testFloat32NaNsAndInfinitiesAreCountedAndLeftOutAsNumpyDoes() throws {
        let signallingNaN = Float(bitPattern: 0x7F80_0001)
        let negativeNaN = Float(bitPattern: 0xFFC0_0000)
        var mixed: [Float] = []
        for index in 0..<50_000 {
            switch index % 7 {
            case 0: mixed.append(.nan)
            case 3: mixed.append(index % 2 == 0 ? signallingNaN : negativeNaN)
            default: mixed.append(Float(index % 1000) - 400.5)
            }
        }
        var withInfinity = mixed
        withInfinity[40_000] = .infinity
        var bothInfinities = withInfinity
        bothInfinities[100] = -.infinity
        let files: [(name: String, bytes: [UInt8])] = [
            ("nans", float32Bytes(mixed)),
            ("inf", float32Bytes(withInfinity)),
            ("both-inf", float32Bytes(bothInfinities)),
            ("all-nan", float32Bytes([Float](repeating: .nan, count: 70_000))),
            ("only-inf", float32Bytes([.infinity, .nan, .infinity])),
            ("zeros", float32Bytes([-0.0, 0.0, -0.0])),
        ]
        try assertPipelineAgrees([Corpus(files: files, kernel: StatisticsKernel(dtype: .f32), lanes: [.cpu, .pocl])],
                                 batchSizes: [64 << 10])
        // The expected figures themselves, spelled out.
        let nans = mergedOnCPU(files[0].bytes, kernel: StatisticsKernel(dtype: .f32)).file
        XCTAssertEqual(nans.nanCount, UInt64(mixed.filter(\.isNaN).count))
        XCTAssertEqual(nans.min, -400.5)
        let inf = mergedOnCPU(files[1].bytes, kernel: StatisticsKernel(dtype: .f32)).file
        XCTAssertEqual(inf.max, .infinity)
        XCTAssertEqual(inf.sum, .infinity)
        XCTAssertEqual(inf.mean, .infinity)
        XCTAssertTrue(inf.std!.isNaN, "numpy's nanstd: inf − inf is NaN")
        let both = mergedOnCPU(files[2].bytes, kernel: StatisticsKernel(dtype: .f32)).file
        XCTAssertTrue(both.sum.isNaN)
        XCTAssertEqual(both.min, -.infinity)
        let allNaN = mergedOnCPU(files[3].bytes, kernel: StatisticsKernel(dtype: .f32)).file
        XCTAssertEqual(allNaN.nanCount, 70_000)
        XCTAssertNil(allNaN.min)
        XCTAssertNil(allNaN.mean)
        XCTAssertEqual(allNaN.sum, 0)
    }

    func testFramesThatDoNotDivideAPieceAgreePerFrameAcrossBatches() throws {
        // 12 000-byte frames of f32: frames straddle 64 KiB units and every batch size here.
        let files: [(name: String, bytes: [UInt8])] = [
            ("long", sample(.f32, bigEndian: false, elements: 299_500, trailing: 2, seed: 3)),
            ("one-frame", sample(.f32, bigEndian: false, elements: 2_999, seed: 4)),
            ("exact", sample(.f32, bigEndian: false, elements: 3_000 * 25, seed: 5)),
        ]
        try assertPipelineAgrees([Corpus(files: files, kernel: StatisticsKernel(dtype: .f32, frameBytes: 12_000))],
                                 batchSizes: [64 << 10, 256 << 10])
        let long = mergedOnCPU(files[0].bytes, kernel: StatisticsKernel(dtype: .f32, frameBytes: 12_000))
        // 1 198 002 bytes: 99 frames of 12 000 and one of 10 002 (2 500 elements and 2 bytes).
        XCTAssertEqual(long.frameFigures.count, 100)
        XCTAssertEqual(long.frameFigures.last?.length, 10_002)
        XCTAssertEqual(long.frameFigures.last?.figures.count, 2_500)
        XCTAssertEqual(long.frameFigures.last?.figures.trailingBytes, 2, "the last frame holds the trailing bytes")
        XCTAssertEqual(long.file.trailingBytes, 2)
        XCTAssertEqual(long.frameFigures.dropLast().map(\.figures.trailingBytes), Array(repeating: 0, count: 99))
        XCTAssertEqual(long.frames.map(\.offset), (0..<100).map { UInt64($0) * 12_000 })
    }

    func testNumpyIsTheReferenceWhereInstalled() throws {
        // The pipeline tests compare with numpy only where it is installed; this one says so.
        let scratch = try ScratchDirectory()
        let bytes = sample(.u16, bigEndian: true, elements: 50_001, trailing: 1, seed: 8)
        let path = try scratch.write(scratch.path("u16"), bytes)
        let kernel = StatisticsKernel(dtype: .u16, bigEndian: true, frameBytes: 30_000)
        let numpy = try XCTUnwrap(try NumpyStatistics.figures([(path, kernel)], scratch: scratch)[path])
        let ours = mergedOnCPU(bytes, kernel: kernel)
        assertAgree(ours.file, numpy.file, "u16 big-endian against numpy")
        XCTAssertEqual(ours.frameFigures.count, numpy.frames.count)
        for (frame, reference) in zip(ours.frameFigures, numpy.frames) {
            assertAgree(frame.figures, reference, "frame \(frame.index) against numpy")
        }
    }

    func testPoCLSupportsTheKernelOnlyWithFloat64() throws {
        let device = try poclDevice()
        let hasFloat64 = try device.doubleFPConfig != 0 && device.extensions.contains("cl_khr_fp64")
        XCTAssertEqual(StatisticsKernel(dtype: .f32).supports(device), hasFloat64)
    }

    // MARK: - numpy

    /// numpy's figures for files, computed by a python3 script (`x.astype(np.float64)`, then
    /// nanmin, nanmax, nansum, nanmean, nanstd), per file and per frame.
    private enum NumpyStatistics {
        static let script = #"""
        import json, sys, warnings
        import numpy as np
        codes = {"f32": "f4", "f64": "f8", "i8": "i1", "u8": "u1", "i16": "i2", "u16": "u2",
                 "i32": "i4", "u32": "u4", "i64": "i8", "u64": "u8"}
        def number(value):
            return repr(float(value))
        def figures(raw, dtype):
            n = len(raw) // dtype.itemsize
            x = np.frombuffer(raw[: n * dtype.itemsize], dtype=dtype).astype(np.float64)
            nans = int(np.isnan(x).sum())
            some = n - nans > 0
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return {"count": n, "nan_count": nans,
                        "min": number(np.nanmin(x)) if some else None,
                        "max": number(np.nanmax(x)) if some else None,
                        "sum": number(np.nansum(x)),
                        "mean": number(np.nanmean(x)) if some else None,
                        "std": number(np.nanstd(x)) if some else None,
                        "abs_sum": number(np.nansum(np.abs(x))),
                        "trailing_bytes": len(raw) - n * dtype.itemsize}
        with open(sys.argv[1]) as handle:
            jobs = json.load(handle)
        for job in jobs:
            dtype = np.dtype((">" if job["endian"] == "big" else "<") + codes[job["dtype"]])
            frame = job["frame"]
            with open(job["path"], "rb") as handle:
                raw = handle.read()
            frames = [figures(raw[o : o + frame], dtype) for o in range(0, len(raw), frame)] if frame else []
            print(json.dumps({"path": job["path"], "file": figures(raw, dtype), "frames": frames}))
        """#

        /// numpy's figures of each file read as its kernel reads it.
        static func figures(_ jobs: [(path: RawPath, kernel: StatisticsKernel)],
                            scratch: ScratchDirectory) throws -> [RawPath: (file: Expected, frames: [Expected])] {
            let python = try Subprocess.numpyPython()
            let scriptPath = try scratch.write(scratch.path("numpy-stats.py"), Array(script.utf8))
            let list: [[String: Any]] = jobs.map { job in
                ["path": job.path.description, "dtype": job.kernel.dtype.name,
                 "endian": job.kernel.bigEndian ? "big" : "little", "frame": job.kernel.frameBytes ?? 0]
            }
            let jobsPath = try scratch.write(scratch.path("numpy-jobs.json"), Array(try JSONSerialization.data(withJSONObject: list)))
            let outcome = try Subprocess.run(python, [scriptPath.description, jobsPath.description], timeout: 300)
            XCTAssertEqual(outcome.status, 0, outcome.stderrText)
            var result: [RawPath: (file: Expected, frames: [Expected])] = [:]
            for line in outcome.stdoutLines {
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
                let path = try XCTUnwrap(jobs.first { $0.path.description == object["path"] as? String }?.path)
                let frames = try XCTUnwrap(object["frames"] as? [[String: Any]]).map(expected)
                result[path] = (expected(try XCTUnwrap(object["file"] as? [String: Any])), frames)
            }
            XCTAssertEqual(result.count, jobs.count, "numpy gave every file's figures")
            return result
        }

        private static func expected(_ object: [String: Any]) -> Expected {
            func number(_ key: String) -> Double? { (object[key] as? String).flatMap(Double.init) }
            func integer(_ key: String) -> UInt64 { (object[key] as? NSNumber)?.uint64Value ?? .max }
            return Expected(figures: StatisticsFigures(count: integer("count"), nanCount: integer("nan_count"),
                                                       min: number("min"), max: number("max"), sum: number("sum") ?? .nan,
                                                       mean: number("mean"), std: number("std"),
                                                       trailingBytes: integer("trailing_bytes")),
                            absoluteSum: number("abs_sum") ?? .nan)
        }
    }
}
