import Foundation
import Testing

@testable import RNNCore

@Suite("Forward and BPTT engine")
struct EngineTests {
  @Test("the record satisfies every BPTT equation, step by step")
  func equationsHold() throws {
    let (model, data) = try randomProblem(
      seed: 31, hidden: 5, input: 4, output: 4, steps: 6, loss: .softmax, vectorInputs: false)
    let trace = try BPTTEngine().record(model: model, data: data, loss: .softmax)
    let p = model.parameters
    for t in 1...6 {
      let r = t - 1
      let x = Matrix(column: trace.xs.row(r))
      let a = try p.wxh.matmul(x).elementwise(p.whh.matmul(trace.h(t - 1)), +).elementwise(p.bh, +)
      #expect(largestRelativeDifference(trace.a.row(r), a.storage) < 1e-14)
      #expect(largestRelativeDifference(trace.h(t).storage, a.storage.map { Foundation.tanh($0) }) < 1e-14)
      let y = try p.why.matmul(trace.h(t)).elementwise(p.by, +)
      #expect(largestRelativeDifference(trace.ys.row(r), y.storage) < 1e-14)
      let dhNext = t < 6 ? trace.dhNext.row(r + 1) : Array(repeating: 0, count: 5)
      let dh = try p.why.transposed().matmul(Matrix(column: trace.dy.row(r))).elementwise(Matrix(column: dhNext), +)
      #expect(largestRelativeDifference(trace.dh.row(r), dh.storage) < 1e-14)
      let dhRaw = zip(trace.h(t).storage, trace.dh.row(r)).map { (1 - $0 * $0) * $1 }
      #expect(largestRelativeDifference(trace.dhRaw.row(r), dhRaw) < 1e-14)
      let next = try p.whh.transposed().matmul(Matrix(column: trace.dhRaw.row(r)))
      #expect(largestRelativeDifference(trace.dhNext.row(r), next.storage) < 1e-14)
    }
    // p_t sums to 1 and dy_t = p_t − onehot(target_t).
    guard case .indices(let targets) = data.targets else { return }
    for r in 0..<6 {
      #expect(abs(trace.ps!.row(r).reduce(0, +) - 1) < 1e-15)
      var dy = trace.ps!.row(r)
      dy[targets[r]] -= 1
      #expect(trace.dy.row(r) == dy)
    }
  }

