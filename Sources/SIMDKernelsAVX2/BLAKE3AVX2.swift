// BLAKE3 on 8 inputs at once with AVX2 intrinsics, for the AVX2 module (SLUICE_AVX2 is defined
// for it in Package.swift; the baseline module does not compile this). The rounds and drivers
// are BLAKE3Rounds.swift's; this file gives the 8-lane register: the message is transposed with
// unpack/permute instructions (24 shuffles for a 64-byte block of 8 lanes instead of 128 lane
// inserts) and rotations by 16 and 8 are byte shuffles.
#if SLUICE_AVX2
import _Builtin_intrinsics.intel

/// Eight 32-bit lanes in a ymm register.
struct YMMLanes: BLAKE3Vector {
    typealias V = __m256i
    var v: V

    static var width: Int { 8 }

    @inline(__always) init(_ v: V) { self.v = v }
    @inline(__always) init(splat word: UInt32) { v = _mm256_set1_epi32(Int32(bitPattern: word)) }
    @inline(__always) init(words: UnsafePointer<UInt32>) { v = UnsafeRawPointer(words).loadUnaligned(as: V.self) }

    @inline(__always) static func add(_ a: Self, _ b: Self) -> Self { Self(_mm256_add_epi32(a.v, b.v)) }
    @inline(__always) static func xor(_ a: Self, _ b: Self) -> Self { Self(_mm256_xor_si256(a.v, b.v)) }

    /// Rotations by 16 and 8 move whole bytes: one byte shuffle instead of two shifts and an or.
    @inline(__always)
    static func rotateRight(_ x: Self, _ bits: Int32) -> Self {
        switch bits {
        case 16:
            return Self(_mm256_shuffle_epi8(x.v, unsafeBitCast(SIMD32<UInt8>(
                2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13), to: V.self)))
        case 8:
            return Self(_mm256_shuffle_epi8(x.v, unsafeBitCast(SIMD32<UInt8>(
                1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12,
                1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12), to: V.self)))
        default:
            return Self(_mm256_or_si256(_mm256_srli_epi32(x.v, bits), _mm256_slli_epi32(x.v, 32 - bits)))
        }
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

    @inline(__always)
    static func loadMessage(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ delta: Int,
                            _ m: UnsafeMutablePointer<Self>) {
        @inline(__always) func row(_ lane: Int, _ half: Int) -> V {
            base.loadUnaligned(fromByteOffset: offsets[lane] &+ delta &+ 32 &* half, as: V.self)
        }
        let low = transpose((row(0, 0), row(1, 0), row(2, 0), row(3, 0), row(4, 0), row(5, 0), row(6, 0), row(7, 0)))
        let high = transpose((row(0, 1), row(1, 1), row(2, 1), row(3, 1), row(4, 1), row(5, 1), row(6, 1), row(7, 1)))
        m[0] = Self(low.0); m[1] = Self(low.1); m[2] = Self(low.2); m[3] = Self(low.3)
        m[4] = Self(low.4); m[5] = Self(low.5); m[6] = Self(low.6); m[7] = Self(low.7)
        m[8] = Self(high.0); m[9] = Self(high.1); m[10] = Self(high.2); m[11] = Self(high.3)
        m[12] = Self(high.4); m[13] = Self(high.5); m[14] = Self(high.6); m[15] = Self(high.7)
    }

    @inline(__always)
    static func store(_ h: BLAKE3VectorState<Self>, _ destination: UnsafeMutablePointer<UInt32>,
                      _ slots: UnsafePointer<Int32>, active: Int) {
        let rows = transpose((h.0.v, h.1.v, h.2.v, h.3.v, h.4.v, h.5.v, h.6.v, h.7.v))
        withUnsafeBytes(of: rows) { lanes in
            for lane in 0..<active {
                UnsafeMutableRawPointer(destination + 8 &* Int(slots[lane]))
                    .copyMemory(from: lanes.baseAddress! + 32 &* lane, byteCount: 32)
            }
        }
    }
}
#endif
