// BLAKE3 on OpenCL. The steps keep the names of BLAKE3Reference.swift and BLAKE3Lanes.swift
// (g, round, permute via the message schedule, compress) so the three read side by side.
//
// A batch is executed from the flat tables of BLAKE3BatchPlan:
//   blake3_full_chunks  one work-item per full chunk: its chaining value into `cvs[slot]`;
//   blake3_chunks   one work-item per other chunk: its chaining value into `cvs[slot]`, or, for a
//                   whole single-chunk file, the state before its last compression into
//                   `records` (the host compresses the root with ROOT and output counters);
//   blake3_parents  one work-item per parent of one tree level (ping-pong between two arrays);
//   blake3_gather   one work-item per subtree: its chaining value into its record.
// Chunk data in the staging buffer starts 64-byte aligned (the batcher aligns each file), so
// whole blocks are read with vector loads; a short last block is read byte by byte and zero-padded.
// Words are little-endian, as on every OpenCL GPU and CPU sluice targets.

#define CHUNK_START 1u
#define CHUNK_END 2u
#define PARENT 4u
#define RECORD_STRIDE 26

constant uint IV[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
    0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

constant uchar MSG_SCHEDULE[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

inline uint rotate_right(uint x, uint n) { return rotate(x, 32u - n); }

#define G(a, b, c, d, mx, my)                  \
    do {                                       \
        s[a] = s[a] + s[b] + (mx);             \
        s[d] = rotate_right(s[d] ^ s[a], 16u); \
        s[c] = s[c] + s[d];                    \
        s[b] = rotate_right(s[b] ^ s[c], 12u); \
        s[a] = s[a] + s[b] + (my);             \
        s[d] = rotate_right(s[d] ^ s[a], 8u);  \
        s[c] = s[c] + s[d];                    \
        s[b] = rotate_right(s[b] ^ s[c], 7u);  \
    } while (0)

// One compression; the next chaining value (first 8 output words) replaces `cv`.
inline void compress(uint cv[8], const uint m[16], ulong counter, uint block_length, uint flags) {
    uint s[16] = {
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        IV[0], IV[1], IV[2], IV[3], (uint)counter, (uint)(counter >> 32), block_length, flags,
    };
#pragma unroll
    for (int r = 0; r < 7; r++) {
        constant uchar *w = MSG_SCHEDULE[r];
        // Columns, then diagonals.
        G(0, 4, 8, 12, m[w[0]], m[w[1]]);
        G(1, 5, 9, 13, m[w[2]], m[w[3]]);
        G(2, 6, 10, 14, m[w[4]], m[w[5]]);
        G(3, 7, 11, 15, m[w[6]], m[w[7]]);
        G(0, 5, 10, 15, m[w[8]], m[w[9]]);
        G(1, 6, 11, 12, m[w[10]], m[w[11]]);
        G(2, 7, 8, 13, m[w[12]], m[w[13]]);
        G(3, 4, 9, 14, m[w[14]], m[w[15]]);
    }
#pragma unroll
    for (int i = 0; i < 8; i++) cv[i] = s[i] ^ s[i + 8];
}

// Loads one block: 16 words when whole, else `length` bytes zero-padded.
inline void load_block(global const uchar *data, uint length, uint m[16]) {
    if (length == 64) {
        // Four 128-bit loads (a uint16 load trips PoCL's ABI warning on CPUs without AVX-512).
        global const uint *words = (global const uint *)data;
        for (int q = 0; q < 4; q++) {
            uint4 v = vload4(q, words);
            m[4 * q] = v.x; m[4 * q + 1] = v.y; m[4 * q + 2] = v.z; m[4 * q + 3] = v.w;
        }
        return;
    }
    for (int i = 0; i < 16; i++) m[i] = 0;
    for (uint i = 0; i < length; i++) m[i / 4] |= (uint)data[i] << (8 * (i % 4));
}

// Full chunk `gid` (1024 bytes, not a whole file): the common case, with a fixed 16-block loop and
// no data-dependent branch, so that CPU implementations can vectorise across work-items.
kernel void blake3_full_chunks(global const uchar *data, global const uint *offsets, global const ulong *counters,
                               global const int *targets, uint count, global uint *cvs, uint8 key,
                               uint mode_flags) {
    uint gid = get_global_id(0);
    if (gid >= count) return;
    global const uchar *chunk = data + offsets[gid];
    ulong counter = counters[gid];
    uint cv[8] = {key.s0, key.s1, key.s2, key.s3, key.s4, key.s5, key.s6, key.s7};
    uint m[16];
    for (uint block = 0; block < 16; block++) {
        load_block(chunk + 64 * block, 64, m);
        uint flags = mode_flags | (block == 0 ? CHUNK_START : 0u) | (block == 15 ? CHUNK_END : 0u);
        compress(cv, m, counter, 64, flags);
    }
    global uint *out = cvs + (size_t)targets[gid] * 8;
    for (int i = 0; i < 8; i++) out[i] = cv[i];
}

// The same as blake3_full_chunks for CPU devices (PoCL): one work-item hashes 8 full chunks in
// the lanes of uint8 vectors, the layout of the CPU backend's SIMD kernels. CPU OpenCL
// implementations do not vectorise the per-chunk kernel across work-items (measured on PoCL:
// about 0.8 GB/s), but they do compile explicit vector types to SIMD instructions.
#define G8(a, b, c, d, mx, my)                              \
    do {                                                    \
        s[a] = s[a] + s[b] + (mx);                          \
        s[d] = rotate(s[d] ^ s[a], (uint8)(16u));           \
        s[c] = s[c] + s[d];                                 \
        s[b] = rotate(s[b] ^ s[c], (uint8)(20u));           \
        s[a] = s[a] + s[b] + (my);                          \
        s[d] = rotate(s[d] ^ s[a], (uint8)(24u));           \
        s[c] = s[c] + s[d];                                 \
        s[b] = rotate(s[b] ^ s[c], (uint8)(25u));           \
    } while (0)

inline void compress8(uint8 cv[8], const uint8 m[16], uint8 counter_low, uint8 counter_high, uint flags) {
    uint8 s[16] = {
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        (uint8)(IV[0]), (uint8)(IV[1]), (uint8)(IV[2]), (uint8)(IV[3]),
        counter_low, counter_high, (uint8)(64u), (uint8)(flags),
    };
#pragma unroll
    for (int r = 0; r < 7; r++) {
        constant uchar *w = MSG_SCHEDULE[r];
        G8(0, 4, 8, 12, m[w[0]], m[w[1]]);
        G8(1, 5, 9, 13, m[w[2]], m[w[3]]);
        G8(2, 6, 10, 14, m[w[4]], m[w[5]]);
        G8(3, 7, 11, 15, m[w[6]], m[w[7]]);
        G8(0, 5, 10, 15, m[w[8]], m[w[9]]);
        G8(1, 6, 11, 12, m[w[10]], m[w[11]]);
        G8(2, 7, 8, 13, m[w[12]], m[w[13]]);
        G8(3, 4, 9, 14, m[w[14]], m[w[15]]);
    }
#pragma unroll
    for (int i = 0; i < 8; i++) cv[i] = s[i] ^ s[i + 8];
}

kernel void blake3_full_chunks_x8(global const uchar *data, global const uint *offsets, global const ulong *counters,
                                  global const int *targets, uint count, global uint *cvs, uint8 key,
                                  uint mode_flags) {
    uint first = get_global_id(0) * 8;
    if (first >= count) return;
    // Lanes past the end repeat the last chunk; their results are not stored.
    uint index[8];
    global const uint *lane[8];
    uint low[8], high[8];
    for (int l = 0; l < 8; l++) {
        index[l] = min(first + l, count - 1);
        lane[l] = (global const uint *)(data + offsets[index[l]]);
        low[l] = (uint)counters[index[l]];
        high[l] = (uint)(counters[index[l]] >> 32);
    }
    uint8 counter_low = vload8(0, low), counter_high = vload8(0, high);
    uint8 cv[8] = {(uint8)(key.s0), (uint8)(key.s1), (uint8)(key.s2), (uint8)(key.s3),
                   (uint8)(key.s4), (uint8)(key.s5), (uint8)(key.s6), (uint8)(key.s7)};
    uint8 m[16];
    for (uint block = 0; block < 16; block++) {
        for (int w = 0; w < 16; w++) {
            uint word = block * 16 + w;
            m[w] = (uint8)(lane[0][word], lane[1][word], lane[2][word], lane[3][word],
                           lane[4][word], lane[5][word], lane[6][word], lane[7][word]);
        }
        uint flags = mode_flags | (block == 0 ? CHUNK_START : 0u) | (block == 15 ? CHUNK_END : 0u);
        compress8(cv, m, counter_low, counter_high, flags);
    }
    uint words[8][8];
    for (int i = 0; i < 8; i++) vstore8(cv[i], 0, words[i]);
    uint active = min(8u, count - first);
    for (uint l = 0; l < active; l++) {
        global uint *out = cvs + (size_t)targets[first + l] * 8;
        for (int i = 0; i < 8; i++) out[i] = words[i][l];
    }
}

// Chunk `first + gid` of any length: `offsets`/`lengths` locate it in `data`, `counters` is its chunk index in its
// file, `targets` is its chaining-value slot (>= 0) or -(record + 1) for a single-chunk file.
kernel void blake3_chunks(global const uchar *data, global const uint *offsets, global const uint *lengths,
                          global const ulong *counters, global const int *targets, uint first, uint count,
                          global uint *cvs, global uint *records, uint8 key, uint mode_flags) {
    if (get_global_id(0) >= count) return;
    uint gid = first + get_global_id(0);
    global const uchar *chunk = data + offsets[gid];
    uint length = lengths[gid];
    ulong counter = counters[gid];
    uint cv[8] = {key.s0, key.s1, key.s2, key.s3, key.s4, key.s5, key.s6, key.s7};
    uint m[16];
    uint offset = 0;
    uint block_index = 0;
    while (length - offset > 64) {
        load_block(chunk + offset, 64, m);
        compress(cv, m, counter, 64, mode_flags | (block_index == 0 ? CHUNK_START : 0u));
        offset += 64;
        block_index++;
    }
    uint last_length = length - offset;
    uint last_flags = mode_flags | CHUNK_END | (block_index == 0 ? CHUNK_START : 0u);
    load_block(chunk + offset, last_length, m);
    int target = targets[gid];
    if (target < 0) {
        global uint *record = records + (size_t)(-(target + 1)) * RECORD_STRIDE;
        for (int i = 0; i < 8; i++) record[i] = cv[i];
        for (int i = 0; i < 16; i++) record[8 + i] = m[i];
        record[24] = last_length;
        record[25] = last_flags;
        return;
    }
    compress(cv, m, counter, last_length, last_flags);
    global uint *out = cvs + (size_t)target * 8;
    for (int i = 0; i < 8; i++) out[i] = cv[i];
}

// Parent `first + gid` of one level: children at slots in, in + 1 of `input_cvs`, result at
// slot out of `output_cvs`. Work-items of a level run in no particular order, so a level
// reads one array and writes the other (the host alternates them level by level).
kernel void blake3_parents(global const uint *input_cvs, global uint *output_cvs, global const int *input_slots,
                           global const int *output_slots, uint first, uint count, uint8 key, uint mode_flags) {
    uint gid = get_global_id(0);
    if (gid >= count) return;
    global const uint *children = input_cvs + (size_t)input_slots[first + gid] * 8;
    uint m[16];
    for (int i = 0; i < 16; i++) m[i] = children[i];
    uint cv[8] = {key.s0, key.s1, key.s2, key.s3, key.s4, key.s5, key.s6, key.s7};
    compress(cv, m, 0, 64, mode_flags | PARENT);
    global uint *out = output_cvs + (size_t)output_slots[first + gid] * 8;
    for (int i = 0; i < 8; i++) out[i] = cv[i];
}

// Subtree `gid`'s chaining value (the first slot of its range) into its record. `sources`
// says which array holds it: 0 the chunk level's, 1 the other (odd tree depth), 2 none (a
// single-chunk file, whose record blake3_chunks wrote).
kernel void blake3_gather(global const uint *cvs_even, global const uint *cvs_odd, global const int *subtree_slots,
                          global const uchar *sources, uint count, global uint *records) {
    uint gid = get_global_id(0);
    if (gid >= count || sources[gid] == 2) return;
    global const uint *cv = (sources[gid] == 0 ? cvs_even : cvs_odd) + (size_t)subtree_slots[gid] * 8;
    global uint *record = records + (size_t)gid * RECORD_STRIDE;
    for (int i = 0; i < 8; i++) record[i] = cv[i];
}
