import Testing

@testable import RNNCore

@Suite("Gradient checks")
struct GradientCheckTests {
  /// Shapes, seeds and both losses, with nonzero h0 and biases.
  static let problems: [(seed: UInt64, h: Int, vIn: Int, vOut: Int, t: Int, loss: LossKind, vectors: Bool)] = [
    (1, 3, 4, 4, 5, .softmax, false),
    (2, 5, 3, 2, 7, .squared, true),
    (3, 1, 2, 3, 1, .softmax, false),
    (4, 7, 6, 6, 12, .softmax, false),
    (5, 4, 5, 3, 4, .squared, false),
    (6, 9, 2, 4, 6, .squared, true),
    (7, 33, 10, 10, 8, .softmax, false),
    (8, 2, 1, 1, 3, .squared, true),
  ]

  @Test("Whh's batched check, ±2ε and ±ε/2 included, is element for element the check of each element alone")
  func batchedWhhIsEachElementAlone() throws {
    // H = 38 puts columns past the block of 32; ε = 1e-2 and the seed variant make many elements
    // need the truncation estimate (and fail), correct BPTT at ε = 1e-5 none.
    let (model, data) = try randomProblem(
      seed: 11, hidden: 38, input: 6, output: 5, steps: 6, loss: .softmax, vectorInputs: false)
    for (epsilon, variant) in [(1e-2, BPTTVariant.seed), (1e-5, .correct), (1e-2, .correct)] {
      let checker = try GradientChecker(
        model: model, data: data, lossKind: .softmax, variant: variant, settings: CheckSettings(epsilon: epsilon))
      let whole = try checker.checkAll([.whh])[0].elements
      #expect(whole.count == 38 * 38)
      let truncated = whole.filter { $0.truncation > 0 }.count
      if epsilon > 1e-3 { #expect(truncated > 100, "ε \(epsilon) \(variant): \(truncated) needed truncation") }
      for (index, element) in whole.enumerated() where index % 5 == 0 || element.truncation > 0 {
        #expect(element == checker.checkElement(.whh, index: index), "ε \(epsilon) \(variant): Whh element \(index)")
      }
    }
  }

  @Test("every element of every parameter: analytic equals numeric", arguments: problems.indices)
  func everyElement(_ i: Int) throws {
    let p = Self.problems[i]
    let (model, data) = try randomProblem(
      seed: p.seed, hidden: p.h, input: p.vIn, output: p.vOut, steps: p.t, loss: p.loss, vectorInputs: p.vectors)
    let checker = try GradientChecker(model: model, data: data, lossKind: p.loss)
    let reports = try checker.checkAll()
    #expect(reports.map(\.parameter) == Parameter.allCases)
    for report in reports {
      #expect(report.passed, "\(p): \(report.parameter) worst \(report.worst)")
      #expect(report.checked == model.parameters[report.parameter].count)
      // Where the gradient is not tiny, agreement is far inside the tolerance: central
      // differences with ε = 1e-5 on a loss near 50 carry about 1e-9 of truncation and rounding
      // (measured: 1.3e-9 on a gradient of 6.6e-3, 1.0e-7 relative).
      if abs(report.worst.analytic) > 1e-4 { #expect(report.worst.relativeError < 1e-6, "\(report.worst)") }
    }
  }

  @Test("one element: the numbers that make the verdict")
  func oneElement() throws {
    let (model, data) = try randomProblem(
      seed: 11, hidden: 4, input: 3, output: 3, steps: 5, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    let check = checker.checkElement(.whh, index: 1)
    var plus = model
    plus.parameters.whh[0, 1] += 1e-5
    var minus = model
    minus.parameters.whh[0, 1] -= 1e-5
    let engine = BPTTEngine()
    #expect(check.lossPlus == (try engine.loss(of: plus, on: data, loss: .softmax)))
    #expect(check.lossMinus == (try engine.loss(of: minus, on: data, loss: .softmax)))
    // The numeric derivative sums the steps' differences: Σ_t (L_t(θ+ε) − L_t(θ−ε)) / 2ε.
    let lp = try engine.stepLosses(of: plus, on: data, loss: .softmax).losses
    let lm = try engine.stepLosses(of: minus, on: data, loss: .softmax).losses
    #expect(check.numeric == zip(lp, lm).reduce(0) { $0 + ($1.0 - $1.1) } / 2e-5)
    #expect(check.verdict == .pass && check.exact == nil)
    // Its rounding error: 2u per unit of |L_t| + max|y_t| on both sides, over 2ε, and the hidden rounding.
    #expect(check.rounding > 0 && check.rounding < 1e-9)
    #expect(check.analytic == checker.trace.gradients.whh[0, 1])
    #expect(check.element == .parameter(.whh, row: 0, column: 1))
    #expect(check.relativeError == abs(check.analytic - check.numeric) / (abs(check.analytic) + abs(check.numeric)))
    #expect(check.passed)
    #expect(checker.element(.bh, 2) == .parameter(.bh, row: 2, column: 0))
  }

  @Test("relative error: 0/0 agrees, the formula otherwise")
  func relativeErrorFormula() {
    #expect(relativeError(0, 0) == 0)
    #expect(relativeError(1, 1) == 0)
    #expect(relativeError(1, 3) == 0.5)
    #expect(relativeError(-1, 1) == 1)
    #expect(relativeError(0, 1e-300) == 1)
  }

  @Test("the verdict: within the bar PASS, beyond it FAIL, a bar as wide as the values INCONCLUSIVE")
  func verdicts() {
    func judge(_ a: Double, _ n: Double, _ r: Double, _ t: Double = 0) -> (Verdict, VerdictReason) {
      ErrorBar.judge(analytic: a, numeric: n, rounding: r, truncation: t, tolerance: 1e-6)
    }
    let m = ErrorBar.margin
    #expect(judge(0, 0, 1) == (.pass, .bothZero))
    #expect(judge(1, 1 + 1e-7, 0) == (.pass, .withinTolerance))
    #expect(judge(1, 1 + 1e-5, 1.1e-5 / m) == (.pass, .withinErrorBar))
    let beyond = judge(1, 1 + 4e-5, 1e-5 / m)
    #expect(beyond.0 == .fail)
    if case .beyondErrorBar(let times) = beyond.1 { #expect(abs(times - 4) < 1e-6) } else { Issue.record("\(beyond)") }
    // A bar wider than half the values cannot tell.
    #expect(judge(1e-9, 2e-9, 1.5e-9 / m) == (.inconclusive, .belowRoundingNoise))
    #expect(judge(1e-3, 2e-3, 1e-5 / m, 1e-3 / m) == (.inconclusive, .truncationTooLarge))
    #expect(judge(.nan, 1, 0).0 == .inconclusive)
    // Rescaling the loss rescales a, n and the bar: the verdict stays.
    for scale in [1e-5, 1.0, 1e5] {
      #expect(judge(2 * scale, 2.001 * scale, 1e-4 * scale).0 == .fail)
      #expect(judge(2 * scale, 2.0001 * scale, 1e-4 * scale).0 == .pass)
    }
    #expect(ErrorBar.judgeExact(analytic: 1, exact: 1 + 1e-12, scale: 1) == (.pass, .exactAgrees))
    #expect(ErrorBar.judgeExact(analytic: 1, exact: 1 + 1e-6, scale: 1).0 == .fail)
    // A tiny element is judged against the array's scale: cancellation in its sums.
    #expect(ErrorBar.judgeExact(analytic: 1e-20, exact: 2e-20, scale: 1).0 == .pass)
  }

  @Test("a character absent from the input: zero gradients, no false alarm")
  func absentCharacter() throws {
    var model = try RNN(inputSize: 5, hiddenSize: 4, outputSize: 5, seed: 9, scale: 0.4)
    try model.setH0([0.1, -0.2, 0.3, 0])
    let data = try SequenceData(inputs: .indices([0, 1, 2, 1, 0]), targets: .indices([1, 2, 1, 0, 4]))
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    // Columns 3 and 4 of dWxh are exactly zero: no x_t has a 1 there.
    for row in 0..<4 {
      #expect(checker.trace.gradients.wxh[row, 3] == 0)
      #expect(checker.trace.gradients.wxh[row, 4] == 0)
    }
    let wxh = try checker.checkAll([.wxh])[0]
    #expect(wxh.passed, "\(wxh.worst)")
    let zero = checker.checkElement(.wxh, index: 3)
    #expect(zero.analytic == 0)
    #expect(abs(zero.numeric) < 1e-9)
    #expect(zero.passed)
  }

  @Test("sampled elements: seeded, distinct, reproducible")
  func sample() throws {
    let (model, data) = try randomProblem(
      seed: 12, hidden: 6, input: 5, output: 5, steps: 6, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    let a = try checker.checkSample(4, seed: 3)
    let b = try checker.checkSample(4, seed: 3)
    #expect(a == b)
    #expect(a.map(\.checked) == [4, 4, 4, 4, 4])
    #expect(a.allSatisfy { $0.passed })
    // More than a parameter has: all of it.
    #expect(try checker.checkSample(1000, seed: 1, parameters: [.by])[0].checked == 5)
  }

  @Test("directional check along a seeded unit direction")
  func direction() throws {
    for loss in LossKind.allCases {
      let (model, data) = try randomProblem(
        seed: 13, hidden: 5, input: 4, output: 4, steps: 6, loss: loss, vectorInputs: loss == .squared)
      let checker = try GradientChecker(model: model, data: data, lossKind: loss)
      let d = checker.checkDirection(seed: 7)
      #expect(d.check.passed, "\(loss): \(d.check)")
      #expect(d.check.relativeError < 1e-8)
      #expect(checker.checkDirection(seed: 7) == d)
      #expect(checker.checkDirection(seed: 8).check.analytic != d.check.analytic)
    }
  }

  @Test("dh, dh_raw and dh_next of every step, by perturbing the forward pass")
  func intermediates() throws {
    let (model, data) = try randomProblem(
      seed: 14, hidden: 4, input: 3, output: 3, steps: 5, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    for t in 1...5 {
      for quantity in [IntermediateQuantity.dh(t: t), .dhRaw(t: t), .dhNext(t: t)] {
        let checks = try checker.checkIntermediate(quantity)
        #expect(checks.count == 4)
        #expect(checks.allSatisfy { $0.passed }, "\(quantity): \(checks.filter { !$0.passed })")
      }
    }
    #expect(try checker.checkIntermediate(.dhRaw(t: 2))[1].element == .intermediate(.dhRaw(t: 2), index: 1))
    #expect(throws: RNNError.self) { try checker.checkIntermediate(.dh(t: 6)) }
    #expect(throws: RNNError.self) { try checker.checkIntermediate(.dhNext(t: 0)) }
  }

  @Test("ε sweep: the error falls, then rounding makes it rise again")
  func epsilonSweep() throws {
    let (model, data) = try randomProblem(
      seed: 15, hidden: 4, input: 3, output: 3, steps: 6, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    let sweep = try checker.sweep(.whh, index: 5)
    #expect(sweep.map(\.epsilon) == [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10])
    let errors = sweep.map(\.relativeError)
    let best = errors.indices.min { errors[$0] < errors[$1] }!
    #expect((3...6).contains(best), "smallest error at ε = \(sweep[best].epsilon): \(errors)")
    #expect(errors[0] > 100 * errors[best])
    #expect(errors[9] > 100 * errors[best])
  }

  @Test("a cancelled full check stops and says how far it got")
  func cancellation() throws {
    let (model, data) = try randomProblem(
      seed: 16, hidden: 6, input: 4, output: 4, steps: 4, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    let flag = CancellationFlag()
    flag.cancel()
    #expect(throws: Cancelled.self) { try checker.checkAll(cancellation: flag) }
    flag.reset()
    #expect(try checker.checkAll(cancellation: flag).allSatisfy { $0.passed })
  }
}

@Suite("The seed tutorial's backward")
struct SeedVariantTests {
  @Test("fails the check on exactly Wxh, Whh, Why and bh", arguments: [LossKind.softmax, .squared])
  func failsWhereItIsWrong(_ loss: LossKind) throws {
    let (model, data) = try randomProblem(
      seed: 21, hidden: 4, input: 3, output: 3, steps: 5, loss: loss, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: loss, variant: .seed)
    let verdicts = try checker.checkAll().map { ($0.parameter, $0.passed) }
    // dby uses only dy_t, which the tutorial computes right; every other gradient goes through
    // h_T standing for h_t (dWhy, and tanh' in dh_raw) or h_0 standing for h_{t-1} (dWhh).
    for (parameter, passed) in verdicts {
      #expect(passed == (parameter == .by), "\(parameter)")
    }
  }

  @Test("with one step the mistakes vanish: h_T is h_1 and h_0 is h_0")
  func oneStep() throws {
    let (model, data) = try randomProblem(
      seed: 22, hidden: 4, input: 3, output: 3, steps: 1, loss: .softmax, vectorInputs: false)
    let seed = try BPTTEngine().gradients(of: model, on: data, loss: .softmax, variant: .seed)
    let correct = try BPTTEngine().gradients(of: model, on: data, loss: .softmax)
    #expect(seed.gradients == correct.gradients)
  }

  @Test("the last step backward is right; the step before it is where dh_raw goes wrong")
  func whereItGoesWrong() throws {
    let (model, data) = try randomProblem(
      seed: 23, hidden: 4, input: 3, output: 3, steps: 4, loss: .softmax, vectorInputs: false)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax, variant: .seed)
    #expect(try checker.checkIntermediate(.dh(t: 4)).allSatisfy { $0.passed })
    #expect(try checker.checkIntermediate(.dhRaw(t: 4)).allSatisfy { $0.passed })
    #expect(try checker.checkIntermediate(.dhRaw(t: 3)).contains { !$0.passed })
  }

  @Test("what one step adds: every contribution of correct BPTT passes; the seed's dWhh_t fails where h_0 stands in")
  func contributions() throws {
    let (model, data) = try randomProblem(
      seed: 21, hidden: 3, input: 4, output: 4, steps: 4, loss: .softmax, vectorInputs: false)
    let correct = try GradientChecker(model: model, data: data, lossKind: .softmax)
    for parameter in Parameter.allCases {
      for t in 1...4 {
        let check = try correct.checkContribution(parameter, t: t)
        #expect(check.verdict == .pass, "\(parameter.gradientName)_t[\(t)]: \(check.worst)")
        #expect(check.checked == model.parameters[parameter].count)
      }
    }
    // The contributions sum to the gradient: checking them checks the sum over time term by term.
    let seed = try GradientChecker(model: model, data: data, lossKind: .softmax, variant: .seed)
    for t in 2...4 { #expect(try seed.checkContribution(.whh, t: t).verdict == .fail) }
    #expect(try seed.checkContribution(.why, t: 4).verdict == .pass)  // h_T is h_t at t = T
    #expect(try seed.checkContribution(.why, t: 2).verdict == .fail)
    #expect(throws: RNNError.self) { try seed.checkContribution(.whh, t: 5) }
  }

  @Test("a sample draws elements that can judge: never a column of a character that does not occur")
  func sampleSkipsZeros() throws {
    let model = try RNN(inputSize: 6, hiddenSize: 5, outputSize: 6, seed: 3, scale: 0.3)
    // Characters 4 and 5 never occur as inputs: their columns of dWxh are exactly 0.
    let data = try SequenceData(inputs: .indices([0, 1, 2, 3, 1, 2]), targets: .indices([1, 2, 3, 1, 2, 5]))
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    for seed in 1...20 as ClosedRange<UInt64> {
      let wxh = try checker.checkSample(3, seed: seed, parameters: [.wxh])[0]
      #expect(wxh.elements.allSatisfy { $0.analytic != 0 && $0.verdict == .pass })
    }
    // With fewer nonzero elements than asked for, the zeros come after them, and agree as 0 = 0.
    let all = try checker.checkSample(30, seed: 1, parameters: [.wxh])[0]
    #expect(all.checked == 30 && all.verdict == .pass)
    #expect(all.elements.filter { $0.reason == .bothZero }.count == 10)
  }

  @Test("the exact derivative of intermediate quantities and directions agrees with BPTT")
  func exactIntermediates() throws {
    let (model, data) = try randomProblem(
      seed: 31, hidden: 4, input: 3, output: 3, steps: 5, loss: .squared, vectorInputs: true)
    let checker = try GradientChecker(
      model: model, data: data, lossKind: .squared, settings: CheckSettings(exact: true))
    for t in 1...5 {
      for q in [IntermediateQuantity.dy(t: t), .dh(t: t), .dhRaw(t: t), .dhNext(t: t)] {
        let checks = try checker.checkIntermediate(q)
        #expect(checks.allSatisfy { $0.verdict == .pass && $0.reason == .exactAgrees }, "\(q)")
      }
    }
    #expect(checker.checkDirection(seed: 3).check.reason == .exactAgrees)
  }
}
