// C helpers for what Swift cannot express: CPUID/XGETBV feature detection, and file mappings
// that survive SIGBUS (a file truncated by another process): a guarded copy out of one, and
// mappings read in place whose vanished pages turn into flagged zero pages.
#ifndef CSLUICE_H
#define CSLUICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels the SIMD kernels are built for.
enum sluice_isa {
    SLUICE_ISA_BASELINE = 0,  ///< x86-64 SSE2 (or any non-x86 CPU)
    SLUICE_ISA_AVX2 = 1,      ///< AVX2 with OS-enabled YMM state
    SLUICE_ISA_AVX512 = 2,    ///< AVX-512 F+BW+VL with OS-enabled ZMM state
};

/// The best instruction set this CPU and OS support (CPUID leaf 7 plus XGETBV).
int sluice_detect_isa(void);

/// Copies `length` bytes from `source` (inside a file mapping) to `destination`.
/// Returns 0 on success, or -1 if touching the mapping raised SIGBUS (the file shrank
/// underneath it). The SIGBUS handler is installed once, process-wide, and only acts on
/// threads that are inside this function; any other SIGBUS keeps its default action.
int sluice_guarded_copy(void *destination, const void *source, size_t length);

/// Most mappings registered with `sluice_guard_mapping` at once.
#define SLUICE_GUARDED_MAPPINGS 4096

/// Registers `[start, start + length)`, a file mapping read in place: a SIGBUS inside it (the
/// file shrank) maps an anonymous zero page over the faulting page and flags the registration,
/// so the access is retried and reads zeros instead of killing the process. Unregister before
/// the range is unmapped. Returns a handle (>= 0), or -1 when every slot is taken.
int sluice_guard_mapping(const void *start, size_t length);

/// 1 if a SIGBUS hit the registration `handle` since it was made, else 0.
int sluice_mapping_faulted(int handle);

/// Ends the registration `handle`.
void sluice_unguard_mapping(int handle);

/// Reads one byte every `stride` bytes of `[start, start + length)`, from `start`, so that the
/// kernel maps those pages (and, with fault-around, their neighbours) now. In a registered
/// mapping a page the file no longer has reads as zeros and flags the registration, as any other
/// read there does.
void sluice_touch_pages(const void *start, size_t length, size_t stride);

/// Zero pages mapped over vanished pages of registered mappings since the process started.
uint64_t sluice_patched_pages(void);

/// Asks the CPU to bring the cache line at `address` into its caches for a read soon (a hint:
/// never faults, even on an unmapped address). Inlined into the Swift SIMD kernels.
static inline void sluice_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// The `f_type` magic number of the file system holding the open file `fd` (`fstatfs`), as
/// its low 32 bits. Returns 0, or -1 with `errno` set.
int sluice_file_system_type(int fd, uint64_t *type);

#ifdef __cplusplus
}
#endif


/// Σ bytes[i] · bytes[i + 1] for i < count − 1 (0 for fewer than two bytes).
uint64_t sluice_adjacent_byte_products_sse2(const uint8_t *bytes, size_t count);
#if defined(__x86_64__)
uint64_t sluice_adjacent_byte_products_avx2(const uint8_t *bytes, size_t count);
#endif
/// Σ bytes[i]·bytes[i+1]: the AVX2 code for `isa` SLUICE_ISA_AVX2 or above (which the caller has
/// checked the CPU has), SSE2 below.
uint64_t sluice_adjacent_byte_products(const uint8_t *bytes, size_t count, int isa);
#endif
