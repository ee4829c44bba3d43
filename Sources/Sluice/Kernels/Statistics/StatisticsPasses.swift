import SIMDKernels
import SIMDKernelsAVX2
import SIMDKernelsAVX512

/// The statistics kernel's two passes (`StatisticsLanes`, in the SIMD modules) in the build for
/// an instruction set: the same source compiled for SSE2, AVX2 (`-target-cpu haswell`) and
/// AVX-512, chosen by the executor's `CPUVectorISA`. Every build does the same float64 operations
/// in the same order (no contraction into fused multiply-adds), so the figures are identical.
enum StatisticsPasses {
    static func firstPass(_ bytes: UnsafeRawPointer, count: Int, type: ElementType, bigEndian: Bool, isa: CPUVectorISA)
        -> (nanCount: Int, min: Double, max: Double, sum: Double) {
        let code = type.laneType.rawValue
        switch isa {
        case .baseline: return SIMDKernels.StatisticsLanes.firstPass(bytes, count: count, typeCode: code, bigEndian: bigEndian)
        case .avx2: return SIMDKernelsAVX2.StatisticsLanes.firstPass(bytes, count: count, typeCode: code, bigEndian: bigEndian)
        case .avx512: return SIMDKernelsAVX512.StatisticsLanes.firstPass(bytes, count: count, typeCode: code, bigEndian: bigEndian)
        }
    }

    static func squaredDeviations(_ bytes: UnsafeRawPointer, count: Int, type: ElementType, bigEndian: Bool, mean: Double,
                                  isa: CPUVectorISA) -> Double {
        let code = type.laneType.rawValue
        switch isa {
        case .baseline:
            return SIMDKernels.StatisticsLanes.squaredDeviations(bytes, count: count, typeCode: code, bigEndian: bigEndian, mean: mean)
        case .avx2:
            return SIMDKernelsAVX2.StatisticsLanes.squaredDeviations(bytes, count: count, typeCode: code, bigEndian: bigEndian, mean: mean)
        case .avx512:
            return SIMDKernelsAVX512.StatisticsLanes.squaredDeviations(bytes, count: count, typeCode: code, bigEndian: bigEndian, mean: mean)
        }
    }
}
