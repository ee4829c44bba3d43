import COpenCL
import Foundation

/// The OpenCL lane: the run's kernel on one OpenCL device, `depth` submissions in flight (3 by
/// default), each of one batch or of several small ones gathered.
///
/// One submission thread drives the device. Each in-flight slot has its own in-order command
/// queue and device buffers, so while the device computes submission i (slot A) the upload of
/// i+1 (slot B) and the read-back of i−1 proceed on the other queues. Staging buffers are pinned host memory
/// (`CL_MEM_ALLOC_HOST_PTR`, mapped once) that the reader fills directly, the fast DMA path on
/// discrete GPUs. Every wait has a host deadline. If the device fails mid-run (lost, out of
/// resources, hung past the deadline), the batches in flight are computed on the CPU after one
/// warning; then the lane leaves the run if other lanes remain (they take the rest), or goes on
/// as a CPU fallback if it is alone: every file still gets its result.
public final class OpenCLBackend: ComputeBackend, @unchecked Sendable {
    /// The device.
    public let device: Device
    /// The device's context and queue, and the program of the kernel prepared at start.
    private let entry: ProgramCache.Entry
    /// The kernel whose program `init` built (the one the lane was started for).
    private let preparedProgram: OpenCLProgramName
    public let workerCount = 1
    public let preferredBatchBytes: Int
    public let deviceName: String
    /// Longest wait for one batch before the device is declared hung.
    public var batchDeadline: Duration = .seconds(120)
    /// The most of the time a CPU-type OpenCL lane computes when other lanes run beside it.
    public static let hostShareBesideOtherLanes = 0.1

    /// Submissions in flight on the device, each with its own queue and device buffers: while
    /// one computes, the next uploads and the one before reads its records back.
    public let depth: Int
    /// Whether the device is a GPU or accelerator (not a CPU-type OpenCL device such as PoCL's).
    public let isGPU: Bool
    private let laneLock = NSLock()
    private var othersRemain = false
    private var otherLanesRemain: Bool {
        laneLock.lock()
        defer { laneLock.unlock() }
        return othersRemain
    }
    private let fallbackISA: CPUVectorISA
    private let warnings: (String) -> Void

    /// A simulated device fault, for tests of the fall-back path: the n-th submission (or wait,
    /// counting from 1) fails as if the device had run out of resources.
    enum FaultInjection {
        case submit(Int)
        case wait(Int)
    }

    /// The fault to simulate, if any (tests only).
    var faultInjection: FaultInjection?

