import COpenCL
import Foundation

/// The OpenCL backend: BLAKE3 batches on one OpenCL device, two batches in flight.
///
/// One submission thread drives the device. Each in-flight slot has its own in-order command
/// queue and device buffers, so while the device computes batch i (slot A) the upload of batch
/// i+1 (slot B) proceeds on the other queue. Staging buffers are pinned host memory
/// (`CL_MEM_ALLOC_HOST_PTR`, mapped once) that the reader fills directly, the fast DMA path on
/// discrete GPUs. Every wait has a host deadline. If the device fails mid-run (lost, out of
/// resources, hung past the deadline), the batches in flight and all later ones are computed by
/// the CPU backend instead, after one warning: every file still gets its result.
public final class OpenCLBackend: ComputeBackend, @unchecked Sendable {
    /// The device.
    public let device: Device
    private let entry: ProgramCache.Entry
    public let workerCount = 1
    public let preferredBatchBytes: Int
    public let deviceName: String
    /// Longest wait for one batch before the device is declared hung.
    public var batchDeadline: Duration = .seconds(120)
    /// Batches in flight on the device.
    public let depth = 2
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

    /// Full chunks per work-item: 1 on GPUs and accelerators, 8 (vector lanes) on CPU devices.
    public let fullChunksPerWorkItem: Int

    /// Builds the BLAKE3 program for `device` (once per process; the build log is in the error if
    /// it fails).
    /// - Parameters:
    ///   - fullChunksPerWorkItem: 1 or 8; nil chooses by device type (tests force each variant).
    ///   - warnings: receives the one-line warning if the run falls back to the CPU.
    public init(device: Device, fullChunksPerWorkItem: Int? = nil,
                fallbackISA: CPUVectorISA = CPUVectorISA.active(environment: ProcessInfo.processInfo.environment),
                warnings: @escaping (String) -> Void = { Diagnostics.line($0) }) throws {
        self.device = device
        self.fullChunksPerWorkItem = try fullChunksPerWorkItem ?? (device.isGPUOrAccelerator ? 1 : 8)
        precondition([1, 8].contains(self.fullChunksPerWorkItem), "fullChunksPerWorkItem must be 1 or 8")
        entry = try ProgramCache.shared.entry(for: device, kernelSource: "blake3")
        let name = (try? device.name) ?? "device"
        let platform = (try? device.platform.name) ?? "platform"
        deviceName = "opencl:\(name) (\(platform))"
        // Large enough to keep a GPU busy, never more than a quarter of one allocation.
        let wanted = (try device.isGPUOrAccelerator) ? 32 << 20 : 4 << 20
        let limit = Int(min(UInt64(Int.max), try device.maxMemAllocSize / 4))
        preferredBatchBytes = max(BLAKE3Layout.maxSubtreeBytes,
                                  min(wanted, limit) / BLAKE3Layout.maxSubtreeBytes * BLAKE3Layout.maxSubtreeBytes)
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

    public func runWorker(
        index: Int, mode: BLAKE3Mode, batches: BoundedQueue<StagingBuffer>, deliver: (ComputedBatch) -> Void,
        recycle: (StagingBuffer) -> Void, clock: StageClock
    ) throws {
        var fallback: BLAKE3CPUExecutor?
        var slots: [DeviceSlot] = []
        var pending: [(slot: Int, batch: StagingBuffer, done: Event)] = []
        var nextSlot = 0
        // The device is busy while at least one batch is in flight; with two in flight their
        // times overlap, so busy time is measured from the first submission to the last completion.
        var busySince: UInt64 = 0
        func recordBusy(_ batch: StagingBuffer) {
            let now = StageClock.now()
            clock.record(since: busySince, items: 1, bytes: UInt64(batch.used))
            busySince = now
        }

        func computeOnCPU(_ batch: StagingBuffer) {
            let started = StageClock.now()
            var records: [UInt32] = []
            fallback!.run(subtrees: batch.subtrees, buffer: UnsafeRawPointer(batch.bytes), mode: mode, records: &records)
            clock.record(since: started, items: 1, bytes: UInt64(batch.used))
            let subtrees = batch.subtrees
            recycle(batch)
            deliver(ComputedBatch(subtrees: subtrees, records: records))
        }

        var submissions = 0
        var waits = 0

        func failOver(_ error: Error) {
            warnings("sluice: warning: \(deviceName) failed (\(error)); fallback to the CPU SIMD backend (\(fallbackISA.rawValue)) for the remaining batches")
            fallback = BLAKE3CPUExecutor(isa: fallbackISA)
            // A failed or hung device may still write into the slots' buffers and host records
            // later; they are kept alive for the rest of the process rather than freed under it.
            AbandonedDeviceState.keep(slots)
            slots.removeAll()
            let stranded = pending
            pending.removeAll()
            for item in stranded { computeOnCPU(item.batch) }
        }

        func completeOldest() {
            let item = pending.removeFirst()
            do {
                waits += 1
                if case .wait(let n) = faultInjection, n == waits {
                    throw OpenCLError(code: CL_OUT_OF_RESOURCES, function: "clWaitForEvents (simulated)")
                }
                try item.done.wait(timeout: batchDeadline)
                let records = slots[item.slot].takeRecords(count: item.batch.subtrees.count)
                recordBusy(item.batch)
                let subtrees = item.batch.subtrees
                recycle(item.batch)
                deliver(ComputedBatch(subtrees: subtrees, records: records))
            } catch {
                pending.insert(item, at: 0)
                failOver(error)
            }
        }

        do {
            for _ in 0..<depth {
                slots.append(try DeviceSlot(entry: entry, device: device, fullChunksPerWorkItem: fullChunksPerWorkItem))
            }
        } catch {
            failOver(error)
        }

        while true {
            let next = pending.isEmpty ? batches.pop() : batches.tryPop()
            guard let batch = next else {
                if pending.isEmpty { break }
                completeOldest()
                continue
            }
            if fallback != nil {
                computeOnCPU(batch)
                continue
            }
            if pending.count == depth { completeOldest() }
            if fallback != nil {
                computeOnCPU(batch)
                continue
            }
            do {
                if pending.isEmpty { busySince = StageClock.now() }
                submissions += 1
                if case .submit(let n) = faultInjection, n == submissions {
                    throw OpenCLError(code: CL_OUT_OF_RESOURCES, function: "clEnqueueNDRangeKernel (simulated)")
                }
                let done = try slots[nextSlot].submit(batch, mode: mode)
                pending.append((nextSlot, batch, done))
                nextSlot = (nextSlot + 1) % depth
            } catch {
                failOver(error)
                computeOnCPU(batch)
            }
        }
    }
}

/// Device state abandoned after a device fault, kept alive so that late writes by the device land
/// in live memory.
enum AbandonedDeviceState {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var slots: [DeviceSlot] = []

    static func keep(_ abandoned: [DeviceSlot]) {
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