  @Test("running totals: the step's contribution added to the total after the step above")
  func runningTotals() throws {
    for variant in [BPTTVariant.correct, .seed] {
      let (model, data) = try randomProblem(
        seed: 32, hidden: 4, input: 3, output: 3, steps: 5, loss: .squared, vectorInputs: true)
      let trace = try BPTTEngine().record(model: model, data: data, loss: .squared, variant: variant)
      let totals = try #require(trace.runningTotals)
      #expect(totals.count == 5)
      #expect(totals[0] == trace.gradients, "after t = 1 the totals are the gradients")
      for t in 1...5 {
        for parameter in Parameter.allCases {
          let above =
            t < 5 ? totals[t][parameter] : Matrix(rows: totals[0][parameter].rows, cols: totals[0][parameter].cols)
          let expected = try above.elementwise(trace.contribution(to: parameter, atStep: t), +)
          #expect(
            largestRelativeDifference(totals[t - 1][parameter].storage, expected.storage) < 1e-14,
            "\(variant) \(parameter) t=\(t)")
        }
      }
    }
  }

  @Test("a long pass keeps no running totals; they are summed when asked for")
  func longPass() throws {
    let (model, data) = try randomProblem(
      seed: 35, hidden: 20, input: 10, output: 10, steps: 800, loss: .softmax, vectorInputs: false, scale: 0.3)
    let trace = try BPTTEngine().record(model: model, data: data, loss: .softmax)
    #expect(trace.runningTotals == nil)
    // The sum of every step's contribution is the gradient, up to rounding.
    for p in Parameter.allCases {
      let summed = try (1...800).reduce(Matrix(rows: trace.gradients[p].rows, cols: trace.gradients[p].cols)) {
        try $0.elementwise(trace.contribution(to: p, atStep: $1), +)
      }
      #expect(largestRelativeDifference(summed.storage, trace.gradients[p].storage, floor: 1e-12) < 1e-9, "\(p)")
    }
  }

  @Test("a loss-only pass gives the loss of the full pass")
  func lossOnly() throws {
    let (model, data) = try randomProblem(
      seed: 33, hidden: 6, input: 5, output: 5, steps: 7, loss: .softmax, vectorInputs: false)
    let engine = BPTTEngine()
    let full = try engine.gradients(of: model, on: data, loss: .softmax)
    #expect(try engine.loss(of: model, on: data, loss: .softmax) == full.loss)
  }

  @Test("the softmax loss stays finite and exact for extreme outputs")
  func stableSoftmax() throws {
    var model = try RNN(inputSize: 2, hiddenSize: 1, outputSize: 3, seed: 1)
    model.parameters.why = Matrix(rows: 3, cols: 1, [0, 0, 0])
    model.parameters.by = Matrix(column: [800, 0, -800])
    let data = try SequenceData(inputs: .indices([0]), targets: .indices([1]))
    let loss = try BPTTEngine().loss(of: model, on: data, loss: .softmax)
    // L = log(e^800 + e^0 + e^-800) − 0 = 800 + log(1 + e^-800 + e^-1600) = 800 exactly in Double.
    #expect(loss == 800)
  }

  @Test("the chooser times one thread and two, and takes the faster until it times them again")
  func helperChooser() {
    for helperFaster in [true, false] {
      var chooser = HelperChooser()
      var used: [Bool] = []
      for _ in 0..<(2 * HelperChooser.period) {
        let helper = chooser.next()
        used.append(helper)
        chooser.record(helper == helperFaster ? 75 : 115, helper: helper)
      }
      let trials = HelperChooser.trials
      // Each period: trials with the helper, trials without, then the faster.
      for start in [0, HelperChooser.period] {
        #expect(used[start..<(start + trials)].allSatisfy { $0 })
        #expect(used[(start + trials)..<(start + 2 * trials)].allSatisfy { !$0 })
        #expect(used[(start + 2 * trials)..<(start + HelperChooser.period)].allSatisfy { $0 == helperFaster })
      }
    }
  }

  @Test(
    "a pass on two threads (the recurrences shared by columns, the rest by steps and rows) gives one thread's bits",
    arguments: [
      (11, 64, 65, 25, LossKind.softmax, false, BPTTVariant.correct), (12, 100, 65, 25, .softmax, false, .correct),
      (13, 100, 65, 25, .softmax, false, .seed), (14, 130, 7, 3, .softmax, false, .correct),
      (15, 97, 130, 1, .squared, true, .correct), (16, 200, 33, 2, .squared, false, .seed),
      (17, 66, 1, 9, .squared, true, .correct),
    ] as [(UInt64, Int, Int, Int, LossKind, Bool, BPTTVariant)])
  func twoThreads(
    seed: UInt64, hidden: Int, vocabulary: Int, steps: Int, loss: LossKind, vectorInputs: Bool, variant: BPTTVariant
  ) throws {
    let (model, data) = try randomProblem(
      seed: seed, hidden: hidden, input: vocabulary, output: vocabulary, steps: steps, loss: loss,
      vectorInputs: vectorInputs)
    let one = try BPTTEngine().gradients(of: model, on: data, loss: loss, variant: variant)
    // A new engine's first passes use the helper (the chooser tries it first).
    let engine = BPTTEngine(useSecondCore: true)
    var gradients = ParameterSet(inputSize: 1, hiddenSize: 1, outputSize: 1)
    for _ in 0..<2 {
      let loss = try engine.computeGradients(of: model, on: data, loss: loss, variant: variant, into: &gradients)
      if allowedCoreCount() > 1 { #expect(engine.helperInUse != nil, "the pass ran on one thread") }
      #expect(loss == one.loss)
      #expect(gradients == one.gradients)
    }
    #expect(Workspace.splitColumn(hidden: hidden) != nil)
  }

  @Test("below H = 64 a pass runs on one thread, and the update after it is not handed the helper")
  func smallModelOneThread() throws {
    let (model, data) = try randomProblem(
      seed: 18, hidden: 50, input: 65, output: 65, steps: 25, loss: .softmax, vectorInputs: false)
    let engine = BPTTEngine(useSecondCore: true)
    var gradients = ParameterSet(inputSize: 1, hiddenSize: 1, outputSize: 1)
    _ = try engine.computeGradients(of: model, on: data, loss: .softmax, into: &gradients)
    #expect(Workspace.splitColumn(hidden: 50) == nil)
    #expect(engine.helperInUse == nil)
  }

  @Test("one engine serves passes of different shapes")
  func reshaping() throws {
    let engine = BPTTEngine(useSecondCore: true)
    var gradients = ParameterSet(inputSize: 1, hiddenSize: 1, outputSize: 1)
    for (seed, h, t) in [(1, 3, 4), (2, 7, 9), (3, 3, 2)] as [(UInt64, Int, Int)] {
      let (model, data) = try randomProblem(
        seed: seed, hidden: h, input: 4, output: 4, steps: t, loss: .softmax, vectorInputs: false)
      _ = try engine.computeGradients(of: model, on: data, loss: .softmax, into: &gradients)
      #expect(gradients == (try BPTTEngine().gradients(of: model, on: data, loss: .softmax)).gradients)
    }
  }

  @Test(
    "a pass with one parameter element changed, computing only what it changes, gives a whole pass's bits",
    arguments: [
      (1, 3, 4, 5, LossKind.softmax, false), (2, 100, 65, 25, .softmax, false), (3, 40, 70, 9, .softmax, false),
      (4, 7, 5, 6, .squared, true), (5, 36, 37, 4, .squared, false),
    ] as [(UInt64, Int, Int, Int, LossKind, Bool)])
  func changedElement(
    seed: UInt64, hidden: Int, vocabulary: Int, steps: Int, loss: LossKind, vectorInputs: Bool
  ) throws {
    let (model, data) = try randomProblem(
      seed: seed, hidden: hidden, input: vocabulary, output: vocabulary, steps: steps, loss: loss,
      vectorInputs: vectorInputs)
    let trace = try BPTTEngine().record(model: model, data: data, loss: loss, keepRunningTotals: false)
    let engine = BPTTEngine()
    var rng = SeededGenerator(seed: seed)
    for parameter in Parameter.allCases {
      let count = model.parameters[parameter].count
      // Every element of small parameters; otherwise the first and last columns and a sample.
      let cols = model.parameters[parameter].cols
      var indices = count <= 200 ? Array(0..<count) : (0..<40).map { _ in rng.nextIndex(below: count) }
      if count > 200 { indices += [0, cols - 1, count - cols, count - 1] }
      for index in indices {
        let value = model.parameters[parameter, index] + (rng.nextIndex(below: 2) == 0 ? 1e-5 : -3e-3)
        var changed = model
        changed.parameters[parameter, index] = value
        let whole = try engine.stepLosses(of: changed, on: data, loss: loss)
        let part = engine.stepLosses(of: trace, changing: parameter, index: index, to: value)
        #expect(part.losses == whole.losses, "\(parameter)[\(index)]")
        #expect(part.scales == whole.scales, "\(parameter)[\(index)]")
      }
      // A change of Why or by large enough to move max y_t (or to take the max away from the
      // element that held it): the steps where that happens are computed another way.
      if parameter == .why || parameter == .by {
        for index in indices.prefix(12) {
          for shift in [30.0, -30.0] {
            var changed = model
            changed.parameters[parameter, index] += shift
            let whole = try engine.stepLosses(of: changed, on: data, loss: loss)
            let part = engine.stepLosses(
              of: trace, changing: parameter, index: index, to: changed.parameters[parameter, index])
            #expect(part.losses == whole.losses, "\(parameter)[\(index)] \(shift)")
            #expect(part.scales == whole.scales, "\(parameter)[\(index)] \(shift)")
          }
        }
      }
      // Whh's passes run together in batches: each pass's losses are its own whole pass's.
      if parameter == .whh {
        let batch = PerturbedBatch(trace: trace)
        for first in stride(from: 0, to: indices.count, by: PerturbedBatch.width) {
          let changes = indices[first..<min(first + PerturbedBatch.width, indices.count)].map {
            (index: $0, value: model.parameters.whh.storage[$0] * (1 + 1e-6) + 1e-5)
          }
          for (change, result) in zip(changes, batch.stepLosses(changes)) {
            var changed = model
            changed.parameters.whh.storage[change.index] = change.value
            let whole = try engine.stepLosses(of: changed, on: data, loss: loss)
            #expect(result.losses == whole.losses, "Whh[\(change.index)] in a batch of \(changes.count)")
            #expect(result.scales == whole.scales, "Whh[\(change.index)] in a batch of \(changes.count)")
          }
        }
      }
    }
  }

  @Test("a perturbation outside the pass is refused with where it is")
  func perturbationRange() throws {
    let (model, data) = try randomProblem(
      seed: 34, hidden: 3, input: 3, output: 3, steps: 4, loss: .softmax, vectorInputs: false)
    let engine = BPTTEngine()
    #expect(throws: RNNError.outOfRange("h[5] does not exist: t runs from 0 to 4 (0 is h0)")) {
      try engine.loss(of: model, on: data, loss: .softmax, perturbing: Perturbation(.h(t: 5), index: 0, delta: 1))
    }
    #expect(throws: RNNError.outOfRange("element 3 is outside 0 to 2")) {
      try engine.loss(of: model, on: data, loss: .softmax, perturbing: Perturbation(.a(t: 1), index: 3, delta: 1))
    }
  }
}
