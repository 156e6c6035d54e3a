import Foundation
import RNNCore
import Stepper

extension Interpreter {
  /// `explain ELEMENT`: how one number was computed, with its inputs substituted.
  func explain(_ args: Arguments) throws {
    let text = args.raw
    guard !text.isEmpty else { throw args.usageError() }
    let (trace, cursor) = try requireTrace()
    let snapshot = Snapshot(trace: trace, cursor: cursor)
    // Errors count their column in the command as typed, as print's do.
    func located<T>(_ body: () throws -> T) throws -> T {
      do { return try body() } catch var error as ExpressionError {
        error.text = text
        throw error
      }
    }
    let expression = try located { try ExpressionParser.parse(text) }
    func whole(_ e: Expression) throws -> Int {
      guard case .number(let x) = e, x == x.rounded(), x >= 0, x < 1e9 else {
        throw CommandError("explain needs whole-number indices, as in h[1][0]")
      }
      return Int(x)
    }
    // Make sure the value exists at the cursor (the evaluator says where it is computed if not).
    let value = try located { try evaluate(expression) }
    guard value.count == 1 else {
      throw CommandError("explain takes one element, e.g. \(text)[0]; \(text) is \(value.shapeDescription)")
    }
    let n = style.number
    switch expression {
    case .index(.index(.name(let name, _), let tIndex, _), let iIndex, _) where tIndex.count == 1 && iIndex.count == 1:
      guard let quantity = StepQuantity(rawValue: name) else {
        // A matrix's element written as two indexings: say how to write it.
        if case .number(let r) = tIndex[0], case .number(let c) = iIndex[0],
          Parameter.allCases.contains(where: { $0.gradientName == name || $0.name == name })
        {
          throw CommandError("\(name) is a matrix: write its element as \(name)[\(Int(r)),\(Int(c))]")
        }
        throw CommandError("explain knows a x h y p loss dy dh dh_raw dh_next and the gradients")
      }
      // h[0] is h0, the state the pass starts from: given, not computed.
      if quantity == .h, case .number(0) = tIndex[0] {
        let i = try whole(iIndex[0])
        say("\(text) = h0[\(i)] = \(n(value.storage[0])): the initial state (min-char-rnn's hprev), not computed")
        return
      }
      try explainStep(quantity, t: whole(tIndex[0]), i: whole(iIndex[0]), snapshot)
    case .index(.name("loss", _), let tIndex, _) where tIndex.count == 1:
      try explainStep(.loss, t: whole(tIndex[0]), i: 0, snapshot)
    case .index(.name(let name, _), let indices, _):
      if let parameter = Parameter.allCases.first(where: { $0.gradientName == name }) {
        let m = trace.gradients[parameter]
        let (i, j) = indices.count == 2 ? (try whole(indices[0]), try whole(indices[1])) : (try whole(indices[0]), 0)
        try explainGradient(parameter, row: i, column: j, flat: i * m.cols + j, snapshot)
      } else if Parameter.allCases.contains(where: { $0.name == name }) || name == "h0" {
        say(
          "\(text) = \(n(value.storage[0])): a parameter, not computed from anything"
            + (name == "h0" ? " (the initial state)" : "; training changes it"))
      } else if let quantity = StepQuantity(rawValue: name), let t = cursor.position?.t {
        try explainStep(quantity, t: t, i: whole(indices[0]), snapshot)
      } else {
        throw CommandError("explain needs a time step for \(name): e.g. \(name)[1][0]")
      }
    case .name("loss", _):
      let terms = trace.losses.indices.map { "loss[\($0 + 1)]" }.joined(separator: " + ")
      say("loss = \(terms)")
      say("     = " + trace.losses.map(n).joined(separator: " + ") + " = \(n(trace.loss))")
    default:
      throw CommandError("explain takes one element, like h[1][0], loss[2] or dWhh[0,1]")
    }
  }

