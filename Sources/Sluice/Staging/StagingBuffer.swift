#if canImport(Glibc)
import Glibc
#endif

/// What lent the bytes of a batch that holds no staged copy (bytes hashed in place in a file's
/// mapping). Called once, when the batch's bytes are no longer read.
public protocol BatchLender: AnyObject, Sendable {
    /// The batch is done with the bytes: whatever was computed from them has been computed.
    func giveBack()
}

/// A fixed-size host buffer that carries one batch from the reader to a backend, and the
/// descriptor table of the pieces packed into it. Buffers come from a `BufferPool` and go
/// back to it: they are the only large allocations of a run.
///
/// A batch may also borrow its bytes instead (`lender` set): a range of a file's mapping, hashed
/// where it lies by a CPU lane. Recycling such a batch gives the bytes back to the lender.
public final class StagingBuffer: @unchecked Sendable {
    /// Start of the byte region (64-byte aligned).
    public let bytes: UnsafeMutableRawPointer
    /// Size of the byte region.
    public let capacity: Int
    /// Bytes filled so far.
    public var used = 0
    /// The pieces packed into this batch, in buffer order.
    public var pieces: [Piece] = []
    /// Files whose every piece is among `pieces` and whose end-of-read checks passed: the lane
    /// that computes the batch finalizes them (`WholeFile`).
    public var wholeFiles: [WholeFile] = []
    /// Backend-specific storage that belongs to this buffer (e.g. an OpenCL pinned buffer that
    /// `bytes` points into); released with it.
    public let owner: AnyObject?
    /// Who lent the bytes of a batch that borrows them; nil for a staging buffer.
    public let lender: BatchLender?
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
        lender = nil
        ownsMemory = true
    }

    /// Wraps memory owned by `owner` (which must keep it valid while this buffer lives).
    public init(bytes: UnsafeMutableRawPointer, capacity: Int, owner: AnyObject) {
        self.bytes = bytes
        self.capacity = capacity
        self.owner = owner
        lender = nil
        ownsMemory = false
    }

    /// A batch of `count` bytes at `bytes` that belong to `lender` (read only, valid until
    /// `lender.giveBack()`); the caller appends its pieces and sets `used`.
    public init(borrowing bytes: UnsafeRawPointer, count: Int, from lender: BatchLender) {
        self.bytes = UnsafeMutableRawPointer(mutating: bytes)
        capacity = count
        owner = nil
        self.lender = lender
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
        pieces.removeAll(keepingCapacity: true)
        wholeFiles.removeAll(keepingCapacity: true)
    }
}
