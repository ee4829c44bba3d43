/// One component (`P` or `D`) of `--device opencl:P:D`: a position or a name substring.
public enum DeviceSelector: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The position in the loader's platform list or the platform's device list, from 0.
    case index(Int)
    /// A case-insensitive substring of the platform's or device's name or vendor.
    case name(String)

    /// Reads a component: all digits is an index, anything else a name substring. An empty
    /// component means "any" and gives `nil`.
    public init?(parsing text: Substring) {
        guard !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber), let index = Int(text) {
            self = .index(index)
        } else {
            self = .name(String(text))
        }
    }

    /// Whether the item at `index` whose name and vendor are `names` is selected.
    public func matches(index: Int, names: [String]) -> Bool {
        switch self {
        case .index(let wanted):
            return index == wanted
        case .name(let substring):
            return names.contains { $0.lowercased().contains(substring.lowercased()) }
        }
    }

    /// The component as written on the command line.
    public var description: String {
        switch self {
        case .index(let index): return String(index)
        case .name(let name): return name
        }
    }
}
