import Foundation
import RNNCore
import Testing

@testable import Interpreter

/// The backward pass as equations: the correct set gives the engine's numbers, a learner's
/// replacement is used everywhere, and every mystery is found by blame.
@Suite("Backward equations")
struct EquationTests {
  /// max |a − b| over the largest |b|: a relative difference of whole arrays.
  func difference(_ a: Matrix, _ b: Matrix) -> Double {
    let scale = max(b.maxAbs, Double.leastNormalMagnitude)
    return zip(a.storage, b.storage).reduce(0.0) { max($0, abs($1.0 - $1.1)) } / scale
  }

  @Test(
    "the correct and the seed's equations, evaluated, give the engine's numbers: the same bits for dy, dh, dh_raw and dh_next",
    arguments: [
      (3, 4, 4, LossKind.softmax), (8, 5, 12, .squared), (30, 20, 25, .softmax), (100, 65, 25, .softmax),
    ])
  func engineAgrees(h: Int, v: Int, t: Int, loss: LossKind) throws {
    var rng = SeededGenerator(seed: UInt64(h * t))
    var model = try RNN(inputSize: v, hiddenSize: h, outputSize: v, seed: 5, scale: 0.3)
    try model.setH0((0..<h).map { _ in rng.nextUniform() - 0.5 })
    let data = try SequenceData(
      inputs: .indices((0..<t).map { _ in rng.nextIndex(below: v) }),
      targets: .indices((0..<t).map { _ in rng.nextIndex(below: v) }))
    for variant in [BPTTVariant.correct, .seed] {
      let engine = try BPTTEngine().record(model: model, data: data, loss: loss, variant: variant)
      let equations = try BackwardEquations.builtIn(variant, loss).record(over: engine, variant: .equations)
      // A matrix times a vector is computed as the engine computes it: the same bits.
      for (a, b) in [
        (equations.dy, engine.dy), (equations.dh, engine.dh), (equations.dhRaw, engine.dhRaw),
        (equations.dhNext, engine.dhNext),
      ] {
        #expect(a == b, "\(variant)")
      }
      // A gradient sums each step's rounded contribution, where the engine sums the products
      // with fused multiply-adds: within 1e-15 of the largest element.
      for p in Parameter.allCases {
        #expect(difference(equations.gradients[p], engine.gradients[p]) <= 1e-15, "\(variant) \(p)")
      }
    }
  }

