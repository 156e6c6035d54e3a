import RNNCore
import Stepper

/// The backward pass as equations over the recorded quantities, one per quantity BPTT computes
/// at each step, in its order. The correct set, the seed tutorial's, a learner's own (`let`) and
/// the mysteries are all such sets; the engine computes the correct and the seed's itself, and
/// a test shows that the correct equations, evaluated here, give the engine's numbers.
///
/// In an equation, `t` is the step being computed and `T` the last; x a h y p loss (alone: step
/// t's; h[t-1], h[T], h[0]) are the forward pass's; `target` is step t's target (one-hot for a
/// class); dy dh dh_raw are this step's once computed (dy[k] for a later step k too); `dh_next`
/// alone is the one the step above passed down (zeros at t = T), and its own once computed.
struct BackwardEquations: Equatable {
  /// The quantities, in the order BPTT computes them at each step.
  static let names = ["dy", "dWhy", "dby", "dh", "dh_raw", "dbh", "dWxh", "dWhh", "dh_next"]

  /// The equation of each name, as a learner writes it (what `let NAME = …` replaces).
  var text: [String: String]

  /// Correct BPTT (min-char-rnn's backward), as equations.
  static func correct(_ loss: LossKind) -> BackwardEquations {
    BackwardEquations(text: [
      "dy": loss == .softmax ? "p - target" : "y - target",
      "dWhy": "dy @ h[t].T",
      "dby": "dy",
      "dh": "Why.T @ dy + dh_next",
      "dh_raw": "(1 - h[t]*h[t]) * dh",
      "dbh": "dh_raw",
      "dWxh": "dh_raw @ x[t].T",
      "dWhh": "dh_raw @ h[t-1].T",
      "dh_next": "Whh.T @ dh_raw",
    ])
  }

  /// The seed tutorial's backward: h[T] for every h[t], h[0] for every h[t-1].
  static func seed(_ loss: LossKind) -> BackwardEquations {
    var e = correct(loss)
    e.text["dWhy"] = "dy @ h[T].T"
    e.text["dh_raw"] = "(1 - h[T]*h[T]) * dh"
    e.text["dWhh"] = "dh_raw @ h[0].T"
    return e
  }

  /// The equations of a built-in backward.
  static func builtIn(_ variant: BPTTVariant, _ loss: LossKind) -> BackwardEquations {
    variant == .seed ? seed(loss) : correct(loss)
  }

  /// Why an equation cannot be used, with the step where it failed.
  struct Failure: Error, CustomStringConvertible {
    let name: String
    let t: Int
    let problem: String
    /// Under a mystery the equation is not named: that would give the mistake away.
    var hidden = false

    var description: String {
      hidden
        ? "the mystery's backward pass fails at t=\(t): \(problem) (which equation stays hidden; bptt reveal tells)"
        : "your \(name) equation fails at t=\(t): \(problem)"
    }
  }

  /// The backward pass these equations compute over `forward`'s forward pass.
  /// - Throws: ``Failure`` naming the equation and the step where it does not evaluate or gives
  ///   a value of the wrong shape.
  func record(over forward: Trace, variant: BPTTVariant) throws -> Trace {
    do { return try recordNamingFailures(over: forward, variant: variant) } catch var failure as Failure {
      failure.hidden = variant == .mystery
      throw failure
    }
  }

