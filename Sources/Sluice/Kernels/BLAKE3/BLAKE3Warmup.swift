import Foundation

/// Runs the CPU BLAKE3 code once on the calling thread before a run starts its threads.
///
/// Trap: the first use of the SIMD kernels' generic code instantiates Swift type metadata
/// (`SIMD4<UInt32>`, `SIMD2`, …) at run time where the compiler did not specialise it (the
/// debug build). Once in a CI run (debug build) a compute worker crashed on a null witness ("Bad pointer dereference
/// at 0x0" in `SIMDStorage.scalarCount` for `SIMD4Storage`) while the assembler thread was
/// instantiating `SIMD2` metadata at the same moment. Hashing a few messages of every shape
/// here, on one thread, instantiates all of it before any worker starts: microseconds once per
/// process and instruction set.
public enum BLAKE3Warmup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done: Set<CPUVectorISA> = []

    /// Hashes messages that take every path (empty, one chunk, partial chunks, full-chunk lanes,
    /// parents, extended output) on `isa`, once per process.
    public static func run(isa: CPUVectorISA) {
        lock.lock()
        defer { lock.unlock() }
        guard done.insert(isa).inserted else { return }
        var hasher = BLAKE3BufferHasher(isa: isa, batchCapacity: 4 * BLAKE3Layout.maxSubtreeBytes)
        let sizes = [0, 1, 1024, 1025, 3000, 8 * 1024, BLAKE3Layout.maxSubtreeBytes + 1, 3 * BLAKE3Layout.maxSubtreeBytes]
        let messages = sizes.map { [UInt8](repeating: 0x5a, count: $0) }
        _ = hasher.hash(messages, mode: .hash(outputLength: 131))
    }
}
