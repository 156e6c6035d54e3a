// swift-tools-version:6.0
import PackageDescription

// No unsafe flags: `swift build` makes code that runs on any x86-64 or arm64 CPU. The Makefile's
// `make run` and `make bench` add `-target-cpu native` for the CPU they run on (AVX2 and FMA on
// this kind of machine); the results are the same bits either way (fused multiply-add is
// correctly rounded in hardware and in software).
let package = Package(
  name: "rnnstep",
  products: [
    .executable(name: "rnnstep", targets: ["rnnstep"]),
    .library(name: "RNNCore", targets: ["RNNCore"]),
  ],
  targets: [
    // The numerics: matrices, the model, forward, BPTT, gradient checks, optimisers. No text.
    .target(name: "RNNCore", dependencies: ["CPlatform", "CKernels"]),
    // Adagrad's correctly rounded vector square root and division (SSE2 or NEON intrinsics).
    .target(name: "CKernels"),
    // The processor's spin-wait hint, for the helper thread.
    .systemLibrary(name: "CPlatform"),
    // A cursor over a recorded pass, breakpoints. No text.
    .target(name: "Stepper", dependencies: ["RNNCore"]),
    // Model files: JSON, and NumPy .npy/.npz (zlib inflates compressed members).
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "Interop", dependencies: ["RNNCore", "CZlib"]),
    // Commands, expressions, rendering: everything a learner reads.
    .target(name: "Interpreter", dependencies: ["RNNCore", "Stepper", "Interop"]),
    // Lesson files: parsing, check mode, guided mode. Lessons drive the interpreter.
    .target(name: "Lessons", dependencies: ["Interpreter", "Interop", "RNNCore"]),
    // libedit, through a system library whose shim makes its variadic C calls callable.
    .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .target(name: "LineEditing", dependencies: ["CLibEdit"]),
    .executableTarget(name: "rnnstep", dependencies: ["Interop", "Interpreter", "Lessons", "LineEditing"]),
    .executableTarget(name: "rnnstep-bench", dependencies: ["RNNCore"], path: "Sources/rnnstep-bench"),
    // libFuzzer harnesses (make fuzz builds them with -sanitize=fuzzer,address); built plainly, a
    // replayer of their inputs.
    .executableTarget(
      name: "rnnstep-fuzz", dependencies: ["Interop", "Interpreter", "Lessons", "RNNCore"], path: "Sources/rnnstep-fuzz"
    ),
    .testTarget(name: "RNNCoreTests", dependencies: ["RNNCore"], exclude: ["Fixtures"]),
    .testTarget(name: "StepperTests", dependencies: ["Stepper"]),
    .testTarget(
      name: "InterpreterTests", dependencies: ["Interpreter", "Interop", "RNNCore"], exclude: ["Fixtures", "Snapshots"]),
    .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Interpreter"]),
  ]
)
