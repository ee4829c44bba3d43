import COpenCL

/// BLAKE3 on an OpenCL device (`Kernels/blake3.cl`), one submission slot: a command queue,
/// the device buffers, the kernels, and the host copies of the plan's tables (which must stay
/// untouched until the non-blocking writes that read them complete).
final class BLAKE3DeviceExecutor: DevicePieceExecutor {
    private let queue: CommandQueue
    private let context: Context
    private let fullChunksKernel: Kernel
    /// Full chunks 8 per work-item in vector lanes (CPU devices), or one per work-item (GPUs).
    private let fullChunksPerWorkItem: Int
    /// Work-group size of every launch. Fixed, because PoCL compiles a kernel once per distinct
    /// work-group size: leaving the choice to the implementation made it pick sizes from the
    /// global size and recompile for new batch shapes (seconds of stalls, docs/performance.md).
    private let workGroupSize: Int
    private let chunksKernel: Kernel
    private let parentsKernel: Kernel
    private let gatherKernel: Kernel
    private var plan = BLAKE3BatchPlan()
    private let mode: BLAKE3Mode

    // Host tables.
    private var offsets: [UInt32] = []
    private var lengths: [UInt32] = []
    private var counters: [UInt64] = []
    private var targets: [Int32] = []
    private var sources: [UInt8] = []
    private var records: [UInt32] = []

    // Device buffers, grown on demand.
    private var data: Buffer?
    private var offsetsBuffer: Buffer?
    private var lengthsBuffer: Buffer?
    private var countersBuffer: Buffer?
    private var targetsBuffer: Buffer?
    private var inputSlotsBuffer: Buffer?
    private var outputSlotsBuffer: Buffer?
    private var subtreeSlotsBuffer: Buffer?
    private var sourcesBuffer: Buffer?
    private var cvsEven: Buffer?
    private var cvsOdd: Buffer?
    private var recordsBuffer: Buffer?

    init(entry: ProgramCache.Entry, device: Device, fullChunksPerWorkItem: Int, mode: BLAKE3Mode) throws {
        self.mode = mode
        context = entry.context
        queue = try CommandQueue(context: entry.context, device: device)
        self.fullChunksPerWorkItem = fullChunksPerWorkItem
        workGroupSize = max(1, min(64, try device.maxWorkGroupSize))
        fullChunksKernel = try Kernel(program: entry.program,
                                      name: fullChunksPerWorkItem == 8 ? "blake3_full_chunks_x8" : "blake3_full_chunks")
        chunksKernel = try Kernel(program: entry.program, name: "blake3_chunks")
        parentsKernel = try Kernel(program: entry.program, name: "blake3_parents")
        gatherKernel = try Kernel(program: entry.program, name: "blake3_gather")
    }