  private func recordNamingFailures(over forward: Trace, variant: BPTTVariant) throws -> Trace {
    let (steps, nh, nIn, nOut) = (
      forward.steps, forward.model.hiddenSize, forward.model.inputSize, forward.model.outputSize
    )
    let parsed = try Dictionary(
      uniqueKeysWithValues: BackwardEquations.names.map { name in
        do { return (name, try ExpressionParser.parse(text[name]!)) } catch {
          throw Failure(name: name, t: steps, problem: "\(error)")
        }
      })
    // The forward pass complete, nothing of the backward yet.
    let timeline = Timeline(steps: steps, loss: forward.lossKind)
    let snapshot = Snapshot(
      trace: forward, cursor: Cursor(timeline: timeline, index: timeline.endOfPhase(.forward)))
    var dy = Matrix(rows: steps, cols: nOut)
    var dh = Matrix(rows: steps, cols: nh)
    var dhRaw = Matrix(rows: steps, cols: nh)
    var dhNext = Matrix(rows: steps, cols: nh)
    var contributions = [ParameterSet](
      repeating: ParameterSet(inputSize: nIn, hiddenSize: nh, outputSize: nOut), count: steps)
    let shapes: [String: (Int, Int)] = [
      "dy": (nOut, 1), "dWhy": (nOut, nh), "dby": (nOut, 1), "dh": (nh, 1), "dh_raw": (nh, 1), "dbh": (nh, 1),
      "dWxh": (nh, nIn), "dWhh": (nh, nh), "dh_next": (nh, 1),
    ]
    for t in stride(from: steps, through: 1, by: -1) {
      let r = t - 1
      var current: [String: Matrix] = [:]
      func row(_ m: Matrix, _ k: Int) -> Matrix { Matrix(column: m.row(k - 1)) }
      /// A backward quantity: this step's once computed, a later step's as recorded.
      func backward(_ name: String, _ table: Matrix) -> (Int?) throws -> Matrix {
        { k in
          let step = k ?? t
          if step == t, let value = current[name] { return value }
          guard step >= 1 && step <= steps else {
            throw ExpressionError(message: "\(name)[\(step)] does not exist: t runs from 1 to \(steps)", column: nil)
          }
          guard step > t else {
            throw ExpressionError(
              message: "\(name)[\(step)] is not computed yet when step \(t)'s equations run", column: nil)
          }
          return row(table, step)
        }
      }
      var bindings: [String: (Int?) throws -> Matrix] = [
        "t": { _ in Matrix(column: [Double(t)]) },
        "target": { k in
          let step = k ?? t
          guard step >= 1 && step <= steps else {
            throw ExpressionError(message: "target[\(step)] does not exist: t runs from 1 to \(steps)", column: nil)
          }
          return forward.targetVector(step - 1)
        },
        "dy": backward("dy", dy), "dh": backward("dh", dh), "dh_raw": backward("dh_raw", dhRaw),
        "dh_next": { k in
          // Alone: this step's once computed, else the one step t+1 passed down (zeros at T).
          guard let k else { return current["dh_next"] ?? (t < steps ? row(dhNext, t + 1) : Matrix(rows: nh, cols: 1)) }
          if k == t, let own = current["dh_next"] { return own }
          // What step T + 1 sends back, as lesson 6 writes it: nothing, there being no such step.
          if k == steps + 1 { return Matrix(rows: nh, cols: 1) }
          guard k >= 1 && k <= steps else {
            throw ExpressionError(message: "dh_next[\(k)] does not exist: t runs from 1 to \(steps)", column: nil)
          }
          guard k > t else {
            throw ExpressionError(message: "dh_next[\(k)] is not computed yet at step \(t)", column: nil)
          }
          return row(dhNext, k)
        },
      ]
      // Forward quantities alone mean step t's.
      for quantity in [StepQuantity.x, .a, .h, .y, .p, .loss] {
        bindings[quantity.rawValue] = { k in try snapshot.value(quantity, t: k ?? t) }
      }
      // A gradient's running total has no place in an equation: it gives what step t adds.
      for parameter in Parameter.allCases {
        let g = parameter.gradientName
        bindings[g] = { _ in
          throw ExpressionError(
            message: "\(g) cannot be on the right: an equation gives what step t adds to \(g), and rnnstep sums "
              + "the steps (write the step's part alone)", column: nil)
        }
      }
      for name in BackwardEquations.names {
        let value: Matrix
        do {
          var evaluator = Evaluator(model: forward.model, snapshot: snapshot, bindings: bindings)
          evaluator.indicesFromTheEnd = false
          value = try evaluator.evaluate(parsed[name]!)
        } catch {
          throw Failure(name: name, t: t, problem: "\(error)")
        }
        let (rows, cols) = shapes[name]!
        guard value.rows == rows && value.cols == cols else {
          throw Failure(
            name: name, t: t, problem: "it gives \(value.shapeDescription), where \(name) is \(rows)×\(cols)")
        }
        guard value.isFinite else { throw Failure(name: name, t: t, problem: "it gives a NaN or infinite value") }
        current[name] = value
      }
      for k in 0..<nOut { dy[r, k] = current["dy"]!.storage[k] }
      for i in 0..<nh {
        dh[r, i] = current["dh"]!.storage[i]
        dhRaw[r, i] = current["dh_raw"]!.storage[i]
        dhNext[r, i] = current["dh_next"]!.storage[i]
      }
      contributions[r][.why] = current["dWhy"]!
      contributions[r][.by] = current["dby"]!
      contributions[r][.bh] = current["dbh"]!
      contributions[r][.wxh] = current["dWxh"]!
      contributions[r][.whh] = current["dWhh"]!
    }
    return Trace(
      forward: forward, variant: variant, dy: dy, dh: dh, dhRaw: dhRaw, dhNext: dhNext, contributions: contributions)
  }
}

