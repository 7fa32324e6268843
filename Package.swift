// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cutter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cutter", targets: ["CutterServer"]),
        .library(name: "Cutter", targets: ["Cutter"]),
        .library(name: "ClipperRPC", targets: ["ClipperRPC"]),
        .library(name: "CutterContainer", targets: ["CutterContainer"]),
        .executable(name: "cutter-swift-sum", targets: ["CutterSwiftSum"]),
    ],
    // Exact versions: two builds a month apart get the same code (Package.resolved cannot be
    // committed where the package copies carry local commit ids).
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibevent", pkgConfig: "libevent",
            providers: [.apt(["libevent-dev"]), .brew(["libevent"])]),
        .systemLibrary(
            name: "CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]),
        .target(name: "ClipperRPC"),
        .target(
            name: "Cutter",
            dependencies: [
                "CLibevent", "CHiredis", "ClipperRPC",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(
            name: "CutterServer",
            dependencies: [
                "Cutter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The Swift container SDK (POSIX sockets, no C dependency) and its example model.
        .target(
            name: "CutterContainer",
            dependencies: ["ClipperRPC", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "CutterSwiftSum",
            dependencies: [
                "CutterContainer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "ClipperRPCTests", dependencies: ["ClipperRPC"]),
        .testTarget(
            name: "CutterContainerTests",
            dependencies: ["CutterContainer", "ClipperRPC", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CutterTests", dependencies: ["Cutter", "ClipperRPC"], exclude: ["Fuzz/Corpus"]),
        .testTarget(
            name: "CutterIntegrationTests",
            dependencies: ["Cutter", "ClipperRPC", "CHiredis"],
            exclude: ["Fixtures"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
