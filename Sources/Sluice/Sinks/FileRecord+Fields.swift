import Foundation

extension FileRecord {
    /// A record from its fields, for results read back from somewhere else than a run (the
    /// results store's export): the same line as the run wrote, given the same fields.
    public init(path: RawPath, size: UInt64?, kernel: String, device: String, status: String, error: String?,
                members: [JSONMember]) {
        schema = Self.schemaVersion
        self.path = path.description
        pathBase64 = path.isValidUTF8 ? nil : Data(path.bytes).base64EncodedString()
        self.size = size
        self.kernel = kernel
        self.device = device
        self.status = status
        self.error = error
        self.members = members.sorted { $0.key < $1.key }
    }
}
