import ArgumentParser
import Sluice

/// `run`'s choice of kernel and the options of the kernels other than BLAKE3 (BLAKE3's own are
/// `HashModeOptions` and `--length`).
struct KernelOptions: ParsableArguments {
    @Option(name: .long, help: "The kernel to run: blake3 (b3sum's digests; the default), histogram (the 256 byte counts and the entropy of each file), entropy (ent's figures: entropy, chi-square, mean, serial correlation), stats (count, NaN count, min, max, sum, mean, std of the file's elements; needs --dtype).")
    var kernel: KernelName = .blake3

    @Option(name: .long, help: "stats: the element type, \(ElementType.allCases.map(\.name).joined(separator: ", ")).")
    var dtype: ElementType?

    @Option(name: .long, help: "stats: the elements' byte order, little (the default) or big.")
    var endian: ByteOrder?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Figures per consecutive frame of SIZE bytes of each file too (histogram, entropy, stats; for stats a multiple of the element size): one JSONL line per frame after the file's, e.g. 1M.",
        valueName: "SIZE"), transform: { try ByteCount(parsing: $0, for: "--frame") })
    var frame: ByteCount?

    @Option(name: .long, help: ArgumentHelp(
        "With --frame, also write each file's frames as one structured .npy file in DIR (numpy.load), named by the file's position; the file's JSONL line names it (frames_npy).",
        valueName: "DIR"))
    var framesNpy: String?

    /// The kernel these options and the BLAKE3 mode describe.
    func kernel(mode: BLAKE3Mode) -> any ComputeKernel {
        let frameBytes = frame.map { UInt64($0.bytes) }
        switch kernel {
        case .blake3: return BLAKE3Kernel(mode: mode)
        case .histogram: return ByteHistogramKernel(figures: .histogram, frameBytes: frameBytes)
        case .entropy: return ByteHistogramKernel(figures: .entropy, frameBytes: frameBytes)
        case .stats: return StatisticsKernel(dtype: dtype ?? .u8, bigEndian: endian == .big, frameBytes: frameBytes)
        }
    }

    /// Checks that each option given belongs to the kernel chosen; `blake3Options` names the
    /// BLAKE3 options given (`--length`, `--keyed`, …), `format` the format asked for, if any.
    func validate(blake3Options: [String], format: OutputFormat?) throws {
        if kernel != .blake3 {
            if let option = blake3Options.first {
                throw ValidationError("\(option) applies to --kernel blake3 only, not to --kernel \(kernel.rawValue)")
            }
            if format == .b3sum {
                throw ValidationError("--format b3sum writes digests: it applies to --kernel blake3 only (use jsonl)")
            }
        } else {
            if frame != nil { throw ValidationError("--frame applies to --kernel histogram, entropy and stats, not to blake3") }
        }
        if kernel == .stats {
            guard let dtype else { throw ValidationError("--kernel stats needs --dtype (\(ElementType.allCases.map(\.name).joined(separator: ", ")))") }
            if let frame, frame.bytes % dtype.byteSize != 0 {
                throw ValidationError("--frame \(frame.bytes) is not a multiple of the \(dtype.byteSize)-byte \(dtype.name) element")
            }
        } else {
            if dtype != nil { throw ValidationError("--dtype applies to --kernel stats only") }
            if endian != nil { throw ValidationError("--endian applies to --kernel stats only") }
        }
        if framesNpy != nil && frame == nil { throw ValidationError("--frames-npy needs --frame") }
    }
}

/// Kernels `--kernel` accepts.
enum KernelName: String, ArgumentChoice {
    case blake3, histogram, entropy, stats
}

/// `--endian` choices.
enum ByteOrder: String, ArgumentChoice {
    case little, big
}

extension ElementType: ArgumentChoice {}
