// Typed statistics per piece, for the stats kernel of `sluice run`
// (Sources/Sluice/Kernels/Statistics/StatisticsPartial.swift says what each of the 16 words of a
// piece's partial holds; StatisticsReference.swift there is the scalar spec).
//
// Built with one element type and byte order (StatisticsKernel.openCLProgram):
//   -D STATS_DTYPE_F32 (or _F64, _I8, _U8, _I16, _U16, _I32, _U32, _I64, _U64)
//   -D STATS_BIG_ENDIAN=0|1
// One work-group per piece (PieceTableDeviceExecutor's contract), `group_size` work-items, a power
// of two up to 256. Each work-item reads every group_size-th element; the group then reduces the
// counts, extremes and sum in local memory, takes the mean, and reduces Σ (x − mean)² in a second
// pass over the piece. NaNs are left out exactly as on the CPU: a NaN is x != x; it is counted and
// takes part in nothing else. A zero minimum or maximum is written as +0.0, as on the CPU.
//
// A piece starts at an element-aligned offset of the data (files start 64-byte aligned, pieces at
// multiples of the element size in the file), so elements are read as aligned words.

#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#define PARTIAL_WORDS 16
#define GROUP_MAX 256

#define SWAP16(w) ((ushort)(((w) >> 8) | ((w) << 8)))
#define SWAP32(w) (((w) >> 24) | (((w) >> 8) & 0xFF00u) | (((w) << 8) & 0xFF0000u) | ((w) << 24))
#define SWAP64(w) (((ulong)SWAP32((uint)(w)) << 32) | (ulong)SWAP32((uint)((w) >> 32)))

#if defined(STATS_DTYPE_F32)
typedef uint word_t;
#define SWAP(w) SWAP32(w)
#define TO_DOUBLE(w) ((double)as_float(w))
#elif defined(STATS_DTYPE_F64)
typedef ulong word_t;
#define SWAP(w) SWAP64(w)
#define TO_DOUBLE(w) (as_double(w))
#elif defined(STATS_DTYPE_I8)
typedef uchar word_t;
#define SWAP(w) (w)
#define TO_DOUBLE(w) ((double)as_char(w))
#elif defined(STATS_DTYPE_U8)
typedef uchar word_t;
#define SWAP(w) (w)
#define TO_DOUBLE(w) ((double)(w))
#elif defined(STATS_DTYPE_I16)
typedef ushort word_t;
#define SWAP(w) SWAP16(w)
#define TO_DOUBLE(w) ((double)as_short(w))
#elif defined(STATS_DTYPE_U16)
typedef ushort word_t;
#define SWAP(w) SWAP16(w)
#define TO_DOUBLE(w) ((double)(w))
#elif defined(STATS_DTYPE_I32)
typedef uint word_t;
#define SWAP(w) SWAP32(w)
#define TO_DOUBLE(w) ((double)as_int(w))
#elif defined(STATS_DTYPE_U32)
typedef uint word_t;
#define SWAP(w) SWAP32(w)
#define TO_DOUBLE(w) ((double)(w))
#elif defined(STATS_DTYPE_I64)
typedef ulong word_t;
#define SWAP(w) SWAP64(w)
#define TO_DOUBLE(w) ((double)as_long(w))
#elif defined(STATS_DTYPE_U64)
typedef ulong word_t;
#define SWAP(w) SWAP64(w)
#define TO_DOUBLE(w) ((double)(w))
#else
#error "stats.cl needs -D STATS_DTYPE_<type>"
#endif

#ifndef STATS_BIG_ENDIAN
#define STATS_BIG_ENDIAN 0
#endif
// Words are swapped when the data's byte order is not the device's.
#ifdef __ENDIAN_LITTLE__
#define STATS_SWAPS (STATS_BIG_ENDIAN)
#else
#define STATS_SWAPS (!(STATS_BIG_ENDIAN))
#endif

inline double load_element(__global const word_t *words, uint i)
{
    word_t w = words[i];
#if STATS_SWAPS
    w = SWAP(w);
#endif
    return TO_DOUBLE(w);
}

