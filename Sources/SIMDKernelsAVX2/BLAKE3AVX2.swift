// BLAKE3 on 8 inputs at once with AVX2 intrinsics, for the AVX2 and AVX-512 modules only
// (SLUICE_AVX2 is defined for them in Package.swift; the baseline module does not compile this).
//
// Same steps and names as BLAKE3Lanes.swift (g, compress, transposed message loads), written
// with x86 intrinsics so the vector code does not depend on LLVM re-vectorising Swift's generic
// SIMD lane loops: the message is transposed with unpack/permute instructions (24 shuffles for a
// 64-byte block of 8 lanes instead of 128 lane inserts), rotations by 16 and 8 are byte shuffles,
// and the seven rounds are unrolled with each round's message order (the block permuted r times,
// as BLAKE3Reference's `permute` gives), reading message words straight from memory.
#if SLUICE_AVX2
import _Builtin_intrinsics.intel
import CSluice

/// 8-lane BLAKE3 with AVX2 intrinsics.
enum BLAKE3AVX2 {
    typealias V = __m256i

    /// Byte-shuffle masks for rotating every 32-bit lane right by 16 and by 8.
    struct RotationMasks {
        let by16: V
        let by8: V

        init() {
            by16 = unsafeBitCast(SIMD32<UInt8>(
                2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), to: V.self)
            by8 = unsafeBitCast(SIMD32<UInt8>(
                1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12,
                1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12), to: V.self)
        }
    }

    @inline(__always) static func add(_ a: V, _ b: V) -> V { _mm256_add_epi32(a, b) }
    @inline(__always) static func xor(_ a: V, _ b: V) -> V { _mm256_xor_si256(a, b) }
    @inline(__always) static func splat(_ word: UInt32) -> V { _mm256_set1_epi32(Int32(bitPattern: word)) }

    @inline(__always)
    static func g(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V, _ mx: V, _ my: V, _ masks: RotationMasks) {
        a = add(add(a, b), mx)
        d = _mm256_shuffle_epi8(xor(d, a), masks.by16)
        c = add(c, d)
        b = xor(d: xor(b, c), shift: 12)
        a = add(add(a, b), my)
        d = _mm256_shuffle_epi8(xor(d, a), masks.by8)
        c = add(c, d)
        b = xor(d: xor(b, c), shift: 7)
    }

    /// `x` rotated right by `shift` bits in every lane.
    @inline(__always)
    static func xor(d x: V, shift: Int32) -> V {
        _mm256_or_si256(_mm256_srli_epi32(x, shift), _mm256_slli_epi32(x, 32 - shift))
    }

