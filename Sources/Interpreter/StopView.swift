import RNNCore
import Stepper

extension Renderer {
  /// Where the cursor is and the equation just computed, with its numbers.
  func stopLines(_ stop: Stop) -> [String] {
    var lines: [String] = []
    let trace = stop.snapshot.trace
    let context = StopContext(stop: stop, renderer: self)
    if stop.passed.count > 12 {
      lines.append(style.dim("(computed \(stop.passed.count) equations on the way)"))
    } else {
      lines += stop.passed.map { style.dim("  " + context.summaryLine($0)) }
    }
    guard let p = stop.position else {
      lines.append(
        style.place("start") + "  nothing is computed yet; step computes a[1] = Wxh @ x[1] + Whh @ h[0] + bh")
      return lines
    }
    lines.append(
      style.place("\(p.phase.rawValue) t=\(p.t)/\(trace.steps)") + "  " + style.bold(p.equation.rawValue) + "  "
        + style.dim(
          stop.ownEquation.map { "\(p.equation.rawValue) = \($0)   (yours)" }
            ?? StopContext.formula(p.equation, trace: trace)))
    lines += context.equationLines(p).map { "  " + $0 }
    return lines
  }
}

/// What the lines of one stop are made from.
struct StopContext {
  let trace: Trace
  let snapshot: Snapshot
  let vocabulary: [Character]?
  let renderer: Renderer
  var style: Style { renderer.style }
  var model: RNN { trace.model }
  var loss: LossKind { trace.lossKind }
  var variant: BPTTVariant { trace.variant }

  init(stop: Stop, renderer: Renderer) {
    trace = stop.snapshot.trace
    snapshot = stop.snapshot
    vocabulary = stop.vocabulary
    self.renderer = renderer
  }

  func symbol(_ i: Int) -> String { renderer.symbol(i, vocabulary) }

  /// The equation in symbols, as min-char-rnn writes it.
  /// The equation at a stop's header as the recorded pass computes it; under bptt seed and a
  /// mystery, every backward equation's is left to bptt show (the header must not give a mistake
  /// away, nor show a correct equation the pass did not use).
  static func formula(_ e: Equation, trace: Trace) -> String {
    let name = e.rawValue
    guard BackwardEquations.names.contains(name) else {
      return formula(e, loss: trace.lossKind)
    }
    switch trace.variant {
    case .mystery:
      return "\(name): the equation is hidden (bptt mystery)"
    case .seed:
      // Every backward equation alike, so that the header does not point at the wrong ones.
      return "\(name): the tutorial's equation (bptt show lists them)"
    case .correct, .equations:
      return formula(e, loss: trace.lossKind)
    }
  }

  static func formula(_ e: Equation, loss: LossKind) -> String {
    switch e {
    case .a: "a[t] = Wxh @ x[t] + Whh @ h[t-1] + bh"
    case .h: "h[t] = tanh(a[t])"
    case .y: "y[t] = Why @ h[t] + by"
    case .p: "p[t] = softmax(y[t])"
    case .loss: loss == .softmax ? "loss[t] = -log p[t][target]" : "loss[t] = 1/2 ||y[t] - target[t]||^2"
    case .dy: loss == .softmax ? "dy[t] = p[t] - onehot(target)" : "dy[t] = y[t] - target[t]"
    case .dWhy: "dWhy += dy[t] @ h[t].T"
    case .dby: "dby += dy[t]"
    case .dh: "dh[t] = Why.T @ dy[t] + dh_next"
    case .dhRaw: "dh_raw[t] = (1 - h[t]*h[t]) * dh[t]"
    case .dbh: "dbh += dh_raw[t]"
    case .dWxh: "dWxh += dh_raw[t] @ x[t].T"
    case .dWhh: "dWhh += dh_raw[t] @ h[t-1].T"
    case .dhNext: "dh_next = Whh.T @ dh_raw[t]"
    }
  }

