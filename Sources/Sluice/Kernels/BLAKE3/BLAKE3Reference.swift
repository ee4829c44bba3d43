/// BLAKE3 in plain scalar Swift, in the order the specification explains it: constants, `g`,
/// `round`, `permute`, `compress`, the chunk state and the incremental hasher.
///
/// It is the oracle the tests compare the SIMD and OpenCL kernels with, and the host uses its
/// `compress` to finalize roots (ROOT flag, extended output). It is not on the hot path.
public enum BLAKE3Reference {
    /// Bytes per chunk (a leaf of the tree).
    public static let chunkLength = 1024
    /// Bytes per compression block.
    public static let blockLength = 64
    /// The initialisation vector (SHA-256's).
    public static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A,
        0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]
    /// The message word permutation applied between rounds.
    static let messagePermutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]

    /// Domain-separation flags of the compression function.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let chunkStart = Flags(rawValue: 1 << 0)
        public static let chunkEnd = Flags(rawValue: 1 << 1)
        public static let parent = Flags(rawValue: 1 << 2)
        public static let root = Flags(rawValue: 1 << 3)
        public static let keyedHash = Flags(rawValue: 1 << 4)
        public static let deriveKeyContext = Flags(rawValue: 1 << 5)
        public static let deriveKeyMaterial = Flags(rawValue: 1 << 6)
    }

    @inline(__always)
    static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    @inline(__always)
    static func g(_ s: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ mx: UInt32, _ my: UInt32) {
        s[a] = s[a] &+ s[b] &+ mx
        s[d] = rotateRight(s[d] ^ s[a], 16)
        s[c] = s[c] &+ s[d]
        s[b] = rotateRight(s[b] ^ s[c], 12)
        s[a] = s[a] &+ s[b] &+ my
        s[d] = rotateRight(s[d] ^ s[a], 8)
        s[c] = s[c] &+ s[d]
        s[b] = rotateRight(s[b] ^ s[c], 7)
    }

    static func round(_ s: inout [UInt32], _ m: [UInt32]) {
        // Columns, then diagonals.
        g(&s, 0, 4, 8, 12, m[0], m[1])
        g(&s, 1, 5, 9, 13, m[2], m[3])
        g(&s, 2, 6, 10, 14, m[4], m[5])
        g(&s, 3, 7, 11, 15, m[6], m[7])
        g(&s, 0, 5, 10, 15, m[8], m[9])
        g(&s, 1, 6, 11, 12, m[10], m[11])
        g(&s, 2, 7, 8, 13, m[12], m[13])
        g(&s, 3, 4, 9, 14, m[14], m[15])
    }

    static func permute(_ m: [UInt32]) -> [UInt32] { messagePermutation.map { m[$0] } }

    /// The compression function: 16 words of output (the first 8 are the next chaining value).
    public static func compress(
        chainingValue: [UInt32], blockWords: [UInt32], counter: UInt64, blockLength: UInt32, flags: Flags
    ) -> [UInt32] {
        var state = chainingValue + Array(iv[0..<4]) + [
            UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags.rawValue,
        ]
        var block = blockWords
        for roundIndex in 0..<7 {
            round(&state, block)
            if roundIndex < 6 { block = permute(block) }
        }
        for i in 0..<8 {
            state[i] ^= state[i + 8]
            state[i + 8] ^= chainingValue[i]
        }
        return state
    }

    /// Little-endian words of a block of at most 64 bytes, zero-padded.
    public static func words<C: Collection>(of bytes: C) -> [UInt32] where C.Element == UInt8 {
        var words = [UInt32](repeating: 0, count: 16)
        for (i, byte) in bytes.enumerated() { words[i / 4] |= UInt32(byte) << (8 * UInt32(i % 4)) }
        return words
    }

    /// The state a node leaves for the root: compressing it with ROOT (and a block counter)
    /// yields the output; compressing it without yields the node's chaining value.
    public struct Output: Sendable, Hashable {
        public var inputChainingValue: [UInt32]
        public var blockWords: [UInt32]
        public var counter: UInt64
        public var blockLength: UInt32
        public var flags: Flags

        public init(inputChainingValue: [UInt32], blockWords: [UInt32], counter: UInt64, blockLength: UInt32, flags: Flags) {
            self.inputChainingValue = inputChainingValue
            self.blockWords = blockWords
            self.counter = counter
            self.blockLength = blockLength
            self.flags = flags
        }

        /// The node's chaining value (it is not the root).
        public var chainingValue: [UInt32] {
            Array(compress(chainingValue: inputChainingValue, blockWords: blockWords, counter: counter,
                           blockLength: blockLength, flags: flags)[0..<8])
        }

        /// `length` bytes of root output (the extendable output function).
        public func rootBytes(length: Int) -> [UInt8] {
            var result: [UInt8] = []
            result.reserveCapacity(length)
            var blockCounter: UInt64 = 0
            while result.count < length {
                let words = compress(chainingValue: inputChainingValue, blockWords: blockWords, counter: blockCounter,
                                     blockLength: blockLength, flags: flags.union(.root))
                for word in words {
                    for shift in stride(from: 0, to: 32, by: 8) where result.count < length {
                        result.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
                    }
                }
                blockCounter += 1
            }
            return result
        }
    }

    /// The output state of a parent node over two child chaining values.
    public static func parentOutput(left: [UInt32], right: [UInt32], key: [UInt32], flags: Flags) -> Output {
        Output(inputChainingValue: key, blockWords: left + right, counter: 0, blockLength: 64, flags: flags.union(.parent))
    }

    /// The output state of one chunk (at most 1024 bytes) with chunk index `counter`.
    public static func chunkOutput<C: Collection>(_ bytes: C, counter: UInt64, key: [UInt32], flags: Flags) -> Output
    where C.Element == UInt8, C.Index == Int {
        precondition(bytes.count <= chunkLength)
        var cv = key
        var offset = bytes.startIndex
        var blockIndex = 0
        // Every block but the last (an empty chunk still has one, empty, last block).
        while bytes.endIndex - offset > blockLength {
            let blockFlags = flags.union(blockIndex == 0 ? .chunkStart : [])
            cv = Array(compress(chainingValue: cv, blockWords: words(of: bytes[offset..<offset + blockLength]),
                                counter: counter, blockLength: 64, flags: blockFlags)[0..<8])
            offset += blockLength
            blockIndex += 1
        }
        let last = bytes[offset..<bytes.endIndex]
        let lastFlags = flags.union(.chunkEnd).union(blockIndex == 0 ? .chunkStart : [])
        return Output(inputChainingValue: cv, blockWords: words(of: last), counter: counter,
                      blockLength: UInt32(last.count), flags: lastFlags)
    }

    /// The root output state of a whole message, built recursively as the tree is defined:
    /// the left subtree holds the largest power-of-two number of chunks that leaves at least
    /// one byte for the right.
    public static func rootOutput(of message: [UInt8], key: [UInt32] = iv, flags: Flags = []) -> Output {
        func node(_ range: Range<Int>, chunkOffset: UInt64) -> Output {
            if range.count <= chunkLength {
                return chunkOutput(message[range], counter: chunkOffset, key: key, flags: flags)
            }
            let chunks = (range.count + chunkLength - 1) / chunkLength
            var leftChunks = 1
            while leftChunks * 2 < chunks { leftChunks *= 2 }
            let split = range.lowerBound + leftChunks * chunkLength
            let left = node(range.lowerBound..<split, chunkOffset: chunkOffset).chainingValue
            let right = node(split..<range.upperBound, chunkOffset: chunkOffset + UInt64(leftChunks)).chainingValue
            return parentOutput(left: left, right: right, key: key, flags: flags)
        }
        return node(0..<message.count, chunkOffset: 0)
    }

    /// The 32-byte key words of a 32-byte key.
    public static func keyWords(_ key: [UInt8]) -> [UInt32] {
        precondition(key.count == 32)
        return words(of: key).prefix(8).map { $0 }
    }

    /// The key derived from a context string (BLAKE3's `derive_key` first step).
    public static func deriveKeyContextKey(context: String) -> [UInt32] {
        let contextKey = rootOutput(of: Array(context.utf8), key: iv, flags: .deriveKeyContext).rootBytes(length: 32)
        return keyWords(contextKey)
    }

    /// The hash of a whole message (reference path; tests and tiny inputs only).
    public static func hash(_ message: [UInt8], key: [UInt32] = iv, flags: Flags = [], length: Int = 32) -> [UInt8] {
        rootOutput(of: message, key: key, flags: flags).rootBytes(length: length)
    }
}
