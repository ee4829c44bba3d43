// BLAKE3's compression function on N independent inputs at once, one per SIMD lane.
//
// This file is compiled three times (SIMDKernels, SIMDKernelsAVX2, SIMDKernelsAVX512 hold links
// to it), each module for one instruction set; the library calls the widest one the CPU has.
// The step names follow BLAKE3Reference.swift (g, round, permute, compress) so the two read side
// by side. No arrays, closures or existentials inside the per-block loop: the state and message
// live in SIMD values that the compiler keeps in registers (or spills), nothing else.
import CSluice

/// Lane-parallel BLAKE3 kernels over raw memory, for one instruction set.
public enum BLAKE3Lanes {
    /// Chaining values of `count` full 1024-byte, non-root chunks.
    ///
    /// Chunk `i` starts at `base + inputOffsets[i]`, has chunk index `counters[i]`, and its
    /// 8-word chaining value is written at `chainingValues + 8 * outputSlots[i]`.
    /// - Parameters:
    ///   - key: 8 key words (the IV when not keyed).
    ///   - flags: the mode flags (KEYED_HASH, DERIVE_KEY_MATERIAL or none).
    ///   - lanes: 4, 8 or 16: the vector width to compute with.
    public static func hashChunks(
        base: UnsafeRawPointer, inputOffsets: UnsafePointer<Int>, counters: UnsafePointer<UInt64>,
        outputSlots: UnsafePointer<Int32>, count: Int, chainingValues: UnsafeMutablePointer<UInt32>,
        key: UnsafePointer<UInt32>, flags: UInt32, lanes: Int
    ) {
        switch lanes {
        case 16:
            #if SLUICE_AVX512
            BLAKE3VectorKernel<ZMMLanes>.hashChunks(base: base, inputOffsets: inputOffsets, counters: counters,
                outputSlots: outputSlots, count: count, chainingValues: chainingValues, key: key, flags: flags)
            #else
            chunks(SIMD16<UInt32>.self, base, inputOffsets, counters, outputSlots, count, chainingValues, key, flags)
            #endif
        case 8:
            #if SLUICE_AVX2
            BLAKE3VectorKernel<YMMLanes>.hashChunks(base: base, inputOffsets: inputOffsets, counters: counters,
                outputSlots: outputSlots, count: count, chainingValues: chainingValues, key: key, flags: flags)
            #else
            chunks(SIMD8<UInt32>.self, base, inputOffsets, counters, outputSlots, count, chainingValues, key, flags)
            #endif
        default:
            chunks(SIMD4<UInt32>.self, base, inputOffsets, counters, outputSlots, count, chainingValues, key, flags)
        }
    }

    /// Chaining values of `count` non-root parent nodes.
    ///
    /// Parent `j` reads its left and right children's chaining values as 16 consecutive words at
    /// `chainingValues + 8 * inputSlots[j]` and writes its own at `chainingValues + 8 * outputSlots[j]`.
    /// All reads of a group of lanes happen before its writes, so a level can be reduced in place
    /// (output slot `k` from input slots `2k`, `2k+1`), the layout the batch executor uses.
    public static func hashParents(
        inputSlots: UnsafePointer<Int32>, outputSlots: UnsafePointer<Int32>, count: Int,
        chainingValues: UnsafeMutablePointer<UInt32>, key: UnsafePointer<UInt32>, flags: UInt32, lanes: Int
    ) {
        switch lanes {
        case 16:
            #if SLUICE_AVX512
            BLAKE3VectorKernel<ZMMLanes>.hashParents(inputSlots: inputSlots, outputSlots: outputSlots, count: count,
                chainingValues: chainingValues, key: key, flags: flags)
            #else
            parents(SIMD16<UInt32>.self, inputSlots, outputSlots, count, chainingValues, key, flags)
            #endif
        case 8:
            #if SLUICE_AVX2
            BLAKE3VectorKernel<YMMLanes>.hashParents(inputSlots: inputSlots, outputSlots: outputSlots, count: count,
                chainingValues: chainingValues, key: key, flags: flags)
            #else
            parents(SIMD8<UInt32>.self, inputSlots, outputSlots, count, chainingValues, key, flags)
            #endif
        default: parents(SIMD4<UInt32>.self, inputSlots, outputSlots, count, chainingValues, key, flags)
        }
    }
}

// MARK: - Flags and constants (same values as BLAKE3Reference)

@usableFromInline let chunkStartFlag: UInt32 = 1 << 0
@usableFromInline let chunkEndFlag: UInt32 = 1 << 1
@usableFromInline let parentFlag: UInt32 = 1 << 2

@usableFromInline let iv0: UInt32 = 0x6A09_E667
@usableFromInline let iv1: UInt32 = 0xBB67_AE85
@usableFromInline let iv2: UInt32 = 0x3C6E_F372
@usableFromInline let iv3: UInt32 = 0xA54F_F53A

