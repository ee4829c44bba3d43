#include "CSluice.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int sluice_detect_isa(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return SLUICE_ISA_BASELINE;
    const int osxsave = (ecx >> 27) & 1;
    const int avx = (ecx >> 28) & 1;
    if (!osxsave || !avx) return SLUICE_ISA_BASELINE;
    const uint64_t xcr0 = read_xcr0();
    const int ymm_enabled = (xcr0 & 0x6) == 0x6;      // SSE and AVX state
    const int zmm_enabled = (xcr0 & 0xE6) == 0xE6;    // plus opmask, ZMM_Hi256, Hi16_ZMM
    if (!ymm_enabled) return SLUICE_ISA_BASELINE;
    if (__get_cpuid_max(0, 0) < 7) return SLUICE_ISA_BASELINE;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    const int avx2 = (ebx >> 5) & 1;
    const int avx512f = (ebx >> 16) & 1;
    const int avx512bw = (ebx >> 30) & 1;
    const int avx512vl = (ebx >> 31) & 1;
    if (avx512f && avx512bw && avx512vl && zmm_enabled) return SLUICE_ISA_AVX512;
    if (avx2) return SLUICE_ISA_AVX2;
    return SLUICE_ISA_BASELINE;
}
#else
int sluice_detect_isa(void) { return SLUICE_ISA_BASELINE; }
#endif
