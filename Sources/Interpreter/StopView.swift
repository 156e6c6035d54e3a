import RNNCore
import Stepper

extension Interpreter {
  /// Shows where the cursor is and the equation just computed, with its numbers, then the displays.
  func showStop() {
    guard let trace, let cursor else { return }
    guard let p = cursor.position else {
      say(style.place("start") + "  nothing is computed yet; step computes a[1] = Wxh @ x[1] + Whh @ h[0] + bh")
      showDisplays()
      return
    }
    let steps = trace.steps
    say(
      style.place("\(p.phase.rawValue) t=\(p.t)/\(steps)") + "  " + style.bold(p.equation.rawValue) + "  "
        + style.dim(formula(p.equation)))
    for line in equationLines(p, trace) { say("  " + line) }
    showDisplays()
  }

  func showDisplays() {
    for d in displays {
      let value: String
      do { value = style.inline(try evaluate(d.text)) } catch { value = style.dim("(\(describeError(error)))") }
      say("\(d.number): \(d.text) = \(value)")
    }
  }

  /// The equation in symbols, as min-char-rnn writes it.
  func formula(_ e: Equation) -> String {
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
  func equationLines(_ p: Position, _ trace: Trace) -> [String] {
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
          "loss[\(t)] = 1/2 ||\(vector(column(trace.ys, r))) - \(vector(target(r, trace)))||^2 = \(n(trace.losses[r]))",
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
      var lines = [
        "1 - h[\(variant == .correct ? t : trace.steps)]^2 = \(vector(derivative))",
        "dh_raw[\(t)] = \(vector(derivative)) * \(vector(column(trace.dh, r)))",
        "          = \(vector(column(trace.dhRaw, r)))",
      ]
      if variant == .seed && t != trace.steps {
        lines.append(style.bad("bptt seed: uses h[\(trace.steps)] where step \(t) needs h[\(t)]"))
      }
      return lines
    case .dWhy, .dby, .dbh, .dWxh, .dWhh:
      let parameter = p.equation.updatedGradient!
      let added = trace.contribution(to: parameter, atStep: t)
      let total = Snapshot(trace: trace, cursor: cursor!).runningTotal(parameter)
      let changed = added.storage.count { $0 != 0 }
      var lines = [
        "step \(t) adds "
          + (added.count == 1 ? n(added.storage[0]) : "(\(changed) of \(added.count) elements nonzero):")
      ]
      if added.count > 1 { lines += style.block(added).map { "  " + $0 } }
      lines.append("\(parameter.gradientName) so far (steps \(trace.steps)…\(t)):")
      lines += style.block(total).map { "  " + $0 }
      if variant == .seed && t != trace.steps && parameter == .why {
        lines.append(style.bad("bptt seed: uses h[\(trace.steps)] where step \(t) needs h[\(t)]"))
      }
      if variant == .seed && t != 1 && parameter == .whh {
        lines.append(style.bad("bptt seed: uses h[0] where step \(t) needs h[\(t - 1)]"))
      }
      return lines
    }
  }

  func target(_ r: Int, _ trace: Trace) -> Matrix {
    switch trace.data.targets {
    case .indices(let targets):
      var v = Array(repeating: 0.0, count: model.outputSize)
      v[targets[r]] = 1
      return Matrix(column: v)
    case .vectors(let m): return Matrix(column: m.row(r))
    }
  }
}