// MARK: - The compression function on lanes

/// The 16 message words of one block, one input per lane.
struct LaneMessage<V: SIMD> where V.Scalar == UInt32 {
    var m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15: V

    /// BLAKE3's message permutation, applied between rounds.
    @inline(__always)
    mutating func permute() {
        self = LaneMessage(m0: m2, m1: m6, m2: m3, m3: m10, m4: m7, m5: m0, m6: m4, m7: m13,
                           m8: m1, m9: m11, m10: m12, m11: m5, m12: m9, m13: m14, m14: m15, m15: m8)
    }
}

/// Eight chaining-value words, one input per lane.
struct LaneChainingValue<V: SIMD> where V.Scalar == UInt32 {
    var h0, h1, h2, h3, h4, h5, h6, h7: V
}

@inline(__always)
func rotateRight<V: SIMD>(_ x: V, _ n: UInt32) -> V where V.Scalar == UInt32 {
    (x &>> n) | (x &<< (32 - n))
}

@inline(__always)
func g<V: SIMD>(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V, _ mx: V, _ my: V) where V.Scalar == UInt32 {
    a = a &+ b &+ mx
    d = rotateRight(d ^ a, 16)
    c = c &+ d
    b = rotateRight(b ^ c, 12)
    a = a &+ b &+ my
    d = rotateRight(d ^ a, 8)
    c = c &+ d
    b = rotateRight(b ^ c, 7)
}

/// Compresses one block per lane and returns the next chaining value (the first 8 output words).
///
/// The round loop stays rolled and the message is permuted between rounds, as in the reference.
/// Swift's generic SIMD operators are lane loops that LLVM's SLP vectorizer turns back into
/// vector instructions; on the seven rounds unrolled it gave up and emitted scalar code (6×
/// slower), and reading the message through a schedule table instead of permuting was 18%
/// slower (docs/performance.md has the figures).
@inline(__always)
func compress<V: SIMD>(
    _ cv: LaneChainingValue<V>, _ message: LaneMessage<V>, counterLow: V, counterHigh: V, blockLength: UInt32, flags: V
) -> LaneChainingValue<V> where V.Scalar == UInt32 {
    var s0 = cv.h0, s1 = cv.h1, s2 = cv.h2, s3 = cv.h3, s4 = cv.h4, s5 = cv.h5, s6 = cv.h6, s7 = cv.h7
    var s8 = V(repeating: iv0), s9 = V(repeating: iv1), s10 = V(repeating: iv2), s11 = V(repeating: iv3)
    var s12 = counterLow, s13 = counterHigh, s14 = V(repeating: blockLength), s15 = flags
    var m = message
    for round in 0..<7 {
        // Columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m.m0, m.m1)
        g(&s1, &s5, &s9, &s13, m.m2, m.m3)
        g(&s2, &s6, &s10, &s14, m.m4, m.m5)
        g(&s3, &s7, &s11, &s15, m.m6, m.m7)
        g(&s0, &s5, &s10, &s15, m.m8, m.m9)
        g(&s1, &s6, &s11, &s12, m.m10, m.m11)
        g(&s2, &s7, &s8, &s13, m.m12, m.m13)
        g(&s3, &s4, &s9, &s14, m.m14, m.m15)
        if round < 6 { m.permute() }
    }
    return LaneChainingValue(h0: s0 ^ s8, h1: s1 ^ s9, h2: s2 ^ s10, h3: s3 ^ s11,
                             h4: s4 ^ s12, h5: s5 ^ s13, h6: s6 ^ s14, h7: s7 ^ s15)
}

// MARK: - Transposed loads and stores

/// Word `word` of every lane's block: lane `i` reads at `base + offsets[i] + 4 * word`.
///
/// Measured (docs/performance.md): lane-by-lane loads beat a shuffle-based 8×8 transpose
/// written with lane-wise SIMD8 constructors (2.05 vs 1.38 GB/s on AVX2).
@inline(__always)
func gatherWord<V: SIMD>(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ word: Int) -> V
where V.Scalar == UInt32 {
    var v = V()
    for lane in 0..<V.scalarCount {
        v[lane] = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offsets[lane] &+ 4 &* word, as: UInt32.self))
    }
    return v
}

@inline(__always)
func gatherMessage<V: SIMD>(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>) -> LaneMessage<V>
where V.Scalar == UInt32 {
    return LaneMessage(
        m0: gatherWord(base, offsets, 0), m1: gatherWord(base, offsets, 1),
        m2: gatherWord(base, offsets, 2), m3: gatherWord(base, offsets, 3),
        m4: gatherWord(base, offsets, 4), m5: gatherWord(base, offsets, 5),
        m6: gatherWord(base, offsets, 6), m7: gatherWord(base, offsets, 7),
        m8: gatherWord(base, offsets, 8), m9: gatherWord(base, offsets, 9),
        m10: gatherWord(base, offsets, 10), m11: gatherWord(base, offsets, 11),
        m12: gatherWord(base, offsets, 12), m13: gatherWord(base, offsets, 13),
        m14: gatherWord(base, offsets, 14), m15: gatherWord(base, offsets, 15))
}

