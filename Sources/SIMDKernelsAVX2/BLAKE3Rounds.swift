// BLAKE3's chunk and parent compressions on a whole vector register of inputs, written once for
// every register width: the AVX2 kernel (BLAKE3AVX2.swift, `YMMLanes`, 8 lanes) and the AVX-512
// kernel (SIMDKernelsAVX512/BLAKE3AVX512.swift, `ZMMLanes`, 16 lanes) each give the few
// operations that differ (rotation, transposed loads and stores) and share the rounds and the
// drivers here; `BLAKE3Lanes` calls `BLAKE3VectorKernel<YMMLanes>` or `<ZMMLanes>`.
// Compiled into the AVX2 and AVX-512 modules only (SLUICE_AVX2).
//
// Same steps and names as BLAKE3Lanes.swift (g, compress, transposed message loads): the seven
// rounds are unrolled with each round's message order (the block permuted r times, as
// BLAKE3Reference's `permute` gives), reading message words straight from memory.
#if SLUICE_AVX2
import CSluice

/// A register of 32-bit lanes, one BLAKE3 input per lane, with what the rounds need of it.
protocol BLAKE3Vector {
    /// Lanes per register.
    static var width: Int { get }
    init(splat word: UInt32)
    /// Lane `i` is `words[i]`, for `width` words.
    init(words: UnsafePointer<UInt32>)
    static func add(_ a: Self, _ b: Self) -> Self
    static func xor(_ a: Self, _ b: Self) -> Self
    /// Every lane rotated right by `bits` (16, 12, 8 or 7).
    static func rotateRight(_ x: Self, _ bits: Int32) -> Self
    /// Loads one 64-byte block per lane (`lane i` at `base + offsets[i] + delta`) into
    /// `m[0..<16]`, transposed: `m[w]` holds word `w` of every lane.
    static func loadMessage(_ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ delta: Int,
                            _ m: UnsafeMutablePointer<Self>)
    /// Writes lane `i`'s chaining value (8 words) to `destination + 8 * slots[i]`, first `active` lanes.
    static func store(_ h: BLAKE3VectorState<Self>, _ destination: UnsafeMutablePointer<UInt32>,
                      _ slots: UnsafePointer<Int32>, active: Int)
}

/// Eight chaining-value words, one input per lane.
typealias BLAKE3VectorState<V> = (V, V, V, V, V, V, V, V)

/// The rounds and drivers over any `BLAKE3Vector`.
enum BLAKE3VectorKernel<V: BLAKE3Vector> {
    @inline(__always)
    static func g(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V, _ mx: V, _ my: V) {
        a = V.add(V.add(a, b), mx)
        d = V.rotateRight(V.xor(d, a), 16)
        c = V.add(c, d)
        b = V.rotateRight(V.xor(b, c), 12)
        a = V.add(V.add(a, b), my)
        d = V.rotateRight(V.xor(d, a), 8)
        c = V.add(c, d)
        b = V.rotateRight(V.xor(b, c), 7)
    }

    /// One compression of `width` blocks (message `m[0..<16]`, transposed); `h` becomes the next
    /// chaining values.
    @inline(__always)
    static func compress(_ h: inout BLAKE3VectorState<V>, _ m: UnsafePointer<V>, counterLow: V, counterHigh: V,
                         blockLength: UInt32, flags: UInt32) {
        var s0 = h.0, s1 = h.1, s2 = h.2, s3 = h.3, s4 = h.4, s5 = h.5, s6 = h.6, s7 = h.7
        var s8 = V(splat: iv0), s9 = V(splat: iv1), s10 = V(splat: iv2), s11 = V(splat: iv3)
        var s12 = counterLow, s13 = counterHigh, s14 = V(splat: blockLength), s15 = V(splat: flags)
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
        h = (V.xor(s0, s8), V.xor(s1, s9), V.xor(s2, s10), V.xor(s3, s11),
             V.xor(s4, s12), V.xor(s5, s13), V.xor(s6, s14), V.xor(s7, s15))
    }

    @inline(__always)
    static func broadcast(_ key: UnsafePointer<UInt32>) -> BLAKE3VectorState<V> {
        (V(splat: key[0]), V(splat: key[1]), V(splat: key[2]), V(splat: key[3]),
         V(splat: key[4]), V(splat: key[5]), V(splat: key[6]), V(splat: key[7]))
    }

    /// `BLAKE3Lanes.hashChunks` for `V.width` lanes (a function of its own, specialised for `V`).
    @inline(never)
    static func hashChunks(
        base: UnsafeRawPointer, inputOffsets: UnsafePointer<Int>, counters: UnsafePointer<UInt64>,
        outputSlots: UnsafePointer<Int32>, count: Int, chainingValues: UnsafeMutablePointer<UInt32>,
        key: UnsafePointer<UInt32>, flags: UInt32
    ) {
        let width = V.width
        withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { offsets in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * width) { counterWords in
        withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { message in
            let m = message.baseAddress!, words = counterWords.baseAddress!
            var start = 0
            while start < count {
                let active = min(width, count - start)
                for lane in 0..<width {
                    // Idle lanes repeat the last input; their results are not stored.
                    let source = start + min(lane, active - 1)
                    offsets[lane] = inputOffsets[source]
                    words[lane] = UInt32(truncatingIfNeeded: counters[source])
                    words[width + lane] = UInt32(truncatingIfNeeded: counters[source] >> 32)
                }
                let counterLow = V(words: words), counterHigh = V(words: words + width)
                var h = broadcast(key)
                // The next group's cache lines are fetched while this one is hashed, one line of
                // each of its chunks per block: bytes hashed in place come from memory, not from
                // a copy just made, and streams of 1 KiB are too short for the hardware
                // prefetcher to follow.
                let next = start + active
                let prefetching = min(width, count - next)
                for block in 0..<16 {
                    for lane in 0..<prefetching {
                        sluice_prefetch(base + inputOffsets[next + lane] + 64 &* block)
                    }
                    var blockFlags = flags
                    if block == 0 { blockFlags |= chunkStartFlag }
                    if block == 15 { blockFlags |= chunkEndFlag }
                    V.loadMessage(base, offsets.baseAddress!, 64 &* block, m)
                    compress(&h, m, counterLow: counterLow, counterHigh: counterHigh, blockLength: 64, flags: blockFlags)
                }
                V.store(h, chainingValues, outputSlots + start, active: active)
                start += active
            }
        }
        }
        }
    }

    /// `BLAKE3Lanes.hashParents` for `V.width` lanes.
    @inline(never)
    static func hashParents(
        inputSlots: UnsafePointer<Int32>, outputSlots: UnsafePointer<Int32>, count: Int,
        chainingValues: UnsafeMutablePointer<UInt32>, key: UnsafePointer<UInt32>, flags: UInt32
    ) {
        let width = V.width
        let base = UnsafeRawPointer(chainingValues)
        let zero = V(splat: 0)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { offsets in
            withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { message in
                let m = message.baseAddress!
                var start = 0
                while start < count {
                    let active = min(width, count - start)
                    for lane in 0..<width { offsets[lane] = 32 &* Int(inputSlots[start + min(lane, active - 1)]) }
                    V.loadMessage(base, offsets.baseAddress!, 0, m)
                    var h = broadcast(key)
                    compress(&h, m, counterLow: zero, counterHigh: zero, blockLength: 64, flags: flags | parentFlag)
                    V.store(h, chainingValues, outputSlots + start, active: active)
                    start += active
                }
            }
        }
    }
}
#endif