  @Test("let replaces one equation everywhere; a failing one is refused and changes nothing; bptt correct restores")
  func letEquations() {
    let i = Interpreter()
    let wrong = i.execute("let dh_raw = dh @ h")
    #expect(wrong.error?.hasPrefix("your dh_raw equation fails at t=4: cannot multiply 3×1 and 3×1") == true)
    #expect(i.session.variant == .correct && i.session.equations.isEmpty)
    #expect(i.execute("let dh_rawr = dh").error?.hasPrefix("'dh_rawr' is not an equation") == true)
    // The same equation written another way: every check passes.
    #expect(i.execute("let dh_raw = (1 - h**2) * dh").error == nil)
    #expect(i.session.variant == .equations)
    #expect(!i.execute("gradcheck").failedCheck && !i.execute("blame").failedCheck)
    #expect(i.execute("bptt show").lines.contains("  dh_raw  =  (1 - h**2) * dh   (yours)"))
    // A learner's mistake: blame names it, and it is the learner's own equation that a stop shows.
    i.execute("let dh_raw = (1 - a*a) * dh")
    let blame = i.execute("blame")
    #expect(blame.failedCheck && blame.lines.last! == "first wrong: dh_raw[4]; dh[4] just before it is right")
    #expect(i.execute("until backward t=4 dh_raw").lines.contains { $0.contains("dh_raw = (1 - a*a) * dh   (yours)") })
    #expect(i.execute("train 1").error?.hasPrefix("train runs the engine's backward") == true)
    #expect(
      i.execute("bptt correct").lines.first
        == "bptt correct: min-char-rnn's backward, each step with its own h[t] and h[t-1] (your equations are dropped)")
    #expect(i.session.variant == .correct && i.session.equations.isEmpty && !i.execute("gradcheck").failedCheck)
  }

  @Test("print recomputes the engine's dh and dh_next exactly: the differences are zeros, not rounding noise")
  func printRecomputesExactly() throws {
    let i = Interpreter()
    i.execute("new 20 seed 3 scale 0.5; text hellohellohello; last")
    for t in 1..<i.trace!.steps {
      let dh = try i.evaluate("dh[\(t)] - (Why.T @ dy[\(t)] + dh_next[\(t + 1)])")
      let next = try i.evaluate("dh_next[\(t)] - Whh.T @ dh_raw[\(t)]")
      #expect(dh.storage.allSatisfy { $0 == 0 } && next.storage.allSatisfy { $0 == 0 }, "t = \(t)")
    }
  }

  @Test("explain under your equations names the equation in force and its value; under a mystery it refuses")
  func explainUnderEquations() throws {
    let i = Interpreter()
    i.execute("let dh_raw = (1 - h*h) * dh; last")
    let value = try i.number("dh_raw[3][0]")
    let lines = i.execute("explain dh_raw[3][0]").lines
    #expect(lines.first == "dh_raw[3][0] = \(i.style.number(value)), element 0 of dh_raw = (1 - h*h) * dh at t = 3")
    #expect(lines.last!.hasPrefix("  (your equation:"))
    // min-char-rnn's own dh, beside the learner's dh_raw, is spelled out as usual.
    #expect(i.execute("explain dh[3][1]").lines.first!.hasPrefix("dh[3][1] = Σ_k Why[k,1]·dy[3][k] + dh_next[4][1]"))
    i.execute("bptt mystery 3; last")
    #expect(i.execute("explain dh_next[3][0]").error?.contains("under bptt mystery they are hidden") == true)
  }

  @Test("ten consecutive seeds give every mystery once; bptt mystery without a seed gives the next one")
  func mysterySeeds() throws {
    let count = Mystery.catalogue(.softmax).count
    #expect(Set(Mystery.seedOrder) == Set(0..<count) && Mystery.seedOrder.count == count)
    for first in [0, 7, 123] as [UInt64] {
      let found = Set((first..<(first + UInt64(count))).map { Mystery.index(seed: $0, loss: .softmax) })
      #expect(found.count == count, "seeds \(first)…")
    }
    // The tutorial's two mistakes come last: a first mystery is not lesson 8's bug again.
    #expect(Mystery.index(seed: 1, loss: .softmax) > 1 && Mystery.index(seed: 0, loss: .softmax) > 1)
    let i = Interpreter()
    var seen: [Int] = []
    for _ in 0..<3 {
      #expect(i.execute("bptt mystery").error == nil)
      seen.append(i.session.mystery!)
    }
    #expect(Set(seen).count == 3 && i.execute("bptt mystery").lines.first!.hasPrefix("bptt mystery (seed 4)"))
  }

  @Test("every mystery is found: blame names a quantity its wrong equation computes, and guess knows it")
  func mysteries() throws {
    let catalogue = Mystery.catalogue(.softmax)
    #expect(catalogue.count >= 8)
    let names: [String: String] = [
      "dy": "dy", "dWhy": "dWhy_t", "dby": "dby_t", "dh": "dh", "dh_raw": "dh_raw", "dbh": "dbh_t", "dWxh": "dWxh_t",
      "dWhh": "dWhh_t", "dh_next": "dh_next",
    ]
    for index in catalogue.indices {
      let i = Interpreter()
      i.execute("new 6 seed 4 scale 0.5; text hellohello; h0 0.1 -0.2 0.3 0.05 0.4 -0.3")
      i.execute("bptt mystery")
      i.session.mystery = index
      let shown = i.execute("bptt show").lines.joined(separator: "\n")
      #expect(!shown.contains(catalogue[index].story) && !shown.contains("+="), "bptt show gives mystery \(index) away")
      #expect(i.execute("gradcheck").failedCheck, "mystery \(index): \(catalogue[index].story)")
      let blame = i.execute("blame --exact")
      let first = blame.lines.last!
      let blamed = catalogue[index].changes.keys.contains { first.hasPrefix("first wrong: \(names[$0]!)[") }
      #expect(blamed, "mystery \(index) (\(catalogue[index].changes.keys.sorted())): \(first)")
      // Neither blame nor a stop's header gives the right equation away.
      #expect(!first.contains("it should be"), "mystery \(index): \(first)")
      let header = i.execute("until backward t=3 dh_raw").lines.first { $0.hasPrefix("backward t=3/") }
      #expect(
        header?.hasSuffix("dh_raw: the equation is hidden (bptt mystery)") == true, "\(String(describing: header))")
      // Either equation of a two-equation mistake finds it. The count says how it was found (a
      // guess after a wrong one is not the first), and guesses after that count for nothing.
      let innocent = BackwardEquations.names.first { catalogue[index].changes[$0] == nil }!
      for name in catalogue[index].changes.keys.sorted() {
        i.execute("bptt mystery")
        i.session.mystery = index
        #expect(i.execute("bptt guess \(innocent)").lines[0].hasPrefix("not \(innocent) (guess 1)"))
        let right = i.execute("bptt guess \(name)").lines[0]
        #expect(right.hasPrefix("right: \(name) is wrong") && right.contains("found at guess 2"), "\(right)")
        #expect(i.execute("bptt guess \(innocent)").lines[0].hasPrefix("already found at guess 2: "))
        #expect(!i.execute("bptt").lines[0].contains("bptt show"))
      }
    }
  }

  @Test("a mystery whose backward pass cannot be computed does not name its equation")
  func mysteryFailureHidden() {
    // (1 − a²) · dh grows without bound where a is large: mystery 0's tanh derivative of a.
    let text = String(repeating: "hello", count: 30)
    let error = run("new 6 scale 30; text \(text); bptt mystery 0; gradcheck").error ?? ""
    #expect(error.hasPrefix("the mystery's backward pass fails at t="), "\(error)")
    #expect(!error.contains("dh_raw") && !error.contains("your"), "\(error)")
  }

  @Test("equations: a gradient's total on the right is refused; dh_next[T+1] is what nothing sends back, zeros")
  func equationNames() throws {
    #expect(
      run("let dby = dby + dy").error
        == "your dby equation fails at t=4: dby cannot be on the right: an equation gives what step t adds to dby, "
        + "and rnnstep sums the steps (write the step's part alone)")
    // Lesson 6's notation: dh_next[t+1] is what step t+1 sent back; past the last step, nothing.
    let i = Interpreter()
    #expect(try i.equationAgrees("dh", "Why.T @ dy + dh_next[t+1]", reference: "Why.T @ dy + dh_next"))
    #expect(run("let dWhh = dh_raw @ hprev.T").error?.contains("the one before step t is h[t-1]") == true)
  }
}
