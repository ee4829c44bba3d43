import XCTest
@testable import Sluice

/// The OpenCL device the tests run on (PoCL's CPU device here; any OpenCL device elsewhere),
/// with one context and queue shared by the whole test process.
enum OpenCLTestDevice {
    struct Setup {
        let device: Device
        let context: Context
        let queue: CommandQueue
    }

    private static let setup: Result<Setup, Error> = Result {
        guard let entry = DeviceInventory.current().openCL.first else {
            throw XCTSkip("no OpenCL device on this machine (install PoCL: apt-get install pocl-opencl-icd)")
        }
        let context = try Context(device: entry.device)
        return Setup(device: entry.device, context: context,
                     queue: try CommandQueue(context: context, device: entry.device))
    }

    /// The shared device, context and queue; skips the test when the machine has no OpenCL device.
    static func get() throws -> Setup {
        try setup.get()
    }
}

extension DeviceInventory {
    /// An inventory as a machine without any OpenCL platform has it (an AVX2 CPU, 2 cores).
    static let withoutOpenCL = DeviceInventory(
        platforms: [], openCL: [],
        cpu: .init(isa: .avx2, cores: 2, memoryBytes: 1 << 30),
        note: DeviceInventory.noPlatformNote)
}
