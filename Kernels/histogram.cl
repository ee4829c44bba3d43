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

// Byte histogram per piece, for the histogram and entropy kernels of `sluice run`
// (Sources/Sluice/Kernels/Histogram/BytePiecePartial.swift says what each of the 260 words of a
// piece's partial holds). One work-group per piece (PieceTableDeviceExecutor's contract): the
// work-items count the piece's bytes in a local table and sum the products of adjacent bytes,
// which are then reduced in local memory. `group_size` work-items: a power of two up to 256.
#define PARTIAL_WORDS 260

__kernel void histogram_pieces(__global const uchar *data,
                               __global const uint *offsets,
                               __global const uint *lengths,
                               const uint count,
                               __global uint *partials)
{
    __local uint local_counts[BINS];
    __local ulong local_products[256];
    const uint piece = get_group_id(0);
    const uint lid = get_local_id(0);
    const uint group_size = get_local_size(0);
    if (piece >= count) {
        return;
    }
    for (uint bin = lid; bin < BINS; bin += group_size) {
        local_counts[bin] = 0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    __global const uchar *bytes = data + offsets[piece];
    const uint length = lengths[piece];
    ulong products = 0;
    for (uint i = lid; i < length; i += group_size) {
        const uint byte = bytes[i];
        atomic_inc(&local_counts[byte]);
        if (i + 1 < length) {
            products += (ulong)(byte * (uint)bytes[i + 1]);
        }
    }
    local_products[lid] = products;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint stride = group_size / 2; stride > 0; stride /= 2) {
        if (lid < stride) {
            local_products[lid] += local_products[lid + stride];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global uint *partial = partials + (ulong)piece * PARTIAL_WORDS;
    for (uint bin = lid; bin < BINS; bin += group_size) {
        partial[bin] = local_counts[bin];
    }
    if (lid == 0) {
        const ulong total = local_products[0];
        partial[256] = (uint)total;
        partial[257] = (uint)(total >> 32);
        partial[258] = length > 0 ? bytes[0] : 0;
        partial[259] = length > 0 ? bytes[length - 1] : 0;
    }
}
