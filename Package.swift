// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cutter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cutter", targets: ["CutterServer"]),
        .library(name: "Cutter", targets: ["Cutter"]),
        .library(name: "ClipperRPC", targets: ["ClipperRPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
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
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(
            name: "CutterServer",
            dependencies: [
                "Cutter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "ClipperRPCTests", dependencies: ["ClipperRPC"]),
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
