// BLAKE3 on 16 inputs at once with AVX-512 intrinsics, for the AVX-512 module only
// (SLUICE_AVX512 is defined for it in Package.swift). The rounds and drivers are
// BLAKE3Rounds.swift's; this file gives the 16-lane register. Every rotation is one vprold
// (LLVM turns the shift pair into it), and a block of 16 lanes is 16 registers of 64 bytes,
// transposed in four steps of 16 shuffles.
#if SLUICE_AVX512
import _Builtin_intrinsics.intel

/// Sixteen 32-bit lanes in a zmm register.
struct ZMMLanes: BLAKE3Vector {
    typealias V = __m512i
    var v: V

    static var width: Int { 16 }

    @inline(__always) init(_ v: V) { self.v = v }
    @inline(__always) init(splat word: UInt32) { v = _mm512_set1_epi32(Int32(bitPattern: word)) }
    @inline(__always) init(words: UnsafePointer<UInt32>) { v = UnsafeRawPointer(words).loadUnaligned(as: V.self) }

    @inline(__always) static func add(_ a: Self, _ b: Self) -> Self { Self(_mm512_add_epi32(a.v, b.v)) }
    @inline(__always) static func xor(_ a: Self, _ b: Self) -> Self { Self(_mm512_xor_si512(a.v, b.v)) }

    @inline(__always)
    static func rotateRight(_ x: Self, _ bits: Int32) -> Self {
        Self(_mm512_or_si512(_mm512_srli_epi32(x.v, UInt32(bits)), _mm512_slli_epi32(x.v, UInt32(32 - bits))))
    }

    /// 64-bit-word indices for vpermt2q: entries 0–7 pick from the first operand, 8–15 from the second.
    @inline(__always)
    static func indices(_ q: SIMD8<Int64>) -> V { unsafeBitCast(q, to: V.self) }

    /// The 16 columns of the 16×16 word matrix whose rows are `r` (row i: the 16 words of lane i),
    /// in place.
    @inline(__always)
    static func transpose(_ r: UnsafeMutablePointer<V>) {
        // Words: within each 128-bit quarter, pairs of rows interleaved, then pairs of pairs, so
        // that t[4g + j]'s quarter q holds word 4q + j of rows 4g ..< 4g + 4.
        var t = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15])
        withUnsafeMutableBytes(of: &t) { raw in
            let s = raw.baseAddress!.assumingMemoryBound(to: V.self)
            for g in 0..<4 {
                let a = r[4 * g], b = r[4 * g + 1], c = r[4 * g + 2], d = r[4 * g + 3]
                let ab01 = _mm512_unpacklo_epi32(a, b), ab23 = _mm512_unpackhi_epi32(a, b)
                let cd01 = _mm512_unpacklo_epi32(c, d), cd23 = _mm512_unpackhi_epi32(c, d)
                s[4 * g] = _mm512_unpacklo_epi64(ab01, cd01)
                s[4 * g + 1] = _mm512_unpackhi_epi64(ab01, cd01)
                s[4 * g + 2] = _mm512_unpacklo_epi64(ab23, cd23)
                s[4 * g + 3] = _mm512_unpackhi_epi64(ab23, cd23)
            }
            // Quarters: for each j, the 4×4 matrix of quarters of t[j], t[4 + j], t[8 + j],
            // t[12 + j] transposed, so that word 4q + j of all 16 rows lands in r[4q + j].
            let evenQuarters = indices(SIMD8(0, 1, 8, 9, 4, 5, 12, 13))
            let oddQuarters = indices(SIMD8(2, 3, 10, 11, 6, 7, 14, 15))
            let lowHalves = indices(SIMD8(0, 1, 2, 3, 8, 9, 10, 11))
            let highHalves = indices(SIMD8(4, 5, 6, 7, 12, 13, 14, 15))
            for j in 0..<4 {
                let u0 = s[j], u1 = s[4 + j], u2 = s[8 + j], u3 = s[12 + j]
                let even01 = _mm512_permutex2var_epi64(u0, evenQuarters, u1)
                let odd01 = _mm512_permutex2var_epi64(u0, oddQuarters, u1)
                let even23 = _mm512_permutex2var_epi64(u2, evenQuarters, u3)
                let odd23 = _mm512_permutex2var_epi64(u2, oddQuarters, u3)
                r[j] = _mm512_permutex2var_epi64(even01, lowHalves, even23)
                r[8 + j] = _mm512_permutex2var_epi64(even01, highHalves, even23)
                r[4 + j] = _mm512_permutex2var_epi64(odd01, lowHalves, odd23)
                r[12 + j] = _mm512_permutex2var_epi64(odd01, highHalves, odd23)
            }
        }
    }

    @inline(__always)
    static func loadMessage(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ delta: Int,
                            _ m: UnsafeMutablePointer<Self>) {
        m.withMemoryRebound(to: V.self, capacity: 16) { rows in
            for lane in 0..<16 { rows[lane] = base.loadUnaligned(fromByteOffset: offsets[lane] &+ delta, as: V.self) }
            transpose(rows)
        }
    }

    @inline(__always)
    static func store(_ h: BLAKE3VectorState<Self>, _ destination: UnsafeMutablePointer<UInt32>,
                      _ slots: UnsafePointer<Int32>, active: Int) {
        withUnsafeBytes(of: h) { raw in
            let words = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
            for lane in 0..<active {
                let out = destination + 8 &* Int(slots[lane])
                for word in 0..<8 { out[word] = words[16 &* word &+ lane] }
            }
        }
    }
}
#endif
