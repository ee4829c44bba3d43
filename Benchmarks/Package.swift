// swift-tools-version:6.0
import PackageDescription

// Micro-benchmarks for sluice, kept out of the root package so that its users never fetch
// swift-benchmark. Run: `swift run -c release SluiceBenchmarks` from this folder.
let package = Package(
    name: "SluiceBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "sluice", path: ".."),
        .package(url: "https://github.com/google/swift-benchmark", exact: "0.1.2"),
    ],
    targets: [
        .executableTarget(
            name: "SluiceBenchmarks",
            dependencies: [
                .product(name: "Sluice", package: "sluice"),
                .product(name: "Benchmark", package: "swift-benchmark"),
            ]
        ),
    ],
    // swift-benchmark 0.1.2 predates strict concurrency (its column registry is a mutable static).
    swiftLanguageModes: [.v5]
)
