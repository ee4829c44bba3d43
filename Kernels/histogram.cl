// Byte histogram of one buffer: how often each of the 256 byte values occurs.
//
// Each work-group counts the bytes it reads into a 256-bin table in local memory (local atomics
// are cheap, and contention is spread over 256 bins), then adds its table into the global counts
// with one global atomic per non-zero bin, so global atomics grow with the number of groups, not
// with the input. Work-items read 32-bit words in a grid-stride loop, neighbouring work-items
// reading neighbouring words (coalesced on GPUs); the 0-3 bytes after the last whole word are
// counted by the first work-items of the grid. Byte order does not matter: every byte of a word is
// counted.
//
// Host contract (ByteHistogram+OpenCL.swift): `counts` is zeroed before the launch; `length` stays
// below 2^32 per launch so that no bin can overflow; `local_counts` has 256 uints; any work-group
// size up to the kernel's limit works, since the table is cleared and merged in strides.

#define BINS 256

__kernel void histogram(__global const uint *words,
                        const ulong length,
                        __global uint *counts,
                        __local uint *local_counts)
{
    const uint lid = get_local_id(0);
    const uint group_size = get_local_size(0);
    for (uint bin = lid; bin < BINS; bin += group_size) {
        local_counts[bin] = 0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const ulong word_count = length / 4;
    const ulong stride = get_global_size(0);
    for (ulong i = get_global_id(0); i < word_count; i += stride) {
        const uint word = words[i];
        atomic_inc(&local_counts[word & 0xFF]);
        atomic_inc(&local_counts[(word >> 8) & 0xFF]);
        atomic_inc(&local_counts[(word >> 16) & 0xFF]);
        atomic_inc(&local_counts[word >> 24]);
    }
    __global const uchar *bytes = (__global const uchar *)words;
    for (ulong i = word_count * 4 + get_global_id(0); i < length; i += stride) {
        atomic_inc(&local_counts[bytes[i]]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (uint bin = lid; bin < BINS; bin += group_size) {
        const uint count = local_counts[bin];
        if (count != 0) {
            atomic_add(&counts[bin], count);
        }
    }
}
