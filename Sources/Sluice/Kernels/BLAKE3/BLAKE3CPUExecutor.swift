import SIMDKernels
import SIMDKernelsAVX2
import SIMDKernelsAVX512

/// Runs BLAKE3 batch plans on this CPU with the SIMD kernels of one instruction set.
///
/// One executor per worker thread: it owns its plan and scratch storage and reuses them from
/// batch to batch, so the per-batch cost is the hashing itself.
public struct BLAKE3CPUExecutor {
    /// The instruction set whose kernels run.
    public let isa: CPUVectorISA
    private var plan = BLAKE3BatchPlan()
    private var chainingValues: [UInt32] = []

    public init(isa: CPUVectorISA) { self.isa = isa }

    /// Computes the partial record of every subtree (see `BLAKE3PartialRecords`) into `records`.
    public mutating func run(
        pieces subtrees: [Piece], buffer: UnsafeRawPointer, mode: BLAKE3Mode, records: inout [UInt32]
    ) {
        plan.rebuild(for: subtrees)
        if chainingValues.count < plan.slotCount * 8 {
            chainingValues = [UInt32](repeating: 0, count: plan.slotCount * 8)
        }
        records.removeAll(keepingCapacity: true)
        records.append(contentsOf: repeatElement(0, count: subtrees.count * BLAKE3PartialRecords.stride))
        let isa = isa
        let flags = mode.flags.rawValue
        let plan = plan
        mode.keyWords.withUnsafeBufferPointer { keyBuffer in
            let key = keyBuffer.baseAddress!
            chainingValues.withUnsafeMutableBufferPointer { cvBuffer in
                let cvs = cvBuffer.baseAddress!
                plan.fullChunkOffsets.withUnsafeBufferPointer { offsets in
                    plan.fullChunkCounters.withUnsafeBufferPointer { counters in
                        plan.fullChunkSlots.withUnsafeBufferPointer { slots in
                            guard let offsets = offsets.baseAddress else { return }
                            Self.hashChunks(isa, buffer, offsets, counters.baseAddress!, slots.baseAddress!,
                                            slots.count, cvs, key, flags)
                        }
                    }
                }
                for chunk in plan.shortChunks {
                    Self.chunkChainingValue(isa, buffer + chunk.bufferOffset, chunk.length, chunk.counter, key, flags,
                                            cvs + 8 * Int(chunk.slot))
                }
                plan.parentInputSlots.withUnsafeBufferPointer { inputs in
                    plan.parentOutputSlots.withUnsafeBufferPointer { outputs in
                        for level in 0..<(plan.parentLevelStarts.count - 1) {
                            let start = plan.parentLevelStarts[level]
                            let count = plan.parentLevelStarts[level + 1] - start
                            Self.hashParents(isa, inputs.baseAddress! + start, outputs.baseAddress! + start, count,
                                             cvs, key, flags)
                        }
                    }
                }
                records.withUnsafeMutableBufferPointer { recordBuffer in
                    let stride = BLAKE3PartialRecords.stride
                    for (index, slot) in plan.subtreeSlots.enumerated() {
                        let record = recordBuffer.baseAddress! + index * stride
                        let cv = cvs + 8 * Int(slot)
                        for word in 0..<8 { record[word] = cv[word] }
                    }
                    for index in plan.rootChunkSubtrees {
                        let subtree = subtrees[index]
                        let record = recordBuffer.baseAddress! + index * stride
                        let last = Self.chunkState(isa, buffer + subtree.bufferOffset, subtree.length, key, flags, record)
                        record[24] = last.blockLength
                        record[25] = last.flags
                    }
                }
            }
        }
    }

    // MARK: Dispatch to the module built for `isa`

    private static func hashChunks(
        _ isa: CPUVectorISA, _ base: UnsafeRawPointer, _ offsets: UnsafePointer<Int>, _ counters: UnsafePointer<UInt64>,
        _ slots: UnsafePointer<Int32>, _ count: Int, _ cvs: UnsafeMutablePointer<UInt32>,
        _ key: UnsafePointer<UInt32>, _ flags: UInt32
    ) {
        switch isa {
        case .avx512:
            SIMDKernelsAVX512.BLAKE3Lanes.hashChunks(base: base, inputOffsets: offsets, counters: counters,
                outputSlots: slots, count: count, chainingValues: cvs, key: key, flags: flags, lanes: 16)
        case .avx2:
            SIMDKernelsAVX2.BLAKE3Lanes.hashChunks(base: base, inputOffsets: offsets, counters: counters,
                outputSlots: slots, count: count, chainingValues: cvs, key: key, flags: flags, lanes: 8)
        case .baseline:
            SIMDKernels.BLAKE3Lanes.hashChunks(base: base, inputOffsets: offsets, counters: counters,
                outputSlots: slots, count: count, chainingValues: cvs, key: key, flags: flags, lanes: 4)
        }
    }

    private static func hashParents(
        _ isa: CPUVectorISA, _ inputs: UnsafePointer<Int32>, _ outputs: UnsafePointer<Int32>, _ count: Int,
        _ cvs: UnsafeMutablePointer<UInt32>, _ key: UnsafePointer<UInt32>, _ flags: UInt32
    ) {
        switch isa {
        case .avx512:
            SIMDKernelsAVX512.BLAKE3Lanes.hashParents(inputSlots: inputs, outputSlots: outputs, count: count,
                chainingValues: cvs, key: key, flags: flags, lanes: 16)
        case .avx2:
            SIMDKernelsAVX2.BLAKE3Lanes.hashParents(inputSlots: inputs, outputSlots: outputs, count: count,
                chainingValues: cvs, key: key, flags: flags, lanes: 8)
        case .baseline:
            SIMDKernels.BLAKE3Lanes.hashParents(inputSlots: inputs, outputSlots: outputs, count: count,
                chainingValues: cvs, key: key, flags: flags, lanes: 4)
        }
    }

    private static func chunkChainingValue(
        _ isa: CPUVectorISA, _ input: UnsafeRawPointer, _ length: Int, _ counter: UInt64,
        _ key: UnsafePointer<UInt32>, _ flags: UInt32, _ output: UnsafeMutablePointer<UInt32>
    ) {
        switch isa {
        case .avx512:
            SIMDKernelsAVX512.BLAKE3Single.chunkChainingValue(input: input, length: length, counter: counter, key: key,
                                                              flags: flags, output: output)
        case .avx2:
            SIMDKernelsAVX2.BLAKE3Single.chunkChainingValue(input: input, length: length, counter: counter, key: key,
                                                            flags: flags, output: output)
        case .baseline:
            SIMDKernels.BLAKE3Single.chunkChainingValue(input: input, length: length, counter: counter, key: key,
                                                        flags: flags, output: output)
        }
    }

    private static func chunkState(
        _ isa: CPUVectorISA, _ input: UnsafeRawPointer, _ length: Int, _ key: UnsafePointer<UInt32>, _ flags: UInt32,
        _ state: UnsafeMutablePointer<UInt32>
    ) -> (blockLength: UInt32, flags: UInt32) {
        switch isa {
        case .avx512:
            return SIMDKernelsAVX512.BLAKE3Single.chunkState(input: input, length: length, counter: 0, key: key,
                                                             flags: flags, state: state)
        case .avx2:
            return SIMDKernelsAVX2.BLAKE3Single.chunkState(input: input, length: length, counter: 0, key: key,
                                                           flags: flags, state: state)
        case .baseline:
            return SIMDKernels.BLAKE3Single.chunkState(input: input, length: length, counter: 0, key: key,
                                                       flags: flags, state: state)
        }
    }
}
