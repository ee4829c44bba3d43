#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a stream job (standard input, a FIFO, a character device; `FileJob.isStream`) to its
/// end and computes the run's kernel on the way, on the reader's thread.
///
/// A stream cannot be cut into batches like a file: its length (for BLAKE3, the shape of its
/// tree) is known only at its end, and it can be read only once. So it is computed as it is
/// read, by the kernel's `StreamComputation` (the SIMD kernels of this CPU, in bounded memory),
/// whatever the lanes of the run.
struct StreamReader {
    /// Bytes per `read`.
    static let chunkBytes = 1 << 20

    let kernel: any ComputeKernel
    let isa: CPUVectorISA

    /// The stream's length and output, or the problem that stopped it.
    func compute(_ job: FileJob, isCancelled: () -> Bool) -> Result<(size: UInt64, output: any KernelOutput), FileProblem> {
        let isStandardInput = job.path == FileJob.standardInputPath
        let fd: Int32
        if isStandardInput {
            fd = 0
        } else {
            // Blocking, as b3sum opens it: a FIFO waits here for its writer.
            do {
                fd = try SystemCall.open(job.path, flags: O_RDONLY | O_CLOEXEC | O_NOCTTY)
            } catch {
                return .failure(error.problem(for: job.path))
            }
            if let status = try? SystemCall.status(of: fd), status.device != job.device || status.inode != job.inode {
                SystemCall.close(fd)
                return .failure(FileProblem(path: job.path, kind: .changed, message: "file replaced since it was listed"))
            }
        }
        defer { if !isStandardInput { SystemCall.close(fd) } }

        let computation = kernel.makeStreamComputation(isa: isa)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            if isCancelled() {
                return .failure(FileProblem(path: job.path, kind: .error, message: "interrupted before the end of the stream"))
            }
            let count = read(fd, buffer, Self.chunkBytes)
            if count > 0 {
                computation.consume(UnsafeRawBufferPointer(start: buffer, count: count))
            } else if count == 0 {
                // `finish()` first: it may compute what waits, and `count` counts it then.
                let output = computation.finish()
                return .success((computation.count, output))
            } else if errno == EAGAIN {
                // A descriptor left non-blocking by whoever passed it: wait until it is readable.
                var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&request, 1, 100)
            } else if errno != EINTR {
                return .failure(FileProblem(path: job.path, kind: .error, message: SystemCallError.current("read").description))
            }
        }
    }
}
