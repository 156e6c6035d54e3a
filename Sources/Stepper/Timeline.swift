import RNNCore

/// The two halves of a recorded pass.
public enum Phase: String, CaseIterable, Sendable {
  case forward, backward
}

/// One equation of a time step, named as a learner sees it.
public enum Equation: String, CaseIterable, Sendable {
  // Forward, in the order they are computed.
  case a, h, y, p, loss
  // Backward, in min-char-rnn's order.
  case dy, dWhy, dby, dh
  case dhRaw = "dh_raw"
  case dbh, dWxh, dWhh
  case dhNext = "dh_next"

  /// The phase this equation belongs to.
  public var phase: Phase {
    switch self {
    case .a, .h, .y, .p, .loss: .forward
    default: .backward
    }
  }

  /// The gradient whose running total this equation updates, if any.
  public var updatedGradient: Parameter? {
    switch self {
    case .dWhy: .why
    case .dby: .by
    case .dbh: .bh
    case .dWxh: .wxh
    case .dWhh: .whh
    default: nil
    }
  }
}

/// A place in the recorded pass: an equation of one time step. The stepper stops *after* the
/// equation at its place has been computed.
public struct Position: Hashable, Sendable {
  public let phase: Phase
  public let t: Int
  public let equation: Equation

  public init(_ phase: Phase, t: Int, _ equation: Equation) {
    self.phase = phase
    self.t = t
    self.equation = equation
  }
}

/// Every place of one pass, in the order they are computed: forward t = 1…T, then backward
/// t = T…1, each time step's equations in order.
public struct Timeline: Equatable, Sendable {
  /// T.
  public let steps: Int
  /// The forward equations of a step (no `p` under squared error, which has none).
  public let forwardEquations: [Equation]
  /// The backward equations of a step.
  public let backwardEquations: [Equation]
  /// All places, in order.
  public let positions: [Position]
  private let indexByPosition: [Position: Int]

  public init(steps: Int, loss: LossKind) {
    self.steps = steps
    forwardEquations = loss == .softmax ? [.a, .h, .y, .p, .loss] : [.a, .h, .y, .loss]
    backwardEquations = [.dy, .dWhy, .dby, .dh, .dhRaw, .dbh, .dWxh, .dWhh, .dhNext]
    var all: [Position] = []
    for t in 1...steps {
      for e in forwardEquations { all.append(Position(.forward, t: t, e)) }
    }
    for t in stride(from: steps, through: 1, by: -1) {
      for e in backwardEquations { all.append(Position(.backward, t: t, e)) }
    }
    positions = all
    indexByPosition = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
  }

  public static func == (a: Timeline, b: Timeline) -> Bool { a.positions == b.positions }

  /// The index of a place, nil if this pass has no such place.
  public func index(of position: Position) -> Int? { indexByPosition[position] }

  /// The equations of a phase.
  public func equations(of phase: Phase) -> [Equation] {
    phase == .forward ? forwardEquations : backwardEquations
  }

  /// The index of the last equation of the time step that holds `index`.
  public func endOfStep(containing index: Int) -> Int {
    let p = positions[index]
    return self.index(of: Position(p.phase, t: p.t, equations(of: p.phase).last!))!
  }

  /// The index of the last place of a phase.
  public func endOfPhase(_ phase: Phase) -> Int {
    phase == .forward ? steps * forwardEquations.count - 1 : positions.count - 1
  }
}
