import COpenCL

/// An OpenCL platform: one installed implementation (an ICD), such as PoCL or NVIDIA's driver.
///
/// Platforms are not reference counted by OpenCL; a `Platform` only holds the id. OpenCL's
/// platform queries are thread-safe, so the type is `Sendable`.
public final class Platform: @unchecked Sendable {
    /// The OpenCL handle.
    public let id: cl_platform_id

    /// Wraps a platform id obtained from `clGetPlatformIDs`.
    public init(id: cl_platform_id) {
        self.id = id
    }

    /// Every platform the ICD loader finds, in the loader's order (the index `P` of
    /// `--device opencl:P:D`).
    ///
    /// Prepares the environment first (`OpenCLEnvironment.prepare()`). With no ICD installed the
    /// loader answers `CL_PLATFORM_NOT_FOUND_KHR`, which is thrown like any other failure; callers
    /// that list devices treat it as "no platform", not as an error.
    /// The corresponding OpenCL function is `clGetPlatformIDs`.
    public static func all() throws -> [Platform] {
        OpenCLEnvironment.prepare()
        var count: cl_uint = 0
        try OpenCLError.check(clGetPlatformIDs(0, nil, &count), "clGetPlatformIDs")
        guard count > 0 else { return [] }
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try OpenCLError.check(clGetPlatformIDs(count, &ids, &count), "clGetPlatformIDs")
        return ids.prefix(Int(count)).compactMap { $0 }.map(Platform.init(id:))
    }

    /// The devices of this platform of the given type, in the platform's order (the index `D` of
    /// `--device opencl:P:D`). A platform with no device of that type gives an empty array, not
    /// an error (`CL_DEVICE_NOT_FOUND` is absorbed).
    /// The corresponding OpenCL function is `clGetDeviceIDs`.
    public func devices(ofType type: DeviceType = .all) throws -> [Device] {
        var count: cl_uint = 0
        let status = clGetDeviceIDs(id, type.rawValue, 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND { return [] }
        try OpenCLError.check(status, "clGetDeviceIDs")
        guard count > 0 else { return [] }
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try OpenCLError.check(clGetDeviceIDs(id, type.rawValue, count, &ids, &count), "clGetDeviceIDs")
        return try ids.prefix(Int(count)).compactMap { $0 }.map { try Device(retaining: $0, platform: self) }
    }

    /// The platform's name, for example "Portable Computing Language".
    /// The corresponding OpenCL function is `clGetPlatformInfo` (`CL_PLATFORM_NAME`).
    public var name: String { get throws { try string(CL_PLATFORM_NAME) } }

    /// The platform's vendor, for example "The pocl project".
    /// The corresponding OpenCL function is `clGetPlatformInfo` (`CL_PLATFORM_VENDOR`).
    public var vendor: String { get throws { try string(CL_PLATFORM_VENDOR) } }

    /// The OpenCL version the platform implements, for example "OpenCL 3.0 PoCL 6.0 ...".
    /// The corresponding OpenCL function is `clGetPlatformInfo` (`CL_PLATFORM_VERSION`).
    public var version: String { get throws { try string(CL_PLATFORM_VERSION) } }

    /// "FULL_PROFILE" or "EMBEDDED_PROFILE".
    /// The corresponding OpenCL function is `clGetPlatformInfo` (`CL_PLATFORM_PROFILE`).
    public var profile: String { get throws { try string(CL_PLATFORM_PROFILE) } }

    /// The platform's extensions, space separated in OpenCL, split here.
    /// The corresponding OpenCL function is `clGetPlatformInfo` (`CL_PLATFORM_EXTENSIONS`).
    public var extensions: [String] {
        get throws { try string(CL_PLATFORM_EXTENSIONS).split(separator: " ").map(String.init) }
    }

    private func string(_ parameter: Int32) throws -> String {
        let info = cl_platform_info(parameter)
        var size = 0
        try OpenCLError.check(clGetPlatformInfo(id, info, 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLError.check(clGetPlatformInfo(id, info, size, &bytes, nil), "clGetPlatformInfo")
        return String(cString: bytes).trimmingTrailingSpaces()
    }
}

extension String {
    /// Some drivers pad info strings with spaces; clinfo trims them too.
    func trimmingTrailingSpaces() -> String {
        var result = Substring(self)
        while result.last == " " { result = result.dropLast() }
        return String(result)
    }
}
