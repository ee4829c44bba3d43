// swift-tools-version:6.0
import PackageDescription

/// The hot SIMD kernels are compiled three times from the same sources (the AVX2 and AVX-512
/// folders hold symbolic links to `Sources/SIMDKernels`), each for one instruction set; the
/// library picks one at run time from CPUID. The AVX2 and AVX-512 modules also compile the
/// intrinsics kernels' shared rounds (`SIMDKernelsAVX2/BLAKE3Rounds.swift`) and the 8-lane
/// kernel (`BLAKE3AVX2.swift`, condition SLUICE_AVX2); the AVX-512 module alone has the 16-lane
/// one (`SIMDKernelsAVX512/BLAKE3AVX512.swift`, SLUICE_AVX512). They are optimised even in debug
/// builds so that the test suite hashes its corpora quickly.
let simdOptimisation: [String] = ["-Ounchecked"]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "Sluice", targets: ["Sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The results store (`--db`, audit, export, merge): SQLite through GRDB.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenCL",
            pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]
        ),
        // -O2 in every configuration: the SIGBUS guard's correctness depends on what the optimiser
        // may do (Sources/CSluice/sigbus_guard.c), so the debug-built tests run optimised code too.
        .target(name: "CSluice", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "CKernelSources",
            cSettings: [.unsafeFlags(["-std=c23"])]
        ),
        .target(
            name: "SIMDKernels",
            dependencies: ["CSluice"],
            swiftSettings: [.unsafeFlags(simdOptimisation)]
        ),
        .target(
            name: "SIMDKernelsAVX2",
            dependencies: ["CSluice"],
            swiftSettings: [.define("SLUICE_AVX2"), .unsafeFlags(simdOptimisation + ["-target-cpu", "haswell"])]
        ),
        .target(
            name: "SIMDKernelsAVX512",
            dependencies: ["CSluice"],
            swiftSettings: [.define("SLUICE_AVX2"), .define("SLUICE_AVX512"),
                            .unsafeFlags(simdOptimisation + ["-target-cpu", "skylake-avx512"])]
        ),
        .target(
            name: "Sluice",
            dependencies: [
                "COpenCL", "CSluice", "CKernelSources",
                "SIMDKernels", "SIMDKernelsAVX2", "SIMDKernelsAVX512",
            ]
        ),
        // The results store: SQLite (WAL) written by the write stage, read by resume, audit,
        // export and merge. Apart from `Sluice` so that only the store links GRDB.
        .target(name: "CSluiceStore", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "SluiceStore",
            dependencies: ["Sluice", "CSluiceStore", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "Sluice", "SluiceStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The Swift runtime and Foundation are linked into the binary, as
            // `--static-swift-stdlib` does, so the dynamic loader does not resolve their symbols
            // at every start: `sluice run` of an empty folder took 29.7 ms with the shared
            // libraries and 18.0 ms static (`perf stat -r 20`, 2-core AMD EPYC), which is 7% of
            // a run over 20 000 files of 4 KiB (docs/performance.md). Compiling this module with
            // the flag too makes it autolink the static libraries' own dependencies
            // (CoreFoundation, _FoundationICU, swiftSynchronization); the link fails without it.
            // Trap: an incremental build does not recompile for a changed flag: after switching
            // it, remove `.build/*/sluice.build` (a fresh clone is fine).
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]
        ),
        .testTarget(
            name: "SluiceTests",
            dependencies: ["Sluice", "SluiceStore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