    /// Builds the program of `kernel` for `device` (once per process; the build log is in the
    /// error if it fails), so that the lane is ready for a run of that kernel.
    /// - Parameters:
    ///   - kernel: the kernel the lane will run (BLAKE3 by default); a run of another kernel
    ///     builds that one's program when its worker starts.
    ///   - warnings: receives the one-line warning if the run falls back to the CPU.
    public init(device: Device, kernel: any ComputeKernel = BLAKE3Kernel(), depth: Int? = nil,
                fallbackISA: CPUVectorISA = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment),
                warnings: @escaping (String) -> Void = { Diagnostics.line($0) }) throws {
        self.device = device
        // Trap: PoCL 3.1 aborts now and then with three queues in flight on its CPU device
        // ("pocl_release_dlhandle_cache: Assertion `found->ref_count > 0' failed": 3 of 20 std8k
        // runs, none of 40 with two), so CPU-type devices keep at most two.
        let isGPU = try device.isGPUOrAccelerator
        self.isGPU = isGPU
        let wantedDepth = depth ?? (isGPU ? 3 : 2)
        precondition(wantedDepth >= 1, "at least one submission in flight")
        self.depth = isGPU ? wantedDepth : min(2, wantedDepth)
        guard kernel.supports(device), let program = kernel.openCLProgram else {
            throw KernelUnsupportedError(kernel: kernel.name, device: (try? device.name) ?? "device")
        }
        preparedProgram = program
        entry = try ProgramCache.shared.entry(for: device, kernelSource: program.name, options: program.options)
        let name = (try? device.name) ?? "device"
        let platform = (try? device.platform.name) ?? "platform"
        deviceName = "opencl:\(name) (\(platform))"
        // Large enough to keep a GPU busy, never more than a quarter of one allocation.
        let wanted = (try device.isGPUOrAccelerator) ? 32 << 20 : 4 << 20
        let limit = Int(min(UInt64(Int.max), try device.maxMemAllocSize / 4))
        preferredBatchBytes = max(Piece.maxBytes, min(wanted, limit) / Piece.maxBytes * Piece.maxBytes)
        self.fallbackISA = fallbackISA
        self.warnings = warnings
    }

    public func makeStagingBuffer(capacity: Int) -> StagingBuffer {
        do {
            let pinned = try PinnedStaging(context: entry.context, queue: entry.queue, capacity: capacity)
            return StagingBuffer(bytes: pinned.bytes, capacity: capacity, owner: pinned)
        } catch {
            // Pinned memory is an optimisation; ordinary memory works with every device.
            return StagingBuffer(capacity: capacity)
        }
    }

    public func supports(_ kernel: any ComputeKernel) -> Bool { kernel.supports(device) }

    public func runWorker(
        index: Int, kernel: any ComputeKernel, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) throws {
        var fallback: (any PieceExecutor)?
        var slots: [any DevicePieceExecutor] = []
        var pending: [(slot: Int, group: [StagingBuffer], done: Event)] = []
        var nextSlot = 0
        // The device is busy while at least one submission is in flight; with several in flight
        // their times overlap, so busy time is measured from the first submission to the last completion.
        var busySince: UInt64 = 0
        var busySinceSubmission: UInt64 = 0
        func bytes(_ group: [StagingBuffer]) -> UInt64 { group.reduce(0) { $0 + UInt64($1.used) } }
        func recordBusy(_ group: [StagingBuffer]) {
            let now = StageClock.now()
            clock.record(since: busySince, items: 1, bytes: bytes(group))
            busySince = now
        }

        func computeOnCPU(_ group: [StagingBuffer]) {
            for batch in group {
                let started = StageClock.now()
                var partials: [UInt32] = []
                fallback!.run(pieces: batch.pieces, bytes: UnsafeRawPointer(batch.bytes), partials: &partials)
                clock.record(since: started, items: 1, bytes: UInt64(batch.used))
                let computed = ComputedBatch(batch: batch, partials: partials)
                recycle(batch)
                deliver(computed)
            }
        }

        var submissions = 0
        var waits = 0
        var leaving = false

        func failOver(_ error: Error) {
            leaving = otherLanesRemain
            let next = leaving ? "the other lanes take the remaining batches"
                               : "fallback to the CPU SIMD backend (\(fallbackISA.rawValue)) for the remaining batches"
            warnings("sluice: warning: \(deviceName) failed (\(error)); \(next)")
            fallback = kernel.makeCPUExecutor(isa: fallbackISA)
            // A failed or hung device may still write into the slots' buffers and host records
            // later; they are kept alive for the rest of the process rather than freed under it.
            AbandonedDeviceState.keep(slots)
            slots.removeAll()
            // The batches it held are computed here, so that none is lost.
            let stranded = pending
            pending.removeAll()
            for item in stranded { computeOnCPU(item.group) }
        }

        func completeOldest() {
            let item = pending.removeFirst()
            do {
                waits += 1
                if case .wait(let n) = faultInjection, n == waits {
                    throw OpenCLError(code: CL_OUT_OF_RESOURCES, function: "clWaitForEvents (simulated)")
                }
                try item.done.wait(timeout: batchDeadline)
                let count = item.group.reduce(0) { $0 + $1.pieces.count }
                let partials = slots[item.slot].takePartials(pieces: count)
                recordBusy(item.group)
                let computed = ComputedBatch(group: item.group, partials: partials)
                for batch in item.group { recycle(batch) }
                deliver(computed)
            } catch {
                pending.insert(item, at: 0)
                failOver(error)
            }
        }

        /// The next submission: one batch, plus those already queued while they fit in
        /// `preferredBatchBytes`, when other lanes run beside this one (their small batches are gathered).
        // A CPU-type OpenCL device (PoCL) beside other lanes computes on the cores the CPU SIMD
        // lane uses, each core-second several times less efficiently (docs/performance.md): it
        // takes one batch at a time and rests after each, so that it keeps at most
        // `hostShareBesideOtherLanes` of the time.
        let throttled = otherLanesRemain && !isGPU
        let activeDepth = throttled ? 1 : depth
        let gathers = otherLanesRemain && !throttled
        func rest(after busy: Double) {
            let until = StageClock.now() + UInt64(busy * (1 / Self.hostShareBesideOtherLanes - 1) * 1e9)
            while StageClock.now() < until && !batches.isFinished { usleep(2000) }
        }
        func nextGroup() -> [StagingBuffer]? {
            guard let first = pending.isEmpty ? batches.pop() : batches.tryPop() else { return nil }
            var group = [first]
            var size = first.capacity
            while gathers, size + first.capacity <= preferredBatchBytes, let more = batches.tryPop() {
                group.append(more)
                size += more.capacity
            }
            return group
        }

        do {
            guard kernel.supports(device), let program = kernel.openCLProgram else {
                throw OpenCLError(code: CL_INVALID_KERNEL_NAME, function: "the \(kernel.name) kernel on this device")
            }
            // The program built at start, or (a run of another kernel) this kernel's, from the cache.
            let kernelEntry = program == preparedProgram
                ? entry : try ProgramCache.shared.entry(for: device, kernelSource: program.name, options: program.options)
            for _ in 0..<depth {
                slots.append(try kernel.makeDeviceExecutor(entry: kernelEntry, device: device))
            }
        } catch {
            failOver(error)
        }

        while !leaving {
            guard let group = nextGroup() else {
                if pending.isEmpty { break }
                completeOldest()
                continue
            }
            if fallback != nil {
                computeOnCPU(group)
                continue
            }
            if pending.count == activeDepth {
                completeOldest()
                if throttled { rest(after: Double(StageClock.now() - busySinceSubmission) / 1e9) }
            }
            if fallback != nil {
                computeOnCPU(group)
                continue
            }
            do {
                if pending.isEmpty { busySince = StageClock.now() }
                submissions += 1
                if case .submit(let n) = faultInjection, n == submissions {
                    throw OpenCLError(code: CL_OUT_OF_RESOURCES, function: "clEnqueueNDRangeKernel (simulated)")
                }
                busySinceSubmission = StageClock.now()
                let done = try slots[nextSlot].submit(group)
                pending.append((nextSlot, group, done))
                nextSlot = (nextSlot + 1) % depth
            } catch {
                failOver(error)
                computeOnCPU(group)
            }
        }
    }
}

