import COpenCL

extension ByteHistogram {
    /// Bytes per kernel launch at most: keeps every 32-bit bin of `histogram.cl` from overflowing
    /// and each buffer well under any device's allocation limit.
    static let maxLaunchBytes = 1 << 30

    /// Counts the bytes of `bytes` with `Kernels/histogram.cl` on `device`. Returns the same 256
    /// counts as `compute(bytes:)`.
    ///
    /// The program is built once per device and process (`ProgramCache.shared`). Large inputs run
    /// as several launches of at most 1 GiB, their counts added on the host. Each launch's input
    /// is copied into its buffer when the buffer is created (`CL_MEM_COPY_HOST_PTR`), so the
    /// caller's bytes are free again when this returns, even after a timeout. Every launch must
    /// finish within `timeout`; a hung device gives `Event.TimeoutError`, never a hang.
    public static func compute(bytes: UnsafeRawBufferPointer, on device: Device,
                               timeout: Duration = .seconds(120)) throws -> [UInt64] {
        try compute(bytes: bytes, on: device, timeout: timeout, programs: .shared)
    }

    /// `compute(bytes:on:timeout:)` with the program taken from `programs` (tests compare
    /// programs built from source and loaded from a cached binary).
    static func compute(bytes: UnsafeRawBufferPointer, on device: Device, timeout: Duration,
                        programs: ProgramCache) throws -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: binCount)
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return counts }
        let entry = try programs.entry(for: device, kernelSource: "histogram")
        let kernel = try Kernel(program: entry.program, name: "histogram")
        let localSize = try workGroupSize(for: kernel, on: device)
        let maxLaunch = min(maxLaunchBytes, Int(clamping: try device.maxMemAllocSize) & ~3)

        var offset = 0
        while offset < bytes.count {
            let length = min(maxLaunch, bytes.count - offset)
            let input = try Buffer(context: entry.context, flags: [.readOnly, .copyHostPointer, .hostNoAccess],
                                   size: length, hostPointer: UnsafeMutableRawPointer(mutating: base + offset))
            let output = try Buffer(context: entry.context, flags: [.readWrite, .hostReadOnly],
                                    size: binCount * MemoryLayout<UInt32>.size)
            let cleared = try entry.queue.enqueueFill(output, pattern: UInt32(0))

            try kernel.setArg(0, input)
            try kernel.setArg(1, UInt64(length))
            try kernel.setArg(2, output)
            try kernel.setArg(3, localBytes: binCount * MemoryLayout<UInt32>.size)
            let words = (length + 3) / 4
            let groups = max(1, min(try device.computeUnits * 8, (words + localSize - 1) / localSize))
            let ran = try entry.queue.enqueueNDRangeKernel(kernel, globalSize: [groups * localSize],
                                                           localSize: [localSize], waitingFor: [cleared])

            let launchCounts = try readCounts(output, queue: entry.queue, after: ran, timeout: timeout)
            for bin in 0..<binCount {
                counts[bin] &+= UInt64(launchCounts[bin])
            }
            offset += length
        }
        return counts
    }

    /// The work-group size: what the kernel allows on the device, at most 256 (one work-item per
    /// bin clears and merges the local table in one step; more buys nothing). Checks that the
    /// device has the 1 KiB of local memory the table needs.
    private static func workGroupSize(for kernel: Kernel, on device: Device) throws -> Int {
        let tableBytes = UInt64(binCount * MemoryLayout<UInt32>.size)
        guard try device.localMemSize >= tableBytes else {
            throw OpenCLError(code: CL_OUT_OF_RESOURCES, function: "histogram (needs 1 KiB local memory)")
        }
        return max(1, min(binCount, try kernel.workGroupSize(on: device), try device.maxWorkGroupSize))
    }

    /// Reads the 256 counts once the kernel ran. The destination is allocated here and, if the
    /// wait times out, deliberately leaked: the device may still write into it later.
    private static func readCounts(_ output: Buffer, queue: CommandQueue, after ran: Event,
                                   timeout: Duration) throws -> [UInt32] {
        let destination = UnsafeMutableRawBufferPointer.allocate(
            byteCount: output.size, alignment: MemoryLayout<UInt32>.alignment)
        do {
            let read = try queue.enqueueRead(output, into: destination, waitingFor: [ran])
            try read.wait(timeout: timeout)
        } catch let error as Event.TimeoutError {
            throw error
        } catch {
            // Either the read was never enqueued or it terminated: nothing can still write here.
            destination.deallocate()
            throw error
        }
        defer { destination.deallocate() }
        return Array(destination.bindMemory(to: UInt32.self))
    }
}
