import COpenCL

/// The kinds of OpenCL device (`cl_device_type`), as a set: a query may ask for several.
public struct DeviceType: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `cl_device_type` bit field.
    public let rawValue: cl_device_type

    /// Wraps a `cl_device_type` bit field.
    public init(rawValue: cl_device_type) {
        self.rawValue = rawValue
    }

    /// The platform's default device (`CL_DEVICE_TYPE_DEFAULT`).
    public static let `default` = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_DEFAULT))
    /// A CPU device, such as PoCL's (`CL_DEVICE_TYPE_CPU`).
    public static let cpu = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_CPU))
    /// A GPU (`CL_DEVICE_TYPE_GPU`).
    public static let gpu = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_GPU))
    /// A dedicated accelerator (`CL_DEVICE_TYPE_ACCELERATOR`).
    public static let accelerator = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_ACCELERATOR))
    /// A custom device without OpenCL C support (`CL_DEVICE_TYPE_CUSTOM`).
    public static let custom = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_CUSTOM))
    /// Every type (`CL_DEVICE_TYPE_ALL`).
    public static let all = DeviceType(rawValue: cl_device_type(CL_DEVICE_TYPE_ALL))

    /// "gpu", "accelerator", "cpu", "custom" or "default": the most specific kind in the set, the
    /// word `sluice devices` prints.
    public var description: String {
        if contains(.gpu) { return "gpu" }
        if contains(.accelerator) { return "accelerator" }
        if contains(.cpu) { return "cpu" }
        if contains(.custom) { return "custom" }
        return "default"
    }
}