    /// One compression of 8 blocks (message `m[0..<16]`, transposed); `h` becomes the next
    /// chaining values.
    @inline(__always)
    static func compress(_ h: inout (V, V, V, V, V, V, V, V), _ m: UnsafePointer<V>, counterLow: V, counterHigh: V,
                         blockLength: UInt32, flags: UInt32, _ masks: RotationMasks) {
        var s0 = h.0, s1 = h.1, s2 = h.2, s3 = h.3, s4 = h.4, s5 = h.5, s6 = h.6, s7 = h.7
        var s8 = splat(iv0), s9 = splat(iv1), s10 = splat(iv2), s11 = splat(iv3)
        var s12 = counterLow, s13 = counterHigh, s14 = splat(blockLength), s15 = splat(flags)
        func g(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V, _ mx: V, _ my: V) {
            BLAKE3AVX2.g(&a, &b, &c, &d, mx, my, masks)
        }
        // Round 1: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[0], m[1])
        g(&s1, &s5, &s9, &s13, m[2], m[3])
        g(&s2, &s6, &s10, &s14, m[4], m[5])
        g(&s3, &s7, &s11, &s15, m[6], m[7])
        g(&s0, &s5, &s10, &s15, m[8], m[9])
        g(&s1, &s6, &s11, &s12, m[10], m[11])
        g(&s2, &s7, &s8, &s13, m[12], m[13])
        g(&s3, &s4, &s9, &s14, m[14], m[15])
        // Round 2: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[2], m[6])
        g(&s1, &s5, &s9, &s13, m[3], m[10])
        g(&s2, &s6, &s10, &s14, m[7], m[0])
        g(&s3, &s7, &s11, &s15, m[4], m[13])
        g(&s0, &s5, &s10, &s15, m[1], m[11])
        g(&s1, &s6, &s11, &s12, m[12], m[5])
        g(&s2, &s7, &s8, &s13, m[9], m[14])
        g(&s3, &s4, &s9, &s14, m[15], m[8])
        // Round 3: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[3], m[4])
        g(&s1, &s5, &s9, &s13, m[10], m[12])
        g(&s2, &s6, &s10, &s14, m[13], m[2])
        g(&s3, &s7, &s11, &s15, m[7], m[14])
        g(&s0, &s5, &s10, &s15, m[6], m[5])
        g(&s1, &s6, &s11, &s12, m[9], m[0])
        g(&s2, &s7, &s8, &s13, m[11], m[15])
        g(&s3, &s4, &s9, &s14, m[8], m[1])
        // Round 4: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[10], m[7])
        g(&s1, &s5, &s9, &s13, m[12], m[9])
        g(&s2, &s6, &s10, &s14, m[14], m[3])
        g(&s3, &s7, &s11, &s15, m[13], m[15])
        g(&s0, &s5, &s10, &s15, m[4], m[0])
        g(&s1, &s6, &s11, &s12, m[11], m[2])
        g(&s2, &s7, &s8, &s13, m[5], m[8])
        g(&s3, &s4, &s9, &s14, m[1], m[6])
        // Round 5: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[12], m[13])
        g(&s1, &s5, &s9, &s13, m[9], m[11])
        g(&s2, &s6, &s10, &s14, m[15], m[10])
        g(&s3, &s7, &s11, &s15, m[14], m[8])
        g(&s0, &s5, &s10, &s15, m[7], m[2])
        g(&s1, &s6, &s11, &s12, m[5], m[3])
        g(&s2, &s7, &s8, &s13, m[0], m[1])
        g(&s3, &s4, &s9, &s14, m[6], m[4])
        // Round 6: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[9], m[14])
        g(&s1, &s5, &s9, &s13, m[11], m[5])
        g(&s2, &s6, &s10, &s14, m[8], m[12])
        g(&s3, &s7, &s11, &s15, m[15], m[1])
        g(&s0, &s5, &s10, &s15, m[13], m[3])
        g(&s1, &s6, &s11, &s12, m[0], m[10])
        g(&s2, &s7, &s8, &s13, m[2], m[6])
        g(&s3, &s4, &s9, &s14, m[4], m[7])
        // Round 7: columns, then diagonals.
        g(&s0, &s4, &s8, &s12, m[11], m[15])
        g(&s1, &s5, &s9, &s13, m[5], m[0])
        g(&s2, &s6, &s10, &s14, m[1], m[9])
        g(&s3, &s7, &s11, &s15, m[8], m[6])
        g(&s0, &s5, &s10, &s15, m[14], m[10])
        g(&s1, &s6, &s11, &s12, m[2], m[12])
        g(&s2, &s7, &s8, &s13, m[3], m[4])
        g(&s3, &s4, &s9, &s14, m[7], m[13])
        h = (xor(s0, s8), xor(s1, s9), xor(s2, s10), xor(s3, s11), xor(s4, s12), xor(s5, s13), xor(s6, s14), xor(s7, s15))
    }

    /// The low 128-bit halves of `a` and `b`, in one vector (vperm2i128 with 0x20; the intrinsic
    /// is a macro that Swift cannot import, so the halves are taken apart as a tuple).
    @inline(__always)
    static func lowHalves(_ a: V, _ b: V) -> V {
        unsafeBitCast((unsafeBitCast(a, to: (__m128i, __m128i).self).0, unsafeBitCast(b, to: (__m128i, __m128i).self).0),
                      to: V.self)
    }

