import Foundation
import XCTest
import CSluice
@testable import Sluice

/// The histogram and entropy kernels through the whole pipeline: counts exact and figures
/// bit-identical on the CPU lane, the OpenCL lane (PoCL) and both together, at several batch
/// sizes; figures equal to numpy's (1e-12) and to `ent`'s (its 6 printed decimals).
final class ByteHistogramKernelTests: XCTestCase {
    /// Files around piece, unit and batch boundaries, of random bytes, text and zeros.
    private func corpus() throws -> (ScratchDirectory, [String: [UInt8]]) {
        let scratch = try ScratchDirectory()
        var files: [String: [UInt8]] = [:]
        let sizes = [0, 1, 2, 3, 1023, 65_535, 65_536, 65_537, 200_000, (1 << 20) + 7, 3 << 20]
        for size in sizes {
            files["random-\(size)"] = randomBytes(size)
            files["zeros-\(size)"] = [UInt8](repeating: 0, count: size)
        }
        let text = Array(String(repeating: "The quick brown fox jumps over the lazy dog.\n", count: 30_000).utf8)
        files["text"] = text
        files["text-short"] = Array(text[0..<777])
        for (name, bytes) in files { _ = try scratch.write(scratch.path(name), bytes) }
        return (scratch, files)
    }