    /// Enqueues one submission for several staging buffers: each is uploaded at its own place
    /// in the device's data buffer (64-byte aligned), the subtree tables are joined with their
    /// offsets moved there, and the kernels run once over all of them. The records come back in
    /// the order of the buffers' subtrees (`takePartials`, with the total subtree count).
    func submit(_ batches: [StagingBuffer]) throws -> Event {
        var subtrees: [Piece] = []
        var bases: [Int] = []
        var total = 0
        for batch in batches {
            bases.append(total)
            if total == 0 {
                subtrees += batch.pieces
            } else {
                subtrees += batch.pieces.map { subtree in
                    var moved = subtree
                    moved.bufferOffset += bases.last!
                    return moved
                }
            }
            total += (batch.used + 63) / 64 * 64
        }
        plan.rebuild(for: subtrees)
        buildChunkTable(subtrees)

        try ensure(&data, bytes: max(total, batches.first?.capacity ?? 0))
        try ensure(&offsetsBuffer, bytes: offsets.count * 4)
        try ensure(&lengthsBuffer, bytes: lengths.count * 4)
        try ensure(&countersBuffer, bytes: counters.count * 8)
        try ensure(&targetsBuffer, bytes: targets.count * 4)
        try ensure(&inputSlotsBuffer, bytes: plan.parentInputSlots.count * 4)
        try ensure(&outputSlotsBuffer, bytes: plan.parentOutputSlots.count * 4)
        try ensure(&subtreeSlotsBuffer, bytes: plan.subtreeSlots.count * 4)
        try ensure(&sourcesBuffer, bytes: sources.count)
        try ensure(&cvsEven, bytes: plan.slotCount * 32)
        try ensure(&cvsOdd, bytes: plan.slotCount * 32)
        try ensure(&recordsBuffer, bytes: subtrees.count * BLAKE3PartialRecords.stride * 4)

        var uploads: [Event] = []
        for (batch, base) in zip(batches, bases) where batch.used > 0 {
            uploads.append(try queue.enqueueWrite(data!, offset: base, from: UnsafeRawBufferPointer(start: batch.bytes, count: batch.used)))
        }
        uploads += try write(offsets, to: offsetsBuffer!)
        uploads += try write(lengths, to: lengthsBuffer!)
        uploads += try write(counters, to: countersBuffer!)
        uploads += try write(targets, to: targetsBuffer!)
        uploads += try write(plan.parentInputSlots, to: inputSlotsBuffer!)
        uploads += try write(plan.parentOutputSlots, to: outputSlotsBuffer!)
        uploads += try write(plan.subtreeSlots, to: subtreeSlotsBuffer!)
        uploads += try write(sources, to: sourcesBuffer!)

        var key = SIMD8<UInt32>()
        for word in 0..<8 { key[word] = mode.keyWords[word] }
        let flags = mode.flags.rawValue

        // The queue is in order: each command starts after the previous one finished.
        // Full chunks (the table's first entries) take the branch-free kernel, the rest the general one.
        let fullCount = plan.fullChunkOffsets.count
        if fullCount > 0 {
            try fullChunksKernel.setArg(0, data!)
            try fullChunksKernel.setArg(1, offsetsBuffer!)
            try fullChunksKernel.setArg(2, countersBuffer!)
            try fullChunksKernel.setArg(3, targetsBuffer!)
            try fullChunksKernel.setArg(4, UInt32(fullCount))
            try fullChunksKernel.setArg(5, cvsEven!)
            try fullChunksKernel.setArg(6, key)
            try fullChunksKernel.setArg(7, flags)
            let workItems = (fullCount + fullChunksPerWorkItem - 1) / fullChunksPerWorkItem
            try launch(fullChunksKernel, count: workItems)
        }
        let otherCount = offsets.count - fullCount
        if otherCount > 0 {
            try chunksKernel.setArg(0, data!)
            try chunksKernel.setArg(1, offsetsBuffer!)
            try chunksKernel.setArg(2, lengthsBuffer!)
            try chunksKernel.setArg(3, countersBuffer!)
            try chunksKernel.setArg(4, targetsBuffer!)
            try chunksKernel.setArg(5, UInt32(fullCount))
            try chunksKernel.setArg(6, UInt32(otherCount))
            try chunksKernel.setArg(7, cvsEven!)
            try chunksKernel.setArg(8, recordsBuffer!)
            try chunksKernel.setArg(9, key)
            try chunksKernel.setArg(10, flags)
            try launch(chunksKernel, count: otherCount)
        }

        for level in 0..<(plan.parentLevelStarts.count - 1) {
            let first = plan.parentLevelStarts[level]
            let count = plan.parentLevelStarts[level + 1] - first
            let (input, output) = level % 2 == 0 ? (cvsEven!, cvsOdd!) : (cvsOdd!, cvsEven!)
            try parentsKernel.setArg(0, input)
            try parentsKernel.setArg(1, output)
            try parentsKernel.setArg(2, inputSlotsBuffer!)
            try parentsKernel.setArg(3, outputSlotsBuffer!)
            try parentsKernel.setArg(4, UInt32(first))
            try parentsKernel.setArg(5, UInt32(count))
            try parentsKernel.setArg(6, key)
            try parentsKernel.setArg(7, flags)
            try launch(parentsKernel, count: count)
        }

        try gatherKernel.setArg(0, cvsEven!)
        try gatherKernel.setArg(1, cvsOdd!)
        try gatherKernel.setArg(2, subtreeSlotsBuffer!)
        try gatherKernel.setArg(3, sourcesBuffer!)
        try gatherKernel.setArg(4, UInt32(subtrees.count))
        try gatherKernel.setArg(5, recordsBuffer!)
        try launch(gatherKernel, count: subtrees.count)

        let recordWords = subtrees.count * BLAKE3PartialRecords.stride
        if records.count < recordWords { records = [UInt32](repeating: 0, count: recordWords) }
        let done = try records.withUnsafeMutableBytes { bytes in
            try queue.enqueueRead(recordsBuffer!, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<(recordWords * 4)]))
        }
        try queue.flush()
        _ = uploads
        return done
    }

    /// The records of the last completed batch.
    func takePartials(pieces subtrees: Int) -> [UInt32] {
        Array(records[0..<(subtrees * BLAKE3PartialRecords.stride)])
    }

    /// One table of all chunks, whatever their kind, as blake3_chunks reads it.
    private func buildChunkTable(_ subtrees: [Piece]) {
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        counters.removeAll(keepingCapacity: true)
        targets.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
        for index in plan.fullChunkOffsets.indices {
            offsets.append(UInt32(plan.fullChunkOffsets[index]))
            lengths.append(UInt32(BLAKE3Reference.chunkLength))
            counters.append(plan.fullChunkCounters[index])
            targets.append(plan.fullChunkSlots[index])
        }
        for chunk in plan.shortChunks {
            offsets.append(UInt32(chunk.bufferOffset))
            lengths.append(UInt32(chunk.length))
            counters.append(chunk.counter)
            targets.append(chunk.slot)
        }
        for index in plan.rootChunkSubtrees {
            offsets.append(UInt32(subtrees[index].bufferOffset))
            lengths.append(UInt32(subtrees[index].length))
            counters.append(0)
            targets.append(-Int32(index) - 1)
        }
        for subtree in subtrees {
            sources.append(subtree.isRootChunk ? 2 : UInt8(subtree.chunkCount.trailingZeroBitCount & 1))
        }
    }

    private func ensure(_ buffer: inout Buffer?, bytes: Int) throws {
        let size = max(64, bytes)
        if let existing = buffer, existing.size >= size { return }
        // Grow with headroom so a slightly larger batch does not reallocate.
        buffer = try Buffer(context: context, flags: .readWrite, size: size + size / 4)
    }

    private func write<T>(_ table: [T], to buffer: Buffer) throws -> [Event] {
        guard !table.isEmpty else { return [] }
        return [try table.withUnsafeBytes { try queue.enqueueWrite(buffer, from: $0) }]
    }

    /// Enqueues `kernel` over at least `count` work-items in groups of `workGroupSize` (kernels
    /// ignore the extra work-items).
    private func launch(_ kernel: Kernel, count: Int) throws {
        let global = max(1, (count + workGroupSize - 1) / workGroupSize) * workGroupSize
        _ = try queue.enqueueNDRangeKernel(kernel, globalSize: [global], localSize: [workGroupSize])
    }
}
