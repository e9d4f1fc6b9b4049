// swift-tools-version:6.0
// svcproxy: a userspace TCP port-forwarding proxy for one Linux node.
import Foundation
import PackageDescription

// The event loop's objects are touched only by their own worker thread, yet the runtime
// exclusivity checks on their properties cost more instructions per event than the relay
// itself (callgrind, keep-alive requests). Release builds of the data path leave them out;
// debug builds, and so the tests, keep them.
let uncheckedExclusivityInRelease = SwiftSetting.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))

let package = Package(
    name: "svcproxy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "svcproxy", targets: ["svcproxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLinux", linkerSettings: [.linkedLibrary("uring")]),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // OpenSSL for the Ingress's TLS; only the TLS module (and its C shim, for the
        // macros and callbacks Swift cannot reach) uses it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CTLSShim", dependencies: ["COpenSSL"]),
        .target(name: "TLS", dependencies: ["COpenSSL", "CTLSShim", "ServiceConfig"]),
        .target(name: "LinuxIO", dependencies: ["CLinux"], swiftSettings: [uncheckedExclusivityInRelease]),
        .target(name: "ServiceConfig", dependencies: ["Yams"]),
        // HTTP/1.1 heads in and out, as pure values: shared by the admin server and the
        // coming Ingress proxy.
        .target(name: "HTTP1", swiftSettings: [uncheckedExclusivityInRelease]),
        // The cluster DNS: the message codec and the zone built from the configuration's
        // names, as pure values (bytes in, bytes out) for the responder's handler.
        .target(name: "DNS", dependencies: ["ServiceConfig"], swiftSettings: [uncheckedExclusivityInRelease]),
        .target(
            name: "ProxyEngine",
            dependencies: ["DNS", "HTTP1", "LinuxIO", "ServiceConfig", "TLS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: [uncheckedExclusivityInRelease]
        ),
        .target(name: "LogPipeline", dependencies: ["LinuxIO", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", "LinuxIO", "LogPipeline", .product(name: "Logging", package: "swift-log")]
        ),
        // The admin endpoints (/metrics, /healthz, /livez, the status socket) on their own
        // thread, built on HTTP1.
        .target(
            name: "Admin",
            dependencies: ["HTTP1", "LinuxIO", "ServiceConfig", "ProxyEngine", "TLS", .product(name: "Logging", package: "swift-log")]
        ),
        // The Kubernetes API as a source of objects: one thread per watched kind, blocking-style
        // I/O with deadlines, events handed to the daemon's main loop (APIEventQueue).
        .target(
            name: "KubeAPI",
            dependencies: ["HTTP1", "LinuxIO", "ServiceConfig", "TLS", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "svcproxy",
            dependencies: [
                "Admin", "DNS", "KubeAPI", "LinuxIO", "ServiceConfig", "ProxyEngine", "Systemd", "LogPipeline", "TLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ServiceConfigTests", dependencies: ["ServiceConfig"]),
        .testTarget(name: "LinuxIOTests", dependencies: ["LinuxIO"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "DNSTests", dependencies: ["DNS", "ServiceConfig"]),
        .testTarget(name: "AdminTests", dependencies: ["Admin"]),
        .testTarget(name: "LogPipelineTests", dependencies: ["LogPipeline", "LinuxIO", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "COpenSSL", "CTLSShim", "ServiceConfig"]),
        .testTarget(name: "ProxyEngineTests", dependencies: ["ProxyEngine", "LinuxIO", "ServiceConfig"]),
        .testTarget(name: "KubeAPITests", dependencies: ["KubeAPI", "LinuxIO", "ServiceConfig"]),
    ],
    swiftLanguageModes: [.v6]
)

// The loader's libFuzzer target exists only for fuzz builds (scripts/fuzz-config): it has
// no `main` of its own, so an ordinary build could not link it.
if ProcessInfo.processInfo.environment["SVCPROXY_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CLibFuzzer"),
        .executableTarget(name: "ConfigFuzzer", dependencies: ["ServiceConfig", "CLibFuzzer"]),
        .executableTarget(name: "HTTPFuzzer", dependencies: ["HTTP1", "CLibFuzzer"]),
        .executableTarget(name: "DNSFuzzer", dependencies: ["DNS", "CLibFuzzer"]),
    ]
}

// The DNS answer path's micro-benchmark (bench/dns-resolve): built only with SVCPROXY_BENCH=1,
// since it replaces malloc (to count allocations) and has no place in the daemon's build.
if ProcessInfo.processInfo.environment["SVCPROXY_BENCH"] == "1" {
    package.targets += [
        .target(name: "CMallocCounter"),
        .executableTarget(name: "DNSBench", dependencies: ["DNS", "ServiceConfig", "CMallocCounter"]),
    ]
}