/// Realistic BPTT mistakes, each a change of one or two equations (`bptt mystery`). The first
/// two are the seed tutorial's; the others are what people really write.
struct Mystery: Equatable {
  /// The equations it changes, and how.
  let changes: [String: String]
  /// What is wrong, for `bptt reveal`.
  let story: String

  /// The catalogue's mistakes in the order seeds take them: seeds 0–7 the ones people write,
  /// 8 and 9 the tutorial's two; seed s is the same as s mod 10, so any ten consecutive seeds
  /// give every mistake once.
  static let seedOrder = [4, 2, 7, 3, 9, 6, 5, 8, 0, 1]

  /// The mistake of `bptt mystery SEED`.
  static func index(seed: UInt64, loss: LossKind) -> Int {
    seedOrder[Int(seed % UInt64(seedOrder.count))]
  }

  static func catalogue(_ loss: LossKind) -> [Mystery] {
    [
      Mystery(
        changes: ["dWhy": "dy @ h[T].T", "dh_raw": "(1 - h[T]*h[T]) * dh"],
        story: "h[T], the last hidden state, stands for every step's h[t] (the tutorial's h_next)"),
      Mystery(
        changes: ["dWhh": "dh_raw @ h[0].T"],
        story: "h[0] stands for every h[t-1] (the tutorial's h_prev, set once and never updated)"),
      Mystery(
        changes: ["dh": "Why.T @ dy"],
        story: "dh_next is never added into dh: no gradient flows back through time"),
      Mystery(
        changes: ["dh_next": "Whh @ dh_raw"],
        story: "dh_next multiplies by Whh where Whh.T belongs"),
      Mystery(
        changes: ["dh_raw": "(1 - a[t]*a[t]) * dh"],
        story: "tanh's derivative taken of a, 1 − a², where it is 1 − h² of h = tanh(a)"),
      Mystery(
        changes: ["dy": loss == .softmax ? "p" : "y"],
        story: "dy without the target: p alone, missing the −1 at the target (y alone under squared error)"),
      Mystery(
        changes: ["dWhh": "dh_raw @ h[t].T"],
        story: "dWhh takes h[t] where h[t-1] belongs: the state a[t] read is the one before"),
      Mystery(
        changes: ["dh_raw": "(1 - h[t]) * dh"],
        story: "tanh's derivative written 1 − h instead of 1 − h²"),
      Mystery(
        changes: ["dbh": "dh"],
        story: "dbh adds dh where it needs dh_raw, skipping tanh's derivative"),
      Mystery(
        changes: ["dWhy": "dy @ h[t-1].T"],
        story: "dWhy takes h[t-1] where y[t] was computed from h[t]: off by one step"),
    ]
  }
}