    private func naiveCounts(_ bytes: ArraySlice<UInt8>) -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        return counts
    }

    /// The pipeline's results, by file name.
    private func run(_ root: RawPath, kernel: any ComputeKernel, lanes: [ComputeBackend], batchBytes: Int) throws -> [String: FileResult] {
        let catalog = try Catalog.build(paths: [root], options: CatalogOptions())
        var configuration = RunConfiguration()
        configuration.kernel = kernel
        configuration.batchBytes = batchBytes
        let sink = CollectingSink()
        _ = OpenCLFallbackLog.shared.drain()
        let summary = try Pipeline(catalog: catalog, lanes: lanes.map { .ready($0) }, configuration: configuration, sink: sink).run()
        XCTAssertEqual(OpenCLFallbackLog.shared.drain(), [], "an OpenCL lane fell back to the CPU")
        XCTAssertEqual(summary.filesFailed, 0)
        var results: [String: FileResult] = [:]
        for result in sink.results { results[String(result.path.description.split(separator: "/").last!)] = result }
        return results
    }

    /// The lane mixes this machine can run: CPU, and with PoCL the OpenCL lane alone and beside the CPU.
    private func laneMixes(_ kernel: any ComputeKernel) throws -> [(String, [ComputeBackend])] {
        let isa = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment)
        var mixes: [(String, [ComputeBackend])] = [("cpu", [CPUBackend(isa: isa, workers: 2)])]
        if let entry = DeviceInventory.current().openCL.first {
            let make = { try OpenCLBackend(device: entry.device, kernel: kernel, warnings: { OpenCLFallbackLog.shared.append($0) }) }
            mixes.append(("opencl", [try make()]))
            mixes.append(("cpu+opencl", [CPUBackend(isa: isa, workers: 1), try make()]))
        }
        return mixes
    }

    private func members(_ result: FileResult?) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: (result?.output?.members ?? []).map { ($0.key, $0.value) })
    }

    func testCountsAreExactAndFiguresIdenticalOnEveryLaneMixAndBatchSize() throws {
        let (scratch, files) = try corpus()
        for figures in ByteHistogramKernel.Figures.allCases {
            let kernel = ByteHistogramKernel(figures: figures)
            var reference: [String: [String: JSONValue]]?
            var runs = 0
            for (mix, lanes) in try laneMixes(kernel) {
                for batchBytes in [64 << 10, 256 << 10, 1 << 20] {
                    let results = try run(scratch.root, kernel: kernel, lanes: lanes, batchBytes: batchBytes)
                    XCTAssertEqual(results.count, files.count)
                    var all: [String: [String: JSONValue]] = [:]
                    for (name, bytes) in files {
                        let found = members(results[name])
                        all[name] = found
                        if figures == .histogram {
                            XCTAssertEqual(found["histogram"], .unsignedArray(naiveCounts(bytes[...])), "\(mix) \(batchBytes) \(name)")
                        }
                    }
                    if let reference {
                        XCTAssertEqual(all, reference, "\(figures) on \(mix) with \(batchBytes)-byte batches")
                    } else {
                        reference = all
                    }
                    runs += 1
                }
            }
            XCTAssertGreaterThanOrEqual(runs, 3)
        }
    }

    /// The counting loop on its own, at every length around its 16-byte steps and its tail,
    /// on random bytes, a repeating byte (all increments on one counter of each table) and two
    /// alternating ones, against a byte-at-a-time count.
    func testCountBytesMatchesANaiveCountAtEveryLengthAroundItsSteps() {
        let random = randomBytes(4096 + 64)
        let patterns: [(String, [UInt8])] = [
            ("random", random),
            ("repeated", [UInt8](repeating: 0xA5, count: random.count)),
            ("alternating", (0..<random.count).map { $0 % 2 == 0 ? 0 : 255 }),
        ]
        var checked = 0
        for (name, bytes) in patterns {
            for length in Array(0...49) + [4095, 4096, 4097, 4096 + 63] {
                let piece = bytes[..<length]
                var counts = [UInt32](repeating: 0xDEAD, count: 256)
                piece.withUnsafeBytes { raw in
                    counts.withUnsafeMutableBufferPointer { BytePiecePartial.countBytes(raw, into: $0.baseAddress!) }
                }
                XCTAssertEqual(counts.map(UInt64.init), naiveCounts(piece), "\(name), \(length) bytes")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 3 * 54)
    }

    func testFiguresEqualNumpys() throws {
        let python = try Subprocess.numpyPython()
        let (scratch, files) = try corpus()
        let script = """
            import json, sys, numpy as np
            out = {}
            for path in sys.argv[1:]:
                x = np.fromfile(path, dtype=np.uint8).astype(np.float64)
                c = np.bincount(x.astype(np.int64), minlength=256)
                n = len(x)
                p = c[c > 0] / n if n else np.array([])
                entry = {"entropy": float(-(p * np.log2(p)).sum()) if n else 0.0}
                if n:
                    e = n / 256
                    entry["chi_square"] = float(((c - e) ** 2 / e).sum())
                    entry["mean"] = float(x.mean())
                    t1 = float((x[:-1] * x[1:]).sum() + x[-1] * x[0])
                    den = n * float((x * x).sum()) - float(x.sum()) ** 2
                    entry["serial_correlation"] = None if den == 0 else (n * t1 - float(x.sum()) ** 2) / den
                out[path.rsplit("/", 1)[1]] = entry
            print(json.dumps(out))
            """
        let paths = files.keys.sorted().map { scratch.path($0).description }
        let outcome = try Subprocess.run(python, ["-c", script] + paths, timeout: 120)
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: outcome.stdout) as? [String: [String: Any]])
        let results = try run(scratch.root, kernel: ByteHistogramKernel(figures: .entropy), lanes: [try TestBackendKind.cpu.make()],
                              batchBytes: 256 << 10)
        var compared = 0
        for (name, figures) in expected {
            let found = members(results[name])
            for (key, value) in figures {
                guard let number = value as? Double else {
                    XCTAssertEqual(found[key], .null, "\(name) \(key)")
                    continue
                }
                guard case .number(let ours)? = found[key] else { XCTFail("\(name) \(key): \(String(describing: found[key]))"); continue }
                XCTAssertEqual(ours, number, accuracy: 1e-12 * max(1, abs(number)), "\(name) \(key)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 3 * files.count)
    }

    func testFiguresEqualEnts() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ent") else {
            throw XCTSkip("ent is not installed (scripts/setup installs it)")
        }
        let (scratch, files) = try corpus()
        let results = try run(scratch.root, kernel: ByteHistogramKernel(figures: .entropy), lanes: [try TestBackendKind.cpu.make()],
                              batchBytes: 1 << 20)
        var compared = 0
        for name in files.keys.sorted() where !files[name]!.isEmpty {
            let outcome = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/ent"), ["-t", scratch.path(name).description])
            XCTAssertEqual(outcome.status, 0)
            // "1,bytes,entropy,chi-square,mean,monte-carlo-pi,serial-correlation", 6 decimals.
            let fields = try XCTUnwrap(outcome.stdoutText.split(separator: "\n").last).split(separator: ",").map(String.init)
            let found = members(results[name])
            for (key, column) in [("entropy", 2), ("chi_square", 3), ("mean", 4), ("serial_correlation", 6)] {
                let theirs = try XCTUnwrap(Double(fields[column]))
                guard case .number(let ours)? = found[key] else {
                    // ent prints -100000 for a correlation it cannot define (all bytes equal).
                    XCTAssertEqual(theirs, -100000, "\(name) \(key)")
                    XCTAssertEqual(found[key], .null, "\(name) \(key)")
                    continue
                }
                XCTAssertEqual(ours, theirs, accuracy: 1e-6 * max(1, abs(theirs)), "\(name) \(key)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, files.count * 2)
    }

    func testFramesHoldEachFramesExactCountsOnEveryLaneMix() throws {
        let (scratch, files) = try corpus()
        for frameBytes in [1000, 100_000] {
            let kernel = ByteHistogramKernel(figures: .histogram, frameBytes: UInt64(frameBytes))
            for (mix, lanes) in try laneMixes(kernel) {
                let results = try run(scratch.root, kernel: kernel, lanes: lanes, batchBytes: 256 << 10)
                for (name, bytes) in files {
                    let frames = try XCTUnwrap(results[name]?.output?.frames, name)
                    XCTAssertEqual(frames.count, (bytes.count + frameBytes - 1) / frameBytes, "\(mix) \(name)")
                    for frame in frames {
                        let start = frame.index * frameBytes
                        XCTAssertEqual(frame.offset, UInt64(start))
                        XCTAssertEqual(frame.length, UInt64(min(frameBytes, bytes.count - start)))
                        let counts = naiveCounts(bytes[start ..< min(bytes.count, start + frameBytes)])
                        XCTAssertEqual(frame.members.first { $0.key == "histogram" }?.value, .unsignedArray(counts),
                                       "\(mix) \(name) frame \(frame.index)")
                    }
                }
            }
        }
    }

    /// The adjacent-byte products (ent's serial correlation) are exact on every instruction set:
    /// SSE2, AVX2 where the CPU has it, and the dispatch by level, against a plain sum, at every
    /// length around the vector widths and on 64 KiB of 0xFF (past 2^32 in all).
    func testAdjacentByteProductsAreExactOnEveryInstructionSet() throws {
        var generator = SystemRandomNumberGenerator()
        var lengths = Array(0...130)
        lengths += [255, 256, 257, 4095, 4096, 4097, 65_535, 65_536]
        var checked = 0
        for length in lengths {
            for fill in ["random", "ones"] {
                let bytes: [UInt8] = fill == "random" ? (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                                                      : [UInt8](repeating: 0xFF, count: length)
                var expected: UInt64 = 0
                if length > 1 { for index in 0..<(length - 1) { expected += UInt64(bytes[index]) * UInt64(bytes[index + 1]) } }
                bytes.withUnsafeBufferPointer { buffer in
                    let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 64)!
                    XCTAssertEqual(sluice_adjacent_byte_products_sse2(base, length), expected, "sse2, \(length) \(fill)")
                    for isa in CPUVectorISA.allCases where isa <= CPUVectorISA.detected {
                        XCTAssertEqual(BytePiecePartial.adjacentProducts(UnsafeRawBufferPointer(buffer), isa: isa), expected,
                                       "\(isa), \(length) \(fill)")
                    }
                    if CPUVectorISA.detected >= .avx2 {
                        XCTAssertEqual(sluice_adjacent_byte_products_avx2(base, length), expected, "avx2, \(length) \(fill)")
                    }
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 2 * lengths.count)
    }
}