    /// The high 128-bit halves of `a` and `b`, in one vector (vperm2i128 with 0x31).
    @inline(__always)
    static func highHalves(_ a: V, _ b: V) -> V {
        unsafeBitCast((unsafeBitCast(a, to: (__m128i, __m128i).self).1, unsafeBitCast(b, to: (__m128i, __m128i).self).1),
                      to: V.self)
    }

    /// The columns of the 8×8 word matrix whose rows are `r` (row i: 8 words of lane i).
    @inline(__always)
    static func transpose(_ r: (V, V, V, V, V, V, V, V)) -> (V, V, V, V, V, V, V, V) {
        let ab0145 = _mm256_unpacklo_epi32(r.0, r.1), ab2367 = _mm256_unpackhi_epi32(r.0, r.1)
        let cd0145 = _mm256_unpacklo_epi32(r.2, r.3), cd2367 = _mm256_unpackhi_epi32(r.2, r.3)
        let ef0145 = _mm256_unpacklo_epi32(r.4, r.5), ef2367 = _mm256_unpackhi_epi32(r.4, r.5)
        let gh0145 = _mm256_unpacklo_epi32(r.6, r.7), gh2367 = _mm256_unpackhi_epi32(r.6, r.7)
        let abcd04 = _mm256_unpacklo_epi64(ab0145, cd0145), abcd15 = _mm256_unpackhi_epi64(ab0145, cd0145)
        let abcd26 = _mm256_unpacklo_epi64(ab2367, cd2367), abcd37 = _mm256_unpackhi_epi64(ab2367, cd2367)
        let efgh04 = _mm256_unpacklo_epi64(ef0145, gh0145), efgh15 = _mm256_unpackhi_epi64(ef0145, gh0145)
        let efgh26 = _mm256_unpacklo_epi64(ef2367, gh2367), efgh37 = _mm256_unpackhi_epi64(ef2367, gh2367)
        return (lowHalves(abcd04, efgh04), lowHalves(abcd15, efgh15), lowHalves(abcd26, efgh26), lowHalves(abcd37, efgh37),
                highHalves(abcd04, efgh04), highHalves(abcd15, efgh15), highHalves(abcd26, efgh26), highHalves(abcd37, efgh37))
    }

    /// Loads 8 lanes' 64-byte blocks (`lane i` at `base + offsets[i] + delta`) into `m[0..<16]`,
    /// transposed: `m[w]` holds word `w` of every lane.
    @inline(__always)
    static func loadMessage(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ delta: Int, _ m: UnsafeMutablePointer<V>) {
        @inline(__always) func row(_ lane: Int, _ half: Int) -> V {
            base.loadUnaligned(fromByteOffset: offsets[lane] &+ delta &+ 32 &* half, as: V.self)
        }
        let low = transpose((row(0, 0), row(1, 0), row(2, 0), row(3, 0), row(4, 0), row(5, 0), row(6, 0), row(7, 0)))
        let high = transpose((row(0, 1), row(1, 1), row(2, 1), row(3, 1), row(4, 1), row(5, 1), row(6, 1), row(7, 1)))
        m[0] = low.0; m[1] = low.1; m[2] = low.2; m[3] = low.3; m[4] = low.4; m[5] = low.5; m[6] = low.6; m[7] = low.7
        m[8] = high.0; m[9] = high.1; m[10] = high.2; m[11] = high.3
        m[12] = high.4; m[13] = high.5; m[14] = high.6; m[15] = high.7
    }

    /// Writes lane `i`'s chaining value (8 words) to `destination + 8 * slots[i]`, first `active` lanes.
    @inline(__always)
    static func store(_ h: (V, V, V, V, V, V, V, V), _ destination: UnsafeMutablePointer<UInt32>,
                      _ slots: UnsafePointer<Int32>, active: Int) {
        let rows = transpose(h)
        withUnsafeBytes(of: rows) { lanes in
            for lane in 0..<active {
                UnsafeMutableRawPointer(destination + 8 &* Int(slots[lane]))
                    .copyMemory(from: lanes.baseAddress! + 32 &* lane, byteCount: 32)
            }
        }
    }

