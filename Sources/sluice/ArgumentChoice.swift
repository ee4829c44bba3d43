import ArgumentParser

/// An option's value chosen by name among an enum's cases (`--kernel`, `--dtype`, `--order`, …):
/// the names that help and completions list, written out without ArgumentParser's defaults for
/// `CaseIterable` raw-value types. Those map the cases through a generic key path
/// (`\.rawValue.defaultValueDescription`) that the runtime instantiates at every call, with a
/// protocol-conformance lookup for each new type: 11% of the 7.4–9.8 ms that parsing a
/// `sluice run` command line took (`perf`, 2-core AMD EPYC; docs/performance.md).
public protocol ArgumentChoice: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension ArgumentChoice {
    public init?(argument: String) { self.init(rawValue: argument) }

    public var defaultValueDescription: String { rawValue }

    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }

    /// A case's description where it is not its name (none of sluice's choices has one).
    public static var allValueDescriptions: [String: String] {
        var descriptions: [String: String] = [:]
        for value in allCases where value.defaultValueDescription != value.rawValue {
            descriptions[value.rawValue] = value.defaultValueDescription
        }
        return descriptions
    }

    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
