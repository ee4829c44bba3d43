import COpenCL

/// A device executor for kernels that compute each piece with one work-group: the batches'
/// bytes are uploaded side by side, with a table of each piece's offset and length, and one
/// OpenCL kernel writes `partialWords` words per piece.
///
/// The OpenCL kernel's arguments are, in order: `__global const uchar *data`, `__global const
/// uint *offsets`, `__global const uint *lengths`, `const uint count` (pieces), `__global uint
/// *partials`; it runs with one work-group of `workGroupSize` work-items per piece
/// (`get_group_id(0)` is the piece). Kernels such as the byte histogram and the typed statistics
/// use it; BLAKE3 has its own (`BLAKE3DeviceExecutor`).
public final class PieceTableDeviceExecutor: DevicePieceExecutor {
    private let queue: CommandQueue
    private let context: Context
    private let kernel: Kernel
    private let partialWords: Int
    /// Work-items per piece. Fixed: PoCL compiles a kernel once per distinct work-group size.
    public let workGroupSize: Int

    // Host tables (untouched until the non-blocking writes that read them complete).
    private var offsets: [UInt32] = []
    private var lengths: [UInt32] = []
    private var partials: [UInt32] = []

    private var data: Buffer?
    private var offsetsBuffer: Buffer?
    private var lengthsBuffer: Buffer?
    private var partialsBuffer: Buffer?

    /// - Parameters:
    ///   - kernelName: the kernel in `entry`'s program.
    ///   - workGroupSize: wanted work-items per piece (a power of two); at most what the device allows.
    public init(entry: ProgramCache.Entry, device: Device, kernelName: String, partialWords: Int,
                workGroupSize wanted: Int = 256) throws {
        context = entry.context
        queue = try CommandQueue(context: entry.context, device: device)
        kernel = try Kernel(program: entry.program, name: kernelName)
        self.partialWords = partialWords
        let allowed = min(wanted, try device.maxWorkGroupSize, try kernel.workGroupSize(on: device))
        var size = 1
        while size * 2 <= allowed { size *= 2 }
        workGroupSize = size
    }

    public func submit(_ batches: [StagingBuffer]) throws -> Event {
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        var bases: [Int] = []
        var total = 0
        for batch in batches {
            bases.append(total)
            for piece in batch.pieces {
                offsets.append(UInt32(total + piece.bufferOffset))
                lengths.append(UInt32(piece.length))
            }
            total += (batch.used + 63) / 64 * 64
        }
        let count = offsets.count
        try ensure(&data, bytes: max(total, batches.first?.capacity ?? 0))
        try ensure(&offsetsBuffer, bytes: count * 4)
        try ensure(&lengthsBuffer, bytes: count * 4)
        try ensure(&partialsBuffer, bytes: count * partialWords * 4)

        for (batch, base) in zip(batches, bases) where batch.used > 0 {
            _ = try queue.enqueueWrite(data!, offset: base, from: UnsafeRawBufferPointer(start: batch.bytes, count: batch.used))
        }
        if count > 0 {
            _ = try offsets.withUnsafeBytes { try queue.enqueueWrite(offsetsBuffer!, from: $0) }
            _ = try lengths.withUnsafeBytes { try queue.enqueueWrite(lengthsBuffer!, from: $0) }
        }
        try kernel.setArg(0, data!)
        try kernel.setArg(1, offsetsBuffer!)
        try kernel.setArg(2, lengthsBuffer!)
        try kernel.setArg(3, UInt32(count))
        try kernel.setArg(4, partialsBuffer!)
        // The queue is in order: the kernel starts once the uploads are done.
        _ = try queue.enqueueNDRangeKernel(kernel, globalSize: [max(1, count) * workGroupSize], localSize: [workGroupSize])
        let words = count * partialWords
        if partials.count < max(1, words) { partials = [UInt32](repeating: 0, count: max(1, words)) }
        let done = try partials.withUnsafeMutableBytes { bytes in
            try queue.enqueueRead(partialsBuffer!, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0 ..< max(4, words * 4)]))
        }
        try queue.flush()
        return done
    }

    public func takePartials(pieces: Int) -> [UInt32] {
        Array(partials[0 ..< (pieces * partialWords)])
    }

    private func ensure(_ buffer: inout Buffer?, bytes: Int) throws {
        let size = max(64, bytes)
        if let existing = buffer, existing.size >= size { return }
        // Grow with headroom so a slightly larger batch does not reallocate.
        buffer = try Buffer(context: context, flags: .readWrite, size: size + size / 4)
    }
}