@inline(__always)
func broadcastKey<V: SIMD>(_ key: UnsafePointer<UInt32>) -> LaneChainingValue<V> where V.Scalar == UInt32 {
    LaneChainingValue(h0: V(repeating: key[0]), h1: V(repeating: key[1]), h2: V(repeating: key[2]),
                      h3: V(repeating: key[3]), h4: V(repeating: key[4]), h5: V(repeating: key[5]),
                      h6: V(repeating: key[6]), h7: V(repeating: key[7]))
}

/// Writes lane `i`'s chaining value at `destination + 8 * slots[i]` for the first `active` lanes.
@inline(__always)
func scatter<V: SIMD>(_ cv: LaneChainingValue<V>, _ destination: UnsafeMutablePointer<UInt32>,
                      _ slots: UnsafePointer<Int32>, active: Int) where V.Scalar == UInt32 {
    for lane in 0..<active {
        let out = destination + 8 &* Int(slots[lane])
        out[0] = cv.h0[lane]; out[1] = cv.h1[lane]; out[2] = cv.h2[lane]; out[3] = cv.h3[lane]
        out[4] = cv.h4[lane]; out[5] = cv.h5[lane]; out[6] = cv.h6[lane]; out[7] = cv.h7[lane]
    }
}

// MARK: - Drivers

@inline(never)
func chunks<V: SIMD>(
    _: V.Type, _ base: UnsafeRawPointer, _ inputOffsets: UnsafePointer<Int>, _ counters: UnsafePointer<UInt64>,
    _ outputSlots: UnsafePointer<Int32>, _ count: Int, _ chainingValues: UnsafeMutablePointer<UInt32>,
    _ key: UnsafePointer<UInt32>, _ flags: UInt32
) where V.Scalar == UInt32 {
    let width = V.scalarCount
    withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { offsets in
        var start = 0
        while start < count {
            let active = min(width, count - start)
            var counterLow = V(), counterHigh = V()
            for lane in 0..<width {
                // Idle lanes repeat the last input; their results are not stored.
                let source = start + min(lane, active - 1)
                offsets[lane] = inputOffsets[source]
                counterLow[lane] = UInt32(truncatingIfNeeded: counters[source])
                counterHigh[lane] = UInt32(truncatingIfNeeded: counters[source] >> 32)
            }
            var cv: LaneChainingValue<V> = broadcastKey(key)
            // The next group's cache lines are fetched while this one is hashed, one line of each
            // of its chunks per block (see BLAKE3VectorKernel.hashChunks: bytes hashed in place come
            // from memory, in streams too short for the hardware prefetcher).
            let next = start + active
            let prefetching = min(width, count - next)
            for block in 0..<16 {
                for lane in 0..<prefetching { sluice_prefetch(base + inputOffsets[next + lane] + 64 &* block) }
                var blockFlags = flags
                if block == 0 { blockFlags |= chunkStartFlag }
                if block == 15 { blockFlags |= chunkEndFlag }
                let message: LaneMessage<V> = gatherMessage(base, offsets.baseAddress!)
                cv = compress(cv, message, counterLow: counterLow, counterHigh: counterHigh, blockLength: 64,
                              flags: V(repeating: blockFlags))
                for lane in 0..<width { offsets[lane] &+= 64 }
            }
            scatter(cv, chainingValues, outputSlots + start, active: active)
            start += active
        }
    }
}

@inline(never)
func parents<V: SIMD>(
    _: V.Type, _ inputSlots: UnsafePointer<Int32>, _ outputSlots: UnsafePointer<Int32>, _ count: Int,
    _ chainingValues: UnsafeMutablePointer<UInt32>, _ key: UnsafePointer<UInt32>, _ flags: UInt32
) where V.Scalar == UInt32 {
    let width = V.scalarCount
    let base = UnsafeRawPointer(chainingValues)
    withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { offsets in
        var start = 0
        while start < count {
            let active = min(width, count - start)
            for lane in 0..<width {
                offsets[lane] = 32 &* Int(inputSlots[start + min(lane, active - 1)])
            }
            let message: LaneMessage<V> = gatherMessage(base, offsets.baseAddress!)
            let cv = compress(broadcastKey(key), message, counterLow: V(), counterHigh: V(), blockLength: 64,
                              flags: V(repeating: flags | parentFlag))
            scatter(cv, chainingValues, outputSlots + start, active: active)
            start += active
        }
    }
}