    @inline(__always)
    static func broadcast(_ key: UnsafePointer<UInt32>) -> (V, V, V, V, V, V, V, V) {
        (splat(key[0]), splat(key[1]), splat(key[2]), splat(key[3]), splat(key[4]), splat(key[5]), splat(key[6]), splat(key[7]))
    }

    /// `BLAKE3Lanes.hashChunks` for 8 lanes.
    static func hashChunks(
        base: UnsafeRawPointer, inputOffsets: UnsafePointer<Int>, counters: UnsafePointer<UInt64>,
        outputSlots: UnsafePointer<Int32>, count: Int, chainingValues: UnsafeMutablePointer<UInt32>,
        key: UnsafePointer<UInt32>, flags: UInt32
    ) {
        let masks = RotationMasks()
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { offsets in
            withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { message in
                let m = message.baseAddress!
                var start = 0
                while start < count {
                    let active = min(8, count - start)
                    var low = SIMD8<UInt32>(), high = SIMD8<UInt32>()
                    for lane in 0..<8 {
                        // Idle lanes repeat the last input; their results are not stored.
                        let source = start + min(lane, active - 1)
                        offsets[lane] = inputOffsets[source]
                        low[lane] = UInt32(truncatingIfNeeded: counters[source])
                        high[lane] = UInt32(truncatingIfNeeded: counters[source] >> 32)
                    }
                    let counterLow = unsafeBitCast(low, to: V.self), counterHigh = unsafeBitCast(high, to: V.self)
                    var h = broadcast(key)
                    // The next 8 chunks' cache lines are fetched while these are hashed, 8 per
                    // block (line `block` of each): bytes hashed in place come from memory, not
                    // from a copy just made, and 8 streams of 1 KiB are too short for the
                    // hardware prefetcher to follow.
                    let next = start + active
                    let prefetching = min(8, count - next)
                    for block in 0..<16 {
                        for lane in 0..<prefetching {
                            sluice_prefetch(base + inputOffsets[next + lane] + 64 &* block)
                        }
                        var blockFlags = flags
                        if block == 0 { blockFlags |= chunkStartFlag }
                        if block == 15 { blockFlags |= chunkEndFlag }
                        loadMessage(base, offsets.baseAddress!, 64 &* block, m)
                        compress(&h, m, counterLow: counterLow, counterHigh: counterHigh, blockLength: 64,
                                 flags: blockFlags, masks)
                    }
                    store(h, chainingValues, outputSlots + start, active: active)
                    start += active
                }
            }
        }
    }

    /// `BLAKE3Lanes.hashParents` for 8 lanes.
    static func hashParents(
        inputSlots: UnsafePointer<Int32>, outputSlots: UnsafePointer<Int32>, count: Int,
        chainingValues: UnsafeMutablePointer<UInt32>, key: UnsafePointer<UInt32>, flags: UInt32
    ) {
        let masks = RotationMasks()
        let base = UnsafeRawPointer(chainingValues)
        let zero = _mm256_setzero_si256()
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { offsets in
            withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { message in
                let m = message.baseAddress!
                var start = 0
                while start < count {
                    let active = min(8, count - start)
                    for lane in 0..<8 { offsets[lane] = 32 &* Int(inputSlots[start + min(lane, active - 1)]) }
                    loadMessage(base, offsets.baseAddress!, 0, m)
                    var h = broadcast(key)
                    compress(&h, m, counterLow: zero, counterHigh: zero, blockLength: 64, flags: flags | parentFlag, masks)
                    store(h, chainingValues, outputSlots + start, active: active)
                    start += active
                }
            }
        }
    }
}
#endif
