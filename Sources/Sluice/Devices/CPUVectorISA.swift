import CSluice

/// The vector instruction set the CPU backend's hot kernels run with, chosen from CPUID.
public enum CPUVectorISA: String, Sendable, CaseIterable, Comparable {
    /// Portable x86-64 (SSE2) code: 4 lanes of 32 bits.
    case baseline
    /// AVX2: 8 lanes of 32 bits.
    case avx2
    /// AVX-512 (F, BW, VL): 16 lanes of 32 bits.
    case avx512

    /// The best level this CPU and OS support.
    public static let detected: CPUVectorISA = {
        switch sluice_detect_isa() {
        case Int32(SLUICE_ISA_AVX512.rawValue): return .avx512
        case Int32(SLUICE_ISA_AVX2.rawValue): return .avx2
        default: return .baseline
        }
    }()

    /// The C code's number for this level (`SLUICE_ISA_…`), for C kernels that dispatch on it.
    public var cLevel: Int32 {
        switch self {
        case .baseline: Int32(SLUICE_ISA_BASELINE.rawValue)
        case .avx2: Int32(SLUICE_ISA_AVX2.rawValue)
        case .avx512: Int32(SLUICE_ISA_AVX512.rawValue)
        }
    }

    /// The level in use: `detected`, lowered by `SLUICE_ISA=baseline|avx2` (for tests and
    /// benchmarks); a request above what the CPU supports is ignored.
    public static func active(environment: [String: String]) -> CPUVectorISA {
        guard let requested = environment["SLUICE_ISA"].flatMap(CPUVectorISA.init(rawValue:)) else {
            return detected
        }
        return min(requested, detected)
    }

    /// 32-bit lanes per vector register.
    public var lanes: Int {
        switch self {
        case .baseline: return 4
        case .avx2: return 8
        case .avx512: return 16
        }
    }

    public static func < (lhs: CPUVectorISA, rhs: CPUVectorISA) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
