import RNNCore

/// A quantity with one value per time step.
public enum StepQuantity: String, CaseIterable, Sendable {
  case x, a, h, y, p, loss, dy, dh
  case dhRaw = "dh_raw"
  case dhNext = "dh_next"

  /// The equation that computes it (nil for x, which is given).
  public var equation: Equation? {
    switch self {
    case .x: nil
    case .a: .a
    case .h: .h
    case .y: .y
    case .p: .p
    case .loss: .loss
    case .dy: .dy
    case .dh: .dh
    case .dhRaw: .dhRaw
    case .dhNext: .dhNext
    }
  }
}

/// A value of the recorded pass, as a learner asks for it.
public enum PassValue: Equatable, Sendable {
  /// A quantity of step t: `h[3]`.
  case quantity(StepQuantity, t: Int)
  /// The total loss.
  case totalLoss
  /// What step t adds to a gradient: `dWhh_t[3]`.
  case contribution(Parameter, t: Int)
}

/// A value of a step the pass does not have: t outside `steps`.
public struct NoSuchStep: Error, Equatable, Sendable {
  public let value: PassValue
  /// The steps that exist for this value (h starts at 0).
  public let steps: ClosedRange<Int>
}

/// p asked for under squared error, which has no probabilities.
public struct NoProbabilities: Error, Equatable, Sendable {}

/// A value asked for before the cursor has reached the equation that computes it.
public struct NotComputedYet: Error, Equatable, Sendable {
  /// What was asked for.
  public let value: PassValue
  /// Where it is computed.
  public let computedAt: Position?
  /// Where the cursor is (nil: before the first equation).
  public let cursor: Position?
}

/// What the learner can see at the cursor: the recorded pass, up to and including the equation
/// the cursor is on.
public struct Snapshot: Sendable {
  public let trace: Trace
  public let cursor: Cursor

  public init(trace: Trace, cursor: Cursor) {
    self.trace = trace
    self.cursor = cursor
  }

  public var timeline: Timeline { cursor.timeline }

  /// The index at which `quantity` of step t is computed (nil: given, never computed).
  public func computedIndex(_ quantity: StepQuantity, t: Int) -> Int? {
    guard let equation = quantity.equation else { return nil }
    return timeline.index(of: Position(equation.phase, t: t, equation))
  }

  /// Whether the cursor has passed the equation that computes `quantity` at step t.
  public func isComputed(_ quantity: StepQuantity, t: Int) -> Bool {
    guard quantity.equation != nil else { return true }
    guard let index = computedIndex(quantity, t: t) else { return false }
    return index <= cursor.index
  }

  /// The value of `quantity` at step t: a column vector, or 1×1 for `loss`.
  /// - Throws: ``NotComputedYet`` when the cursor has not reached it; ``NoSuchStep`` for a t
  ///   outside the pass; ``NoProbabilities`` for `p` under squared error.
  public func value(_ quantity: StepQuantity, t: Int) throws -> Matrix {
    let lowest = quantity == .h ? 0 : 1
    guard t >= lowest && t <= trace.steps else {
      throw NoSuchStep(value: .quantity(quantity, t: t), steps: lowest...trace.steps)
    }
    if quantity == .h && t == 0 { return trace.h(0) }
    if quantity == .p && trace.ps == nil {
      throw NoProbabilities()
    }
    guard isComputed(quantity, t: t) else {
      throw NotComputedYet(
        value: .quantity(quantity, t: t), computedAt: computedIndex(quantity, t: t).map { timeline.positions[$0] },
        cursor: cursor.position)
    }
    let r = t - 1
    switch quantity {
    case .x: return Matrix(column: trace.xs.row(r))
    case .a: return Matrix(column: trace.a.row(r))
    case .h: return trace.h(t)
    case .y: return Matrix(column: trace.ys.row(r))
    case .p: return Matrix(column: trace.ps!.row(r))
    case .loss: return Matrix(column: [trace.losses[r]])
    case .dy: return Matrix(column: trace.dy.row(r))
    case .dh: return Matrix(column: trace.dh.row(r))
    case .dhRaw: return Matrix(column: trace.dhRaw.row(r))
    case .dhNext: return Matrix(column: trace.dhNext.row(r))
    }
  }

  /// dh_next as BPTT holds it at the cursor (min-char-rnn's `dhnext` variable): during backward
  /// step t, the one step t+1 passed down (zeros at t = T, where nothing comes back), until step
  /// t computes its own. - Throws: ``NotComputedYet`` before the backward pass begins.
  public func heldDhNext() throws -> Matrix {
    guard let p = cursor.position, p.phase == .backward else {
      let t = trace.steps
      throw NotComputedYet(
        value: .quantity(.dhNext, t: t), computedAt: computedIndex(.dhNext, t: t).map { timeline.positions[$0] },
        cursor: cursor.position)
    }
    if isComputed(.dhNext, t: p.t) { return try value(.dhNext, t: p.t) }
    if p.t < trace.steps { return try value(.dhNext, t: p.t + 1) }
    return Matrix(rows: trace.model.hiddenSize, cols: 1)
  }

  /// The total loss Σ_t L_t, once the forward pass is complete.
  public func totalLoss() throws -> Double {
    guard isComputed(.loss, t: trace.steps) else {
      throw NotComputedYet(
        value: .totalLoss, computedAt: computedIndex(.loss, t: trace.steps).map { timeline.positions[$0] },
        cursor: cursor.position)
    }
    return trace.loss
  }

  /// The steps whose contribution to `parameter`'s gradient the cursor has passed, from T down.
  public func stepsAdded(to parameter: Parameter) -> [Int] {
    stride(from: trace.steps, through: 1, by: -1).filter { t in
      timeline.index(of: Position(.backward, t: t, equationUpdating(parameter)))! <= cursor.index
    }
  }

  /// The running total of a gradient as BPTT holds it at the cursor (zeros before the backward
  /// pass has added anything; the full gradient at the end).
  public func runningTotal(_ parameter: Parameter) -> Matrix {
    let added = stepsAdded(to: parameter)
    guard let last = added.last else {
      let shape = trace.gradients[parameter]
      return Matrix(rows: shape.rows, cols: shape.cols)
    }
    if let totals = trace.runningTotals { return totals[last - 1][parameter] }
    return added.map { trace.contribution(to: parameter, atStep: $0) }.reduce(
      Matrix(rows: trace.gradients[parameter].rows, cols: trace.gradients[parameter].cols)
    ) { try! $0.elementwise($1, +) }
  }

  /// What step t adds to a gradient. - Throws: ``NotComputedYet`` before the cursor reaches it.
  public func contribution(_ parameter: Parameter, t: Int) throws -> Matrix {
    guard t >= 1 && t <= trace.steps else {
      throw NoSuchStep(value: .contribution(parameter, t: t), steps: 1...trace.steps)
    }
    let position = Position(.backward, t: t, equationUpdating(parameter))
    guard timeline.index(of: position)! <= cursor.index else {
      throw NotComputedYet(value: .contribution(parameter, t: t), computedAt: position, cursor: cursor.position)
    }
    return trace.contribution(to: parameter, atStep: t)
  }

  /// The equation at which BPTT adds to `parameter`'s gradient.
  public func equationUpdating(_ parameter: Parameter) -> Equation {
    Equation.allCases.first { $0.updatedGradient == parameter }!
  }
}