// Knuth's two-sum: *sum + *error holds the running total.
inline void two_sum(double *sum, double *error, double value)
{
    const double total = *sum + value;
    const double virtual_value = total - *sum;
    *error += (*sum - (total - virtual_value)) + (value - virtual_value);
    *sum = total;
}

// Once a sum is infinite or NaN its error term is NaN (inf - inf): the plain sum is the total.
inline double compensated(double sum, double error)
{
    return isfinite(sum) ? sum + error : sum;
}

inline void put_field(__global uint *partial, uint index, ulong value)
{
    partial[2 * index] = (uint)value;
    partial[2 * index + 1] = (uint)(value >> 32);
}

__kernel void stats_pieces(__global const uchar *data,
                           __global const uint *offsets,
                           __global const uint *lengths,
                           const uint count,
                           __global uint *partials)
{
    __local double local_sum[GROUP_MAX];
    __local double local_min[GROUP_MAX];
    __local double local_max[GROUP_MAX];
    __local uint local_nans[GROUP_MAX];
    const uint piece = get_group_id(0);
    const uint lid = get_local_id(0);
    const uint group_size = get_local_size(0);
    if (piece >= count) {
        return;
    }
    __global const word_t *words = (__global const word_t *)(data + offsets[piece]);
    const uint length = lengths[piece];
    const uint elements = length / (uint)sizeof(word_t);

    // First pass: NaN count, extremes, sum.
    double low = INFINITY;
    double high = -INFINITY;
    double sum = 0.0;
    double error = 0.0;
    uint nans = 0;
    for (uint i = lid; i < elements; i += group_size) {
        const double x = load_element(words, i);
        if (x != x) {
            nans += 1;
            continue;
        }
        low = x < low ? x : low;
        high = x > high ? x : high;
        two_sum(&sum, &error, x);
    }
    local_sum[lid] = compensated(sum, error);
    local_min[lid] = low;
    local_max[lid] = high;
    local_nans[lid] = nans;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint width = group_size / 2; width > 0; width /= 2) {
        if (lid < width) {
            local_sum[lid] += local_sum[lid + width];
            local_min[lid] = local_min[lid + width] < local_min[lid] ? local_min[lid + width] : local_min[lid];
            local_max[lid] = local_max[lid + width] > local_max[lid] ? local_max[lid + width] : local_max[lid];
            local_nans[lid] += local_nans[lid + width];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const double piece_sum = local_sum[0];
    const uint piece_nans = local_nans[0];
    const uint values = elements - piece_nans;
    const double mean = values > 0 ? piece_sum / (double)values : 0.0;
    barrier(CLK_LOCAL_MEM_FENCE);

    // Second pass: M2 = Σ (x − mean)² over the non-NaN elements.
    double m2 = 0.0;
    double m2_error = 0.0;
    if (values > 0) {
        for (uint i = lid; i < elements; i += group_size) {
            const double x = load_element(words, i);
            if (x != x) {
                continue;
            }
            const double deviation = x - mean;
            two_sum(&m2, &m2_error, deviation * deviation);
        }
    }
    local_sum[lid] = compensated(m2, m2_error);
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint width = group_size / 2; width > 0; width /= 2) {
        if (lid < width) {
            local_sum[lid] += local_sum[lid + width];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (lid == 0) {
        __global uint *partial = partials + (ulong)piece * PARTIAL_WORDS;
        put_field(partial, 0, elements);
        put_field(partial, 1, piece_nans);
        // + 0.0 turns a -0.0 into +0.0 and leaves every other value as it is.
        put_field(partial, 2, as_ulong(local_min[0] + 0.0));
        put_field(partial, 3, as_ulong(local_max[0] + 0.0));
        put_field(partial, 4, as_ulong(piece_sum));
        put_field(partial, 5, as_ulong(mean));
        put_field(partial, 6, as_ulong(local_sum[0]));
        put_field(partial, 7, length - elements * (uint)sizeof(word_t));
    }
}
