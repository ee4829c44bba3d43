// The sum of the products of adjacent bytes of a buffer, for the entropy kernel's serial
// correlation (Sources/Sluice/Kernels/Histogram/BytePiecePartial.swift). In Swift, with its
// generic SIMD types widening bytes to 16 and 32 bits, this pass cost as much as counting the
// bytes (measured: 2.8 GB/s counting alone, 1.45 GB/s with the products); SSE2's pmaddwd
// multiplies eight 16-bit pairs and adds them in pairs into four 32-bit lanes in one step.
#include "CSluice.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

uint64_t sluice_adjacent_byte_products_sse2(const uint8_t *bytes, size_t count) {
    if (count < 2) return 0;
    const size_t pairs = count - 1;
    uint64_t total = 0;
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    // Each 32-bit lane adds at most 2 × 255² per step; a block of 4096 steps (64 KiB) stays
    // below 2^31, then the lanes go into the 64-bit total.
    while (index + 16 <= pairs) {
        __m128i sums = _mm_setzero_si128();
        size_t block = 0;
        while (index + 16 <= pairs && block < 4096) {
            __m128i left = _mm_loadu_si128((const __m128i *)(bytes + index));
            __m128i right = _mm_loadu_si128((const __m128i *)(bytes + index + 1));
            sums = _mm_add_epi32(sums, _mm_madd_epi16(_mm_unpacklo_epi8(left, zero), _mm_unpacklo_epi8(right, zero)));
            sums = _mm_add_epi32(sums, _mm_madd_epi16(_mm_unpackhi_epi8(left, zero), _mm_unpackhi_epi8(right, zero)));
            index += 16;
            block += 1;
        }
        uint32_t lanes[4];
        _mm_storeu_si128((__m128i *)lanes, sums);
        total += (uint64_t)lanes[0] + lanes[1] + lanes[2] + lanes[3];
    }
#endif
    for (; index < pairs; index++) total += (uint64_t)bytes[index] * bytes[index + 1];
    return total;
}

#if defined(__x86_64__)
#include <immintrin.h>

// AVX2: 32 pairs per step, in 16-bit lanes widened from two 128-bit halves. Compiled for AVX2
// whatever the target's baseline; called only when CPUID says the CPU has it
// (sluice_detect_isa). Measured on the 2-core AMD EPYC: see docs/performance.md.
__attribute__((target("avx2")))
uint64_t sluice_adjacent_byte_products_avx2(const uint8_t *bytes, size_t count) {
    if (count < 2) return 0;
    const size_t pairs = count - 1;
    uint64_t total = 0;
    size_t index = 0;
    // Each 32-bit lane adds at most 4 × 255² per step; 2048 steps (64 KiB) stay below 2^31.
    while (index + 32 <= pairs) {
        __m256i sums = _mm256_setzero_si256();
        size_t block = 0;
        while (index + 32 <= pairs && block < 2048) {
            __m256i left_low = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bytes + index)));
            __m256i right_low = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bytes + index + 1)));
            __m256i left_high = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bytes + index + 16)));
            __m256i right_high = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(bytes + index + 17)));
            sums = _mm256_add_epi32(sums, _mm256_madd_epi16(left_low, right_low));
            sums = _mm256_add_epi32(sums, _mm256_madd_epi16(left_high, right_high));
            index += 32;
            block += 1;
        }
        uint32_t lanes[8];
        _mm256_storeu_si256((__m256i *)lanes, sums);
        for (int lane = 0; lane < 8; lane++) total += lanes[lane];
    }
    // The rest (under 32 pairs) as the SSE2 code does it, from the same offset.
    return total + sluice_adjacent_byte_products_sse2(bytes + index, count - index);
}
#endif

uint64_t sluice_adjacent_byte_products(const uint8_t *bytes, size_t count, int isa) {
#if defined(__x86_64__)
    if (isa >= SLUICE_ISA_AVX2) return sluice_adjacent_byte_products_avx2(bytes, count);
#endif
    (void)isa;
    return sluice_adjacent_byte_products_sse2(bytes, count);
}
