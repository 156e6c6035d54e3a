// rnnstep-bench: rnnstep's numerics against the NumPy reference (benchmarks/numpy_reference.py),
// on the same work, in the same run. `make bench` runs both; see benchmarks/README.md.
import Foundation
import RNNCore

let hidden = 100
let vocabulary = 65
let steps = 25

struct Reference: Decodable {
  let iterations: Int
  let numpy: String
  let python: String
  // swift-format-ignore: AlwaysUseLowerCamelCase
  let seconds_per_iteration: Double
  // swift-format-ignore: AlwaysUseLowerCamelCase
  let train_seconds_per_iteration: Double
  // swift-format-ignore: AlwaysUseLowerCamelCase
  let train_iterations: Int
}

func readReference() -> Reference? {
  let arguments = CommandLine.arguments
  guard let i = arguments.firstIndex(of: "--reference"), i + 1 < arguments.count else { return nil }
  guard let data = FileManager.default.contents(atPath: arguments[i + 1]) else {
    FileHandle.standardError.write(Data("rnnstep-bench: cannot read \(arguments[i + 1])\n".utf8))
    exit(2)
  }
  return try? JSONDecoder().decode(Reference.self, from: data)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func machine() -> String {
  let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  let model =
    cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
    .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
  let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
  return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(String(format: "%.0f", memory)) GiB"
}

/// Floating-point operations of one forward + BPTT pass as rnnstep computes it (one-hot inputs):
/// per step, forward 2H² (Whh h) + 2VH (Why h), backward 4VH (dWhy, dh) + 4H² (dWhh, dh_next),
/// plus O(H + V) for biases, tanh', softmax and the one-hot column of Wxh.
func flopsPerPass(h: Int, v: Int, t: Int) -> Double {
  Double(t) * (6 * Double(h * h) + 6 * Double(v * h) + 8 * Double(h) + 5 * Double(v))
}

let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 2
/// BENCH_JSON=1: the figures also as one JSON object on the last line, for benchmarks/run.py.
var results: [String: Double] = [:]
@MainActor func finish() -> Never {
  if ProcessInfo.processInfo.environment["BENCH_JSON"] != nil,
    let json = try? JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
  {
    print(String(decoding: json, as: UTF8.self))
  }
  exit(0)
}
let model = try RNN(inputSize: vocabulary, hiddenSize: hidden, outputSize: vocabulary, seed: 1)
var rng = SeededGenerator(seed: 2)
let data = try SequenceData(
  inputs: .indices((0..<steps).map { _ in rng.nextIndex(below: vocabulary) }),
  targets: .indices((0..<steps).map { _ in rng.nextIndex(below: vocabulary) }))

print("machine: \(machine())")
print("work: forward + BPTT, softmax, H=\(hidden) V=\(vocabulary) T=\(steps), Double")

/// The fastest of `rounds` timings of `body` repeated for about `seconds / rounds` each, in seconds
/// per call: the minimum is the estimate least disturbed by other work on the machine.
func bestTime(rounds: Int = 7, _ body: () throws -> Void) rethrows -> (seconds: Double, calls: Int) {
  var best = Double.infinity
  var calls = 0
  for _ in 0..<rounds {
    var n = 0
    let start = now()
    while now() - start < seconds / Double(rounds) {
      for _ in 0..<50 { try body() }
      n += 50
    }
    best = min(best, (now() - start) / Double(n))
    calls += n
  }
  return (best, calls)
}

// BENCH_CHECK_ONLY=Whh (or another parameter): that parameter's check alone, 5 times, for profiling.
if let name = ProcessInfo.processInfo.environment["BENCH_CHECK_ONLY"] {
  guard let parameter = Parameter.allCases.first(where: { $0.name == name }) else { fatalError("no parameter \(name)") }
  let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
  for _ in 0..<5 {
    let start = now()
    _ = try checker.checkAll([parameter])
    print(String(format: "check of %@: %.3f s", name, now() - start))
  }
  exit(0)
}

// A warm-up before anything is measured: the first seconds of a process on this kind of
// virtual machine run slower (the scheduler is still placing the helper thread).
let warmUp = BPTTEngine(useSecondCore: true)
var warmGradients = try warmUp.gradients(of: model, on: data, loss: .softmax).gradients
let warmStart = now()
while now() - warmStart < 1.5 {
  _ = try warmUp.computeGradients(of: model, on: data, loss: .softmax, into: &warmGradients)
}

// Forward + BPTT.
let engine = BPTTEngine(useSecondCore: ProcessInfo.processInfo.environment["BENCH_ONE_CORE"] == nil)
var gradients = try engine.gradients(of: model, on: data, loss: .softmax).gradients
var sink = 0.0
// Kept apart from the helper's core for the whole measurement, as `train` does for its loop.
let (perIteration, iterations) = try engine.keepingCoresApart {
  try bestTime { sink += try engine.computeGradients(of: model, on: data, loss: .softmax, into: &gradients) }
}
let gflops = flopsPerPass(h: hidden, v: vocabulary, t: steps) / perIteration / 1e9
results["pass_seconds"] = perIteration
results["pass_gflops"] = gflops
print(
  String(
    format: "rnnstep forward+BPTT: %.1f µs/iteration (best of 7 rounds, %d iterations), %.2f GFLOP/s",
    perIteration * 1e6, iterations, gflops))
// BENCH_BRIEF=1: the pass's speed alone (make bench prints the portable build's this way).
if ProcessInfo.processInfo.environment["BENCH_BRIEF"] != nil { finish() }
if let reference = readReference() {
  print(
    String(
      format: "NumPy %@ forward+BPTT: %.1f µs/iteration (%d iterations)", reference.numpy,
      reference.seconds_per_iteration * 1e6, reference.iterations))
  print(
    String(
      format: "ratio forward+BPTT: rnnstep is %.1f× faster than NumPy (floor 8×)",
      reference.seconds_per_iteration / perIteration))
}

// Training: min-char-rnn's loop (chunks of T, hprev carried, clip ±5, Adagrad lr 0.1) on the
// same 65-character text as the NumPy reference builds.
let alphabet = (48..<(48 + vocabulary)).map { Character(Unicode.Scalar(UInt32($0))!) }
let text = (0..<20_000).map { alphabet[($0 * 7 + $0 / 13) % vocabulary] }
let chars = Array(Set(text)).sorted()
let index = Dictionary(uniqueKeysWithValues: chars.enumerated().map { ($1, $0) })
let trainingModel = try RNN(inputSize: chars.count, hiddenSize: hidden, outputSize: chars.count, seed: 3)
let trainer = try Trainer(
  model: trainingModel, stream: try TrainingStream(characters: text.map { index[$0]! }), loss: .softmax,
  sequenceLength: steps, optimizer: .adagrad(learningRate: 0.1, memory: nil), clipping: .value(5))
let (perUpdate, updates) = try trainer.keepingCoresApart { try bestTime { try trainer.step() } }
results["train_seconds"] = perUpdate
// BENCH_PARTS=1: where a training update's time goes (the optimiser alone, the pass alone).
if ProcessInfo.processInfo.environment["BENCH_PARTS"] != nil {
  var opt = Optimizer.adagrad(learningRate: 0.1, memory: nil)
  var params = trainingModel.parameters
  let grads = params.map { _ in 0.001 }
  let (perOpt, _) = bestTime { opt.update(&params, with: grads, clipping: .value(5)) }
  print(String(format: "  optimizer update alone: %.1f µs", perOpt * 1e6))
  let chunk = try TrainingStream(characters: text.map { index[$0]! }).chunk(from: 0, length: steps)
  var g = params
  let e = BPTTEngine(useSecondCore: true)
  var m = trainingModel
  let (perPass, _) = try bestTime { sink += try e.computeGradients(of: m, on: chunk, loss: .softmax, into: &g) }
  print(String(format: "  forward+BPTT on the training model: %.1f µs", perPass * 1e6))
  let (perBoth, _) = try bestTime {
    sink += try e.computeGradients(of: m, on: chunk, loss: .softmax, into: &g)
    opt.update(&m.parameters, with: g, clipping: .value(5))
  }
  print(String(format: "  forward+BPTT and update: %.1f µs", perBoth * 1e6))
}
print(
  String(
    format: "rnnstep train: %.1f µs/update (%d updates), %.0f updates/s, smoothed loss %.2f", perUpdate * 1e6, updates,
    1 / perUpdate, trainer.smoothLoss))
if let reference = readReference() {
  print(
    String(
      format: "NumPy min-char-rnn training: %.1f µs/update (%d updates)", reference.train_seconds_per_iteration * 1e6,
      reference.train_iterations))
  print(
    String(
      format: "ratio train: rnnstep runs %.1f× as many updates per second as NumPy (floor 8×)",
      reference.train_seconds_per_iteration / perUpdate))
}

// Forward alone: what each finite-difference evaluation costs.
let (perForward, _) = try bestTime { sink += try engine.loss(of: model, on: data, loss: .softmax) }
results["forward_seconds"] = perForward
print(String(format: "rnnstep forward alone: %.1f µs/iteration", perForward * 1e6))

// A full check of every parameter (BENCH_SKIP_CHECK=1 leaves it out, for profiling the pass).
if ProcessInfo.processInfo.environment["BENCH_SKIP_CHECK"] != nil { finish() }
let checkStart = now()
let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
let reports = try checker.checkAll()
let checkSeconds = now() - checkStart
results["check_seconds"] = checkSeconds
let elements = reports.reduce(0) { $0 + $1.checked }
// Elements whose first difference did not settle the verdict took two more (4 more passes).
let doubtful = reports.reduce(0) { $0 + $1.elements.count { $0.truncation > 0 } }
let evaluations = 2 * elements + 4 * doubtful
print(
  String(
    format:
      "full gradient check (with error bars): %d elements (%d needed the truncation estimate), %.2f s, %.0f forward passes/s, %@ (today's floor 1.24 s)",
    elements, doubtful, checkSeconds, Double(evaluations) / checkSeconds,
    reports.allSatisfy(\.passed) ? "all PASS" : "not all PASS"))
// BENCH_CHECK_PARTS=1: where the check's time goes, parameter by parameter.
if ProcessInfo.processInfo.environment["BENCH_CHECK_PARTS"] != nil {
  for parameter in Parameter.allCases {
    let start = now()
    _ = try checker.checkAll([parameter])
    print(
      String(
        format: "  check of %@ alone (%d elements): %.3f s", parameter.name, model.parameters[parameter].count,
        now() - start))
  }
}
// --exact: one forward-mode tangent pass per element on top (BENCH_SKIP_EXACT=1 leaves it out).
if ProcessInfo.processInfo.environment["BENCH_SKIP_EXACT"] != nil { finish() }
let exactStart = now()
let exactReports = try GradientChecker(
  model: model, data: data, lossKind: .softmax, settings: CheckSettings(exact: true)
).checkAll()
let exactSeconds = now() - exactStart
results["exact_check_seconds"] = exactSeconds
print(
  String(
    format: "full gradient check --exact: %.2f s (%.2f s more than without), %@", exactSeconds,
    exactSeconds - checkSeconds, exactReports.allSatisfy(\.passed) ? "all PASS" : "not all PASS"))
if sink.isNaN { print("unreachable") }
finish()
