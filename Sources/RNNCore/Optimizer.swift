import CKernels

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

/// An update rule: θ ← θ − step(g), with its state.
public struct Optimizer: Equatable, Sendable {
  public enum Rule: String, Equatable, Sendable {
    /// θ ← θ − lr · g.
    case sgd
    /// Adagrad as in min-char-rnn: mem += g², θ ← θ − lr · g / sqrt(mem + 1e-8).
    case adagrad
  }

  public var rule: Rule
  public var learningRate: Double
  /// Adagrad's running sum of squared gradients (nil until the first update).
  public private(set) var memory: ParameterSet?

  /// Plain gradient descent.
  public static func sgd(learningRate: Double) -> Optimizer {
    Optimizer(rule: .sgd, learningRate: learningRate, memory: nil)
  }

  /// min-char-rnn's Adagrad, optionally with the memory of earlier updates.
  public static func adagrad(learningRate: Double, memory: ParameterSet?) -> Optimizer {
    Optimizer(rule: .adagrad, learningRate: learningRate, memory: memory)
  }

  /// Applies one update with (already clipped) gradients to `parameters`.
  public mutating func update(_ parameters: inout ParameterSet, with gradients: ParameterSet) {
    _ = update(&parameters, with: gradients, clipping: .off)
  }

  /// Clips the gradients (without changing them) and applies one update to `parameters`, in
  /// place, in one pass over each matrix: the training loop's path, with no allocation once
  /// Adagrad's memory exists.
  /// - Returns: false when an updated parameter is NaN or infinite.
  @discardableResult
  public mutating func update(_ parameters: inout ParameterSet, with gradients: ParameterSet, clipping: Clipping)
    -> Bool
  {
    update(&parameters, with: gradients, clipping: clipping, helper: nil)
  }

  /// As ``update(_:with:clipping:)``, with the second half of each large matrix on `helper`.
  mutating func update(
    _ parameters: inout ParameterSet, with gradients: ParameterSet, clipping: Clipping, helper: HelperThread?
  ) -> Bool {
    // Clipping by value clamps each element; by norm scales all of them by one factor.
    var (limit, scale) = (Double.infinity, 1.0)
    switch clipping {
    case .off: break
    case .value(let c): limit = c
    case .norm(let c):
      let norm = gradients.globalNorm
      if norm > c { scale = c / norm }
    }
    let lr = learningRate
    var finite = true
    if rule == .adagrad && memory == nil { memory = gradients.map { _ in 0 } }
    for p in Parameter.allCases {
      gradients[p].storage.withUnsafeBufferPointer { g in
        parameters.withStorage(p) { theta in
          if rule == .sgd {
            finite = sgdStep(theta, g, lr, scale, limit) && finite
          } else {
            memory!.withStorage(p) { m in
              // Elementwise: a large matrix splits into two halves, one per core.
              guard let helper, theta.count >= 2048 else {
                finite = adagradStep(theta, g, m, lr, scale, limit) && finite
                return
              }
              let half = (theta.count / 2) & ~7
              let second = AdagradHalf(
                theta: UnsafeMutableBufferPointer(rebasing: theta[half...]),
                g: UnsafeBufferPointer(rebasing: g[half...]),
                m: UnsafeMutableBufferPointer(rebasing: m[half...]), lr: lr, scale: scale, limit: limit)
              let firstFinite = helper.concurrently(
                { second.run() },
                {
                  adagradStep(
                    UnsafeMutableBufferPointer(rebasing: theta[..<half]), UnsafeBufferPointer(rebasing: g[..<half]),
                    UnsafeMutableBufferPointer(rebasing: m[..<half]), lr, scale, limit)
                })
              finite = firstFinite && second.finite && finite
            }
          }
        }
      }
    }
    return finite
  }
}

/// The second half of an Adagrad step, run on the helper thread over memory the owner does not
/// touch until it waits.
private final class AdagradHalf: @unchecked Sendable {
  let theta: UnsafeMutableBufferPointer<Double>
  let g: UnsafeBufferPointer<Double>
  let m: UnsafeMutableBufferPointer<Double>
  let lr: Double
  let scale: Double
  let limit: Double
  var finite = true

  init(
    theta: UnsafeMutableBufferPointer<Double>, g: UnsafeBufferPointer<Double>, m: UnsafeMutableBufferPointer<Double>,
    lr: Double, scale: Double, limit: Double
  ) {
    (self.theta, self.g, self.m, self.lr, self.scale, self.limit) = (theta, g, m, lr, scale, limit)
  }

  func run() { finite = adagradStep(theta, g, m, lr, scale, limit) }
}

/// Each lane limited to [−limit, limit] (NaN stays NaN).
@inline(__always)
private func clip(_ v: SIMD4<Double>, _ limit: Double) -> SIMD4<Double> {
  v.replacing(with: limit, where: v .> limit).replacing(with: -limit, where: v .< -limit)
}

/// θ −= lr · clip(g); four lanes at a time. Returns false if a θ became NaN or infinite.
private func sgdStep(
  _ theta: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>, _ lr: Double, _ scale: Double,
  _ limit: Double
) -> Bool {
  typealias V4 = SIMD4<Double>
  let n = theta.count
  let t = UnsafeMutableRawPointer(theta.baseAddress!)
  let gp = UnsafeRawPointer(g.baseAddress!)
  var poison = V4()  // stays 0 unless some θ is NaN or infinite (then θ·0 is NaN)
  var i = 0
  while i &+ 4 <= n {
    let o = i &* 8
    let gi = clip(gp.loadUnaligned(fromByteOffset: o, as: V4.self) * scale, limit)
    let updated = t.loadUnaligned(fromByteOffset: o, as: V4.self) - lr * gi
    t.storeBytes(of: updated, toByteOffset: o, as: V4.self)
    poison += updated * 0
    i &+= 4
  }
  var tail = 0.0
  while i < n {
    theta[i] -= lr * Swift.min(Swift.max(g[i] * scale, -limit), limit)
    tail += theta[i] * 0
    i &+= 1
  }
  return !(poison.sum() + tail).isNaN
}

/// min-char-rnn's Adagrad exactly as NumPy computes it: mem += g²; θ += −lr · g / sqrt(mem + 1e-8),
/// with g clipped, the square root and the division correctly rounded (``rnnstep_adagrad``).
/// Returns false if a θ became NaN or infinite.
private func adagradStep(
  _ theta: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
  _ m: UnsafeMutableBufferPointer<Double>,
  _ lr: Double, _ scale: Double, _ limit: Double
) -> Bool {
  rnnstep_adagrad(theta.baseAddress!, g.baseAddress!, m.baseAddress!, theta.count, lr, scale, limit) != 0
}

extension ParameterSet {
  /// Calls `body` with the storage of one matrix, to change in place.
  mutating func withStorage<R>(_ parameter: Parameter, _ body: (UnsafeMutableBufferPointer<Double>) -> R) -> R {
    switch parameter {
    case .wxh: wxh.storage.withUnsafeMutableBufferPointer { body($0) }
    case .whh: whh.storage.withUnsafeMutableBufferPointer { body($0) }
    case .why: why.storage.withUnsafeMutableBufferPointer { body($0) }
    case .bh: bh.storage.withUnsafeMutableBufferPointer { body($0) }
    case .by: by.storage.withUnsafeMutableBufferPointer { body($0) }
    }
  }
}
