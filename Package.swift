// swift-tools-version:6.0
import PackageDescription

// The kernels use fused multiply-add and 256-bit vectors: on x86-64, build for CPUs that have
// them (AVX2 and FMA, every x86-64 CPU since 2013); elsewhere the compiler's default suffices.
#if arch(x86_64)
  let vectorSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
  let vectorSettings: [SwiftSetting] = []
#endif

let package = Package(
  name: "rnnstep",
  products: [
    .executable(name: "rnnstep", targets: ["rnnstep"]),
    .library(name: "RNNCore", targets: ["RNNCore"]),
  ],
  targets: [
    // The numerics: matrices, the model, forward, BPTT, gradient checks, optimisers. No text.
    .target(name: "RNNCore", swiftSettings: vectorSettings),
    .executableTarget(name: "rnnstep", dependencies: ["RNNCore"]),
    .executableTarget(name: "rnnstep-bench", dependencies: ["RNNCore"], path: "Sources/rnnstep-bench"),
    .testTarget(name: "RNNCoreTests", dependencies: ["RNNCore"], exclude: ["Fixtures"]),
  ]
)
