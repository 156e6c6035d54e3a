/// How gradients are limited before an update. Clipping returns a new set: the gradients that a
/// check compares, and the ones a trace recorded, are never touched.
public enum Clipping: Equatable, Sendable {
  /// No clipping.
  case off
  /// Each element clamped to [−c, c] (min-char-rnn uses c = 5).
  case value(Double)
  /// All gradients scaled by c / ‖g‖ when the global norm ‖g‖ exceeds c.
  case norm(Double)

  /// `gradients` clipped by this rule.
  public func apply(to gradients: ParameterSet) -> ParameterSet {
    switch self {
    case .off:
      return gradients
    case .value(let c):
      return gradients.map { Swift.min(Swift.max($0, -c), c) }
    case .norm(let c):
      let norm = gradients.globalNorm
      guard norm > c else { return gradients }
      let scale = c / norm
      return gradients.map { $0 * scale }
    }
  }
}

/// An update rule: θ ← θ − step(g).
public enum Optimizer: Equatable, Sendable {
  /// θ ← θ − lr · g.
  case sgd(learningRate: Double)
  /// Adagrad as in min-char-rnn: mem += g², θ ← θ − lr · g / sqrt(mem + 1e-8).
  case adagrad(learningRate: Double, memory: ParameterSet?)

  /// The learning rate.
  public var learningRate: Double {
    switch self {
    case .sgd(let lr), .adagrad(let lr, _): lr
    }
  }

  /// Applies one update with (already clipped) gradients to `parameters`.
  public mutating func update(_ parameters: inout ParameterSet, with gradients: ParameterSet) {
    switch self {
    case .sgd(let lr):
      parameters.add(gradients, scaledBy: -lr)
    case .adagrad(let lr, let memory):
      var mem = memory ?? gradients.map { _ in 0 }
      for p in Parameter.allCases {
        var theta = parameters[p]
        var m = mem[p]
        let g = gradients[p].storage
        for i in 0..<g.count {
          m.storage[i] += g[i] * g[i]
          theta.storage[i] -= lr * g[i] / (m.storage[i] + 1e-8).squareRoot()
        }
        parameters[p] = theta
        mem[p] = m
      }
      self = .adagrad(learningRate: lr, memory: mem)
    }
  }
}
