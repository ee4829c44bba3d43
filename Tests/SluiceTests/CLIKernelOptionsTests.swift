import Foundation
import XCTest
@testable import Sluice

/// `sluice run --kernel …` as users type it: each kernel's options checked, JSONL by default
/// for the figure kernels, streams like files, frames as JSONL lines and as .npy files.
final class CLIKernelOptionsTests: XCTestCase {
    func testOptionsOfAnotherKernelAreRefusedWithExit2() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.writeRandom("f", size: 100).description
        let refused: [([String], String)] = [
            (["--kernel", "histogram", "--length", "16", file], "--length applies to --kernel blake3 only"),
            (["--kernel", "entropy", "--derive-key", "ctx", file], "--derive-key applies to --kernel blake3 only"),
            (["--kernel", "entropy", "--tag", file], "--tag applies to --kernel blake3 only"),
            (["--kernel", "histogram", "--format", "b3sum", file], "--format b3sum writes digests"),
            (["--frame", "4K", file], "--frame applies to --kernel histogram, entropy and stats"),
            (["--kernel", "entropy", "--frames-npy", scratch.path("npy").description, file], "--frames-npy needs --frame"),
            (["--kernel", "entropy", "--frame", "0", file], "--frame takes a size"),
            (["--kernel", "stats", file], "--kernel stats needs --dtype"),
            (["--kernel", "stats", "--dtype", "f64", "--frame", "1001", file], "--frame 1001 is not a multiple of the 8-byte f64 element"),
            (["--kernel", "stats", "--dtype", "f16", file], "--dtype"),
            (["--kernel", "entropy", "--dtype", "f32", file], "--dtype applies to --kernel stats only"),
            (["--endian", "big", file], "--endian applies to --kernel stats only"),
            (["--kernel", "stats", "--dtype", "i16", "--length", "8", file], "--length applies to --kernel blake3 only"),
        ]
        for (arguments, message) in refused {
            let outcome = try Subprocess.sluice(["run"] + arguments)
            XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderrText)")
            XCTAssertTrue(outcome.stderrText.contains(message), "\(arguments): \(outcome.stderrText)")
            XCTAssertEqual(outcome.stdout.count, 0, "\(arguments)")
        }
    }

    func testFigureKernelsWriteJSONLAndAStreamGivesTheFilesFigures() throws {
        let scratch = try ScratchDirectory()
        let bytes = randomBytes(300_001)
        let file = try scratch.write(scratch.path("f"), bytes).description
        for kernel in ["histogram", "entropy"] {
            let fromFile = try Subprocess.sluice(["run", "--kernel", kernel, file])
            XCTAssertEqual(fromFile.status, 0, fromFile.stderrText)
            let fromStream = try Subprocess.sluice(["run", "--kernel", kernel, "-"], stdin: Data(bytes))
            XCTAssertEqual(fromStream.status, 0, fromStream.stderrText)
            var fileLine = try XCTUnwrap(JSONSerialization.jsonObject(with: fromFile.stdout) as? [String: Any])
            var streamLine = try XCTUnwrap(JSONSerialization.jsonObject(with: fromStream.stdout) as? [String: Any])
            XCTAssertEqual(fileLine["kernel"] as? String, kernel)
            XCTAssertEqual(fileLine["size"] as? Int, bytes.count)
            XCTAssertEqual(streamLine["path"] as? String, "-")
            fileLine["path"] = nil
            streamLine["path"] = nil
            XCTAssertEqual(NSDictionary(dictionary: fileLine), NSDictionary(dictionary: streamLine), kernel)
        }
    }

    func testStatsLineCarriesTheTypeByteOrderAndFigures() throws {
        let scratch = try ScratchDirectory()
        // Big-endian int16 −3, 5, 7 and one trailing byte.
        let file = try scratch.write(scratch.path("v"), [0xFF, 0xFD, 0x00, 0x05, 0x00, 0x07, 0x2A]).description
        let outcome = try Subprocess.sluice(["run", "--kernel", "stats", "--dtype", "i16", "--endian", "big", file])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: outcome.stdout) as? [String: Any])
        XCTAssertEqual(line["kernel"] as? String, "stats")
        XCTAssertEqual(line["dtype"] as? String, "i16")
        XCTAssertEqual(line["endian"] as? String, "big")
        XCTAssertEqual(line["count"] as? Int, 3)
        XCTAssertEqual(line["trailing_bytes"] as? Int, 1)
        XCTAssertEqual(line["min"] as? Double, -3)
        XCTAssertEqual(line["max"] as? Double, 7)
        XCTAssertEqual(line["sum"] as? Double, 9)
        XCTAssertEqual(line["mean"] as? Double, 3)
        XCTAssertEqual(try XCTUnwrap(line["std"] as? Double), (56.0 / 3).squareRoot(), accuracy: 1e-12)
    }

    func testFramesAreJSONLinesAndNPYFilesThatNumpyReadsBack() throws {
        let scratch = try ScratchDirectory()
        let bytes = randomBytes(250_000)
        let file = try scratch.write(scratch.path("f"), bytes).description
        let npy = scratch.path("frames").description
        let outcome = try Subprocess.sluice(["run", "--kernel", "entropy", "--frame", "100000", "--frames-npy", npy, file])
        XCTAssertEqual(outcome.status, 0, outcome.stderrText)
        let lines = try outcome.stdoutLines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
        XCTAssertEqual(lines.count, 4, "the file's line and 3 frames")
        XCTAssertEqual(lines[0]["frame_size"] as? Int, 100_000)
        let npyPath = try XCTUnwrap(lines[0]["frames_npy"] as? String)
        XCTAssertEqual(lines.dropFirst().map { $0["frame"] as? Int }, [0, 1, 2])
        XCTAssertEqual(lines.dropFirst().map { $0["offset"] as? Int }, [0, 100_000, 200_000])
        XCTAssertEqual(lines.dropFirst().map { $0["length"] as? Int }, [100_000, 100_000, 50_000])
        let python = try Subprocess.numpyPython()
        let script = """
            import json, sys, numpy as np
            a = np.load(sys.argv[1])
            print(json.dumps([{k: float(r[k]) for k in a.dtype.names} for r in a]))
            """
        let loaded = try Subprocess.run(python, ["-c", script, npyPath])
        XCTAssertEqual(loaded.status, 0, loaded.stderrText)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: loaded.stdout) as? [[String: Double]])
        XCTAssertEqual(rows.count, 3)
        for (row, line) in zip(rows, lines.dropFirst()) {
            for key in ["frame", "offset", "length", "entropy", "chi_square", "mean", "serial_correlation"] {
                XCTAssertEqual(row[key], (line[key] as? NSNumber)?.doubleValue, key)
            }
        }
    }
}