  private func vector(_ m: Matrix) -> String { style.inline(m) }

  /// The equation at `p` with the recorded numbers substituted.
  func equationLines(_ p: Position) -> [String] {
    // Under equations of the learner's (or a mystery's), the parts the built-in equations are
    // made of would not be what was computed: show the value the equation in force gave.
    if !variant.isBuiltIn, [.dy, .dh, .dhRaw, .dhNext].contains(p.equation) {
      let values: Matrix =
        switch p.equation {
        case .dy: trace.dy
        case .dh: trace.dh
        case .dhRaw: trace.dhRaw
        default: trace.dhNext
        }
      let name = p.equation == .dhNext ? "dh_next" : "\(p.equation.rawValue)[\(p.t)]"
      return ["\(name) = \(style.inline(Matrix(column: values.row(p.t - 1))))"]
    }
    let t = p.t
    let r = t - 1
    let params = model.parameters
    let column = { (m: Matrix, i: Int) in Matrix(column: m.row(i)) }
    let n = style.number
    switch p.equation {
    case .a:
      let input: String
      switch trace.data.inputs {
      case .indices(let indices):
        input =
          "Wxh @ x[\(t)] = Wxh[:, \(indices[r])] (x[\(t)] is one-hot at \(symbol(indices[r])))  = \(vector(Matrix(column: params.wxh.column(indices[r]))))"
      case .vectors:
        input =
          "Wxh @ x[\(t)] = \(vector(try! params.wxh.matmul(column(trace.xs, r))))   x[\(t)] = \(vector(column(trace.xs, r)))"
      }
      return [
        input,
        "Whh @ h[\(t - 1)] = \(vector(try! params.whh.matmul(trace.h(t - 1))))   h[\(t - 1)] = \(vector(trace.h(t - 1)))",
        "bh = \(vector(params.bh))",
        "a[\(t)] = \(vector(column(trace.a, r)))",
      ]
    case .h:
      return ["h[\(t)] = tanh(\(vector(column(trace.a, r))))", "     = \(vector(trace.h(t)))"]
    case .y:
      return ["y[\(t)] = Why @ h[\(t)] + by = \(vector(column(trace.ys, r)))"]
    case .p:
      let probabilities = trace.ps!.row(r)
      var lines = ["p[\(t)] = softmax(\(vector(column(trace.ys, r))))", "     = \(vector(column(trace.ps!, r)))"]
      if probabilities.count <= Style.fullVectorLength && vocabulary != nil {
        lines.append("       " + probabilities.enumerated().map { "\(symbol($0)) \(n($1))" }.joined(separator: "  "))
      }
      return lines
    case .loss:
      let sum = trace.losses[0...r].reduce(0, +)
      switch trace.data.targets {
      case .indices(let targets) where loss == .softmax:
        return [
          "target \(symbol(targets[r])) (index \(targets[r])): loss[\(t)] = -log(\(n(trace.ps![r, targets[r]]))) = \(n(trace.losses[r]))",
          "loss so far (t = 1…\(t)): \(n(sum))" + (t == trace.steps ? "  = the total loss" : ""),
        ]
      default:
        return [
          "loss[\(t)] = 1/2 ||\(vector(column(trace.ys, r))) - \(vector(trace.targetVector(r)))||^2 = \(n(trace.losses[r]))",
          "loss so far (t = 1…\(t)): \(n(sum))" + (t == trace.steps ? "  = the total loss" : ""),
        ]
      }
    case .dy:
      return [
        (loss == .softmax ? "p[\(t)] - onehot(target)" : "y[\(t)] - target[\(t)]") + " = \(vector(column(trace.dy, r)))"
      ]
    case .dhNext:
      return [
        "dh_next = Whh.T @ \(vector(column(trace.dhRaw, r))) = \(vector(column(trace.dhNext, r)))",
        t > 1
          ? "(dL/dh[\(t - 1)] through step \(t); step \(t - 1) adds it to its dh)"
          : "(dL/dh0: where the gradient leaves the sequence)",
      ]
    case .dh:
      let fromNext = t < trace.steps ? column(trace.dhNext, t) : Matrix(rows: model.hiddenSize, cols: 1)
      let direct = try! params.why.transposed().matmul(column(trace.dy, r))
      return [
        "Why.T @ dy[\(t)] = \(vector(direct))",
        "dh_next = \(vector(fromNext))"
          + (t == trace.steps ? "   (zero: nothing comes back from after the last step)" : "   (from step \(t + 1))"),
        "dh[\(t)] = \(vector(column(trace.dh, r)))",
      ]
    case .dhRaw:
      let h = trace.hUsed(atStep: t)
      let derivative = h.map { 1 - $0 * $0 }
      let lines = [
        "1 - h[\(variant == .correct ? t : trace.steps)]^2 = \(vector(derivative))",
        "dh_raw[\(t)] = \(vector(derivative)) * \(vector(column(trace.dh, r)))",
        "          = \(vector(column(trace.dhRaw, r)))",
      ]
      return lines
    case .dWhy, .dby, .dbh, .dWxh, .dWhh:
      let parameter = p.equation.updatedGradient!
      let added = trace.contribution(to: parameter, atStep: t)
      let total = snapshot.runningTotal(parameter)
      let changed = added.storage.count { $0 != 0 }
      var lines = [
        "step \(t) adds "
          + (added.count == 1 ? n(added.storage[0]) : "(\(changed) of \(added.count) elements nonzero):")
      ]
      if added.count > 1 { lines += style.block(added).map { "  " + $0 } }
      lines.append("\(parameter.gradientName) so far (steps \(trace.steps)…\(t)):")
      lines += style.block(total).map { "  " + $0 }
      return lines
    }
  }

