#if canImport(Glibc)
import Glibc
#endif

/// A fixed-size host buffer that carries one batch from the reader to a backend, and the
/// descriptor table of the subtrees packed into it. Buffers come from a `BufferPool` and go
/// back to it: they are the only large allocations of a run.
public final class StagingBuffer: @unchecked Sendable {
    /// Start of the byte region (64-byte aligned).
    public let bytes: UnsafeMutableRawPointer
    /// Size of the byte region.
    public let capacity: Int
    /// Bytes filled so far.
    public var used = 0
    /// The subtrees packed into this batch, in buffer order.
    public var subtrees: [BLAKE3Subtree] = []
    /// Backend-specific storage that belongs to this buffer (e.g. an OpenCL pinned buffer that
    /// `bytes` points into); released with it.
    public let owner: AnyObject?
    private let ownsMemory: Bool
    /// Which maker of its pool made it (see `BufferPool.replaceMaker`).
    var generation = 0

    /// Allocates `capacity` bytes of ordinary memory, 2 MiB aligned and marked for transparent
    /// huge pages (fewer TLB misses while the reader copies in and the kernel reads).
    public init(capacity: Int) {
        bytes = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 2 << 20)
        _ = madvise(bytes, capacity, MADV_HUGEPAGE)
        self.capacity = capacity
        owner = nil
        ownsMemory = true
    }

    /// Wraps memory owned by `owner` (which must keep it valid while this buffer lives).
    public init(bytes: UnsafeMutableRawPointer, capacity: Int, owner: AnyObject) {
        self.bytes = bytes
        self.capacity = capacity
        self.owner = owner
        ownsMemory = false
    }

    deinit {
        if ownsMemory { bytes.deallocate() }
    }

    /// Bytes still free.
    public var remaining: Int { capacity - used }

    /// Rounds `used` up to a multiple of `alignment` (at most to `capacity`).
    public func alignUsed(to alignment: Int) {
        used = min(capacity, (used + alignment - 1) / alignment * alignment)
    }

    /// Empties the buffer for reuse, keeping the table's storage.
    public func reset() {
        used = 0
        subtrees.removeAll(keepingCapacity: true)
    }
}