extension OpenCLBackend {
    public var isHostCPU: Bool { false }
    /// Pinned staging is what a GPU's DMA wants; a CPU-type device beside other lanes reads host
    /// memory anyway, and switching the pool to its buffers only cost time (measured: part of
    /// the 0.15–0.3 CPU-seconds a PoCL lane added to a 2 GiB CPU run).
    public var providesStaging: Bool { isGPU || !otherLanesRemain }
    /// A CPU-type device copies a lent range out of the mapping as it would a staging buffer;
    /// stopping the lending when it joined made the CPU lane copy the rest of a 2 GiB run
    /// (`cpu,opencl` with PoCL: 0.678 s against 0.514 s for `cpu` alone, 1086 staged batches
    /// instead of 16 MiB ranges).
    public var readsLentBytes: Bool { !isGPU }
    /// `depth` submissions; beside other lanes, each gathers up to `preferredBatchBytes` of the
    /// run's smaller buffers.
    public func buffersInFlight(bufferBytes: Int) -> Int {
        guard otherLanesRemain else { return depth }
        // Beside other lanes a CPU-type device takes one batch at a time (see `runWorker`).
        return isGPU ? depth * max(1, preferredBatchBytes / max(1, bufferBytes)) : 1
    }
    public func setOtherLanesRemain(_ others: Bool) {
        laneLock.lock()
        othersRemain = others
        laneLock.unlock()
    }
}

/// Device state abandoned after a device fault, kept alive so that late writes by the device land
/// in live memory.
enum AbandonedDeviceState {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var slots: [any DevicePieceExecutor] = []

    static func keep(_ abandoned: [any DevicePieceExecutor]) {
        lock.lock()
        slots += abandoned
        lock.unlock()
    }
}

/// A pinned host buffer (`CL_MEM_ALLOC_HOST_PTR`) kept mapped for the life of a staging buffer.
final class PinnedStaging {
    let buffer: Buffer
    let mapping: UnsafeMutableRawBufferPointer
    let queue: CommandQueue
    var bytes: UnsafeMutableRawPointer { mapping.baseAddress! }

    init(context: Context, queue: CommandQueue, capacity: Int) throws {
        buffer = try Buffer(context: context, flags: [.readWrite, .allocHostPointer], size: capacity)
        mapping = try buffer.map(on: queue, flags: [.read, .write], blocking: true).bytes
        self.queue = queue
    }

    deinit {
        if let event = try? buffer.unmap(mapping, on: queue) { try? event.wait(timeout: .seconds(10)) }
    }
}

/// A device that cannot run the run's kernel (no OpenCL implementation, or no float64).
public struct KernelUnsupportedError: Error, CustomStringConvertible {
    public var kernel: String
    public var device: String
    public var description: String { "\(device) cannot run the \(kernel) kernel" }
}