  /// One line for the value an equation computed: `h[2] = [0.1, 0.2, 0.3]`.
  func summaryLine(_ p: Position) -> String {
    let r = p.t - 1
    let row = { (m: Matrix) in Matrix(column: m.row(r)) }
    let place = "\(p.phase.rawValue) t=\(p.t)"
    switch p.equation {
    case .a: return "\(place)  a[\(p.t)] = \(style.inline(row(trace.a)))"
    case .h: return "\(place)  h[\(p.t)] = \(style.inline(trace.h(p.t)))"
    case .y: return "\(place)  y[\(p.t)] = \(style.inline(row(trace.ys)))"
    case .p: return "\(place)  p[\(p.t)] = \(style.inline(row(trace.ps!)))"
    case .loss: return "\(place)  loss[\(p.t)] = \(style.number(trace.losses[r]))"
    case .dy: return "\(place)  dy[\(p.t)] = \(style.inline(row(trace.dy)))"
    case .dh: return "\(place)  dh[\(p.t)] = \(style.inline(row(trace.dh)))"
    case .dhRaw: return "\(place)  dh_raw[\(p.t)] = \(style.inline(row(trace.dhRaw)))"
    case .dhNext: return "\(place)  dh_next = \(style.inline(row(trace.dhNext)))"
    case .dWhy, .dby, .dbh, .dWxh, .dWhh:
      let parameter = p.equation.updatedGradient!
      return
        "\(place)  \(parameter.gradientName) += step \(p.t)'s part (norm \(style.number(trace.contribution(to: parameter, atStep: p.t).norm)))"
    }
  }
}

extension Trace {
  /// The target of step r + 1 as a vector: one-hot for a class index.
  func targetVector(_ r: Int) -> Matrix {
    switch data.targets {
    case .indices(let targets):
      var v = Array(repeating: 0.0, count: model.outputSize)
      v[targets[r]] = 1
      return Matrix(column: v)
    case .vectors(let m): return Matrix(column: m.row(r))
    }
  }
}
