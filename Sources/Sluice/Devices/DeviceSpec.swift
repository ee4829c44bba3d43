/// What `--device` asked for (see the selection table in docs/devices.md).
public enum DeviceSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// An OpenCL GPU or accelerator if one is present, else the CPU SIMD backend.
    case auto
    /// An OpenCL GPU or accelerator; without one, the CPU SIMD backend with a warning (or an
    /// error under `--strict-device`).
    case gpu
    /// The native CPU SIMD backend.
    case cpu
    /// An OpenCL device of any type (PoCL's CPU device included); `nil` components mean "any",
    /// so `.opencl(platform: nil, device: nil)` is the first OpenCL device.
    case opencl(platform: DeviceSelector?, device: DeviceSelector?)

    /// The forms `--device` accepts, for help and error messages.
    public static let validChoices =
        "auto, gpu, cpu, opencl, opencl:P or opencl:P:D (P and D: an index or a name substring)"

    /// Parses a `--device` value: `auto`, `gpu`, `cpu`, `opencl`, `opencl:P` or `opencl:P:D`,
    /// where `P` and `D` are each an index (`0`) or a case-insensitive name substring
    /// (`portable`, `haswell`); an empty component means any (`opencl::1`). Throws a
    /// `DeviceSelectionError` naming the valid choices for anything else.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        switch trimmed.lowercased() {
        case "auto": self = .auto; return
        case "gpu": self = .gpu; return
        case "cpu": self = .cpu; return
        default: break
        }
        let parts = trimmed.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.first?.lowercased() == "opencl", !parts.dropFirst().contains(where: { $0.contains(":") }) else {
            throw DeviceSelectionError("invalid device '\(text)'; valid choices: \(Self.validChoices)")
        }
        self = .opencl(platform: parts.count > 1 ? DeviceSelector(parsing: parts[1]) : nil,
                       device: parts.count > 2 ? DeviceSelector(parsing: parts[2]) : nil)
    }

    /// The canonical spelling, which `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .gpu: return "gpu"
        case .cpu: return "cpu"
        case .opencl(nil, nil): return "opencl"
        case .opencl(let platform?, nil): return "opencl:\(platform)"
        case .opencl(let platform, let device?): return "opencl:\(platform.map(String.init(describing:)) ?? ""):\(device)"
        }
    }
}

extension DeviceSpec {
    /// Parses a `--device` list: one spec, or several joined by commas (`cpu,opencl`,
    /// `cpu,opencl:0:0,opencl:1:0`), each a lane of the run.
    public static func list(parsing text: String) throws -> [DeviceSpec] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, !parts.contains(where: { $0.trimmingWhitespace().isEmpty }) else {
            throw DeviceSelectionError("invalid device list '\(text)'; give devices joined by commas, each one of: \(validChoices)")
        }
        return try parts.map { try DeviceSpec(parsing: String($0)) }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace, found by index. (A `drop(while:)` over
    /// reversed views was 4% of parsing a `sluice run` command line: generic code the runtime
    /// instantiated, with conformance lookups, for the one `--device` value.)
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else {
            return ""
        }
        return String(self[first ... last])
    }
}