  /// A number as a factor in a formula: negative ones in parentheses, (−0.5)×2.
  private func factor(_ x: Double) -> String {
    x < 0 ? "(\(style.number(x)))" : style.number(x)
  }

  /// "a×b + c×d + …", eliding the middle of long sums.
  private func products(_ pairs: [(Double, Double)]) -> String {
    let n = factor
    let shown = pairs.map { "\(n($0.0))×\(n($0.1))" }
    if shown.count <= 8 { return shown.joined(separator: " + ") }
    return shown.prefix(3).joined(separator: " + ") + " + … + " + shown.suffix(2).joined(separator: " + ")
      + " (\(shown.count) terms)"
  }

  private func explainStep(_ q: StepQuantity, t: Int, i: Int, _ s: Snapshot) throws {
    let n = style.number
    let trace = s.trace
    let p = session.model.parameters
    let v = { (q: StepQuantity, t: Int) in try s.value(q, t: t) }
    let size = try v(q, t).count
    guard i >= 0 && i < size else { throw CommandError("\(q.rawValue)[\(t)] has elements 0 to \(size - 1)") }
    if !trace.variant.isBuiltIn, [.dy, .dh, .dhRaw, .dhNext].contains(q) {
      guard trace.variant == .equations,
        let name = [StepQuantity.dy: "dy", .dh: "dh", .dhRaw: "dh_raw", .dhNext: "dh_next"][q]
      else {
        throw CommandError(
          "explain spells out the built-in equations; under bptt mystery they are hidden: print evaluates any "
            + "expression over the pass, such as the parts of an equation at a step")
      }
      let mine = session.equations[name] != nil
      // min-char-rnn's own equation, beside the learner's others: spelled out as usual below.
      if mine || session.equationBase != .correct {
        // The equation in force, with its value: the parts are the learner's to print.
        let text = equationsInForce.text[name]!
        say("\(q.rawValue)[\(t)][\(i)] = \(n(try v(q, t).storage[i])), element \(i) of \(name) = \(text) at t = \(t)")
        say(
          "  (\(mine ? "your equation" : "the tutorial's equation, beside yours"): explain spells out only "
            + "min-char-rnn's equations; print evaluates the parts of this one for step \(t), as h[\(t)] or dh[\(t)])")
        return
      }
    }
    let r = t - 1
    let label = q == .loss ? "loss[\(t)]" : "\(q.rawValue)[\(t)][\(i)]"
    switch q {
    case .x:
      say("\(label) = \(n(try v(.x, t).storage[i])): input data, given")
    case .a:
      let hPrev = try v(.h, t - 1).storage
      let recurrent = (0..<session.model.hiddenSize).map { (p.whh[i, $0], hPrev[$0]) }
      let input: String
      let inputValue: Double
      switch trace.data.inputs {
      case .indices(let indices):
        inputValue = p.wxh[i, indices[r]]
        input = "Wxh[\(i),\(indices[r])]"
        say(
          "\(label) = Wxh[\(i),:]·x[\(t)] + Whh[\(i),:]·h[\(t - 1)] + bh[\(i)]     (x[\(t)] is one-hot at \(symbol(indices[r])), so Wxh[\(i),:]·x[\(t)] = \(input))"
        )
      case .vectors:
        let x = try v(.x, t).storage
        inputValue = zip(p.wxh.row(i), x).reduce(0) { $0 + $1.0 * $1.1 }
        input = "(\(products(Array(zip(p.wxh.row(i), x)))))"
        say("\(label) = Wxh[\(i),:]·x[\(t)] + Whh[\(i),:]·h[\(t - 1)] + bh[\(i)]")
      }
      say("  = \(n(inputValue)) + (\(products(recurrent))) + \(factor(p.bh.storage[i]))")
      say(
        "  = \(n(inputValue)) + \(factor(recurrent.reduce(0) { $0 + $1.0 * $1.1 })) + \(factor(p.bh.storage[i]))")
      say("  = \(n(try v(.a, t).storage[i]))")
    case .h:
      say("\(label) = tanh(a[\(t)][\(i)]) = tanh(\(n(try v(.a, t).storage[i]))) = \(n(try v(.h, t).storage[i]))")
    case .y:
      let h = try v(.h, t).storage
      let pairs = (0..<session.model.hiddenSize).map { (p.why[i, $0], h[$0]) }
      say("\(label) = Why[\(i),:]·h[\(t)] + by[\(i)]")
      say("  = (\(products(pairs))) + \(n(p.by.storage[i]))")
      say("  = \(n(try v(.y, t).storage[i]))")
    case .p:
      let y = try v(.y, t).storage
      let (shift, exps, sum) = VectorMath.softmaxParts(y)
      let p = try v(.p, t).storage[i]
      if shift == 0 {
        say("\(label) = exp(y[\(t)][\(i)]) / Σ_k exp(y[\(t)][k])")
        say("  = exp(\(n(y[i]))) / \(n(sum)) = \(n(exps[i])) / \(n(sum)) = \(n(p))")
      } else {
        say(
          "\(label) = exp(y[\(t)][\(i)]) / Σ_k exp(y[\(t)][k])   (computed as exp(y − max y) / Σ exp(y − max y): exp(y) itself would leave the range of a Double)"
        )
        say("  = exp(\(n(y[i])) − \(factor(shift))) / \(n(sum)) = \(n(exps[i])) / \(n(sum)) = \(n(p))")
      }
    case .loss:
      switch trace.data.targets {
      case .indices(let targets) where session.loss == .softmax:
        let pt = try v(.p, t).storage[targets[r]]
        say("\(label) = -log p[\(t)][\(targets[r])]   (the target at t=\(t) is \(symbol(targets[r])))")
        say("  = -log(\(n(pt))) = \(n(trace.losses[r]))")
      default:
        let y = try v(.y, t).storage
        let target = trace.targetVector(r).storage
        let terms = zip(y, target).map { "(\(n($0)) − \(factor($1)))²" }
        say("\(label) = 1/2 Σ_k (y[\(t)][k] − target[\(t)][k])²")
        say(
          "  = 1/2 (\(terms.count <= 8 ? terms.joined(separator: " + ") : "\(terms.count) terms")) = \(n(trace.losses[r]))"
        )
      }
    case .dy:
      let dy = try v(.dy, t).storage[i]
      if session.loss == .softmax, case .indices(let targets) = trace.data.targets {
        say(
          "\(label) = p[\(t)][\(i)] − \(i == targets[r] ? "1   (\(i) is the target)" : "0   (\(i) is not the target \(targets[r]))")"
        )
        say("  = \(n(trace.ps![r, i])) − \(i == targets[r] ? 1 : 0) = \(n(dy))")
      } else {
        say(
          "\(label) = y[\(t)][\(i)] − target[\(t)][\(i)] = \(n(trace.ys[r, i])) − \(factor(trace.targetVector(r).storage[i])) = \(n(dy))"
        )
      }
    case .dh:
      let dy = try v(.dy, t).storage
      let pairs = (0..<session.model.outputSize).map { (p.why[$0, i], dy[$0]) }
      let next = t < trace.steps ? trace.dhNext[t, i] : 0
      say(
        t == trace.steps
          ? "\(label) = Σ_k Why[k,\(i)]·dy[\(t)][k] + 0   (no dh_next: t = T is the last step)"
          : "\(label) = Σ_k Why[k,\(i)]·dy[\(t)][k] + dh_next[\(t + 1)][\(i)]   (dh_next from step \(t + 1))"
      )
      say("  = (\(products(pairs))) + \(n(next))")
      say("  = \(n(try v(.dh, t).storage[i]))")
    case .dhRaw:
      let hUsed = trace.hUsed(atStep: t).storage[i]
      let dh = try v(.dh, t).storage[i]
      let used = session.variant == .correct ? t : trace.steps
      let note = "(tanh'(a) = 1 − tanh(a)²)"
      say("\(label) = (1 − h[\(used)][\(i)]²)·dh[\(t)][\(i)]   \(note)")
      say(
        "  = (1 − \(factor(hUsed))²)·\(factor(dh)) = \(n(1 - hUsed * hUsed))·\(factor(dh)) = \(n(try v(.dhRaw, t).storage[i]))"
      )
    case .dhNext:
      let raw = try v(.dhRaw, t).storage
      let pairs = (0..<session.model.hiddenSize).map { (p.whh[$0, i], raw[$0]) }
      say("\(label) = Σ_j Whh[j,\(i)]·dh_raw[\(t)][j]   (what step \(t) sends back to h[\(t - 1)])")
      say("  = \(products(pairs))")
      say("  = \(n(try v(.dhNext, t).storage[i]))")
    }
  }

  private func explainGradient(_ parameter: Parameter, row i: Int, column j: Int, flat: Int, _ s: Snapshot) throws {
    let n = style.number
    let trace = s.trace
    guard trace.variant.isBuiltIn else {
      throw CommandError(
        "explain spells out the built-in equations; under bptt \(trace.variant.rawValue), print \(parameter.gradientName)_t[t] "
          + "shows what each step added")
    }
    let m = trace.gradients[parameter]
    guard i < m.rows && j < m.cols else { throw CommandError("\(parameter.gradientName) is \(m.shapeDescription)") }
    let label = m.cols == 1 ? "\(parameter.gradientName)[\(i)]" : "\(parameter.gradientName)[\(i),\(j)]"
    let general: String =
      switch parameter {
      case .why: "Σ_t dy[t][\(i)]·h[t][\(j)]"
      case .by: "Σ_t dy[t][\(i)]"
      case .wxh: "Σ_t dh_raw[t][\(i)]·x[t][\(j)]"
      case .whh: "Σ_t dh_raw[t][\(i)]·h[t-1][\(j)]"
      case .bh: "Σ_t dh_raw[t][\(i)]"
      }
    say("\(label) = \(general)   (BPTT adds one term per step, from t=\(trace.steps) down to t=1)")
    let added = s.stepsAdded(to: parameter)
    guard !added.isEmpty else {
      say("  = 0 so far: the cursor has not reached \(s.equationUpdating(parameter).rawValue) at t=\(trace.steps)")
      return
    }
    var terms: [String] = []
    for t in added {
      let r = t - 1
      switch parameter {
      case .why:
        // The h the backward actually used: its own h[t], or another under a mistaken backward.
        let used = trace.variant == .correct ? t : trace.steps
        terms.append(
          "(t=\(t)) \(factor(trace.dy[r, i]))×\(factor(trace.hUsed(atStep: t).storage[j]))   (h[\(used)][\(j)])")
      case .by: terms.append("(t=\(t)) \(n(trace.dy[r, i]))")
      case .wxh: terms.append("(t=\(t)) \(factor(trace.dhRaw[r, i]))×\(factor(trace.xs[r, j]))")
      case .whh:
        let used = trace.variant == .correct ? t - 1 : 0
        terms.append(
          "(t=\(t)) \(factor(trace.dhRaw[r, i]))×\(factor(trace.hPreviousUsed(atStep: t).storage[j]))   (h[\(used)][\(j)])"
        )
      case .bh: terms.append("(t=\(t)) \(n(trace.dhRaw[r, i]))")
      }
    }
    let shown = terms.count <= 10 ? terms : Array(terms.prefix(4)) + ["…"] + Array(terms.suffix(3))
    for (k, term) in shown.enumerated() { say("  \(k == 0 ? "=" : "+") \(term)") }
    let total = s.runningTotal(parameter).storage[flat]
    say("  = \(n(total))" + (added.count < trace.steps ? "   (steps \(trace.steps)…\(added.last!) so far)" : ""))
  }
}
