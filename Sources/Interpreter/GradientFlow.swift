import Foundation
import RNNCore
import Stepper

/// How a gradient travels back in time, from the recorded forward pass (correct BPTT, whatever
/// backward is in force): what one loss term says about an earlier state, and the Jacobian that
/// carries it.
///
///     ∂h_t/∂h_{t−1} = diag(1 − h_t²) · Whh
///     ∂h_t/∂h_k     = ∏_{j=t…k+1} diag(1 − h_j²) · Whh          (the identity when k = t)
///     ∂L_t/∂h_k     = (∂h_t/∂h_k)ᵀ · Whyᵀ · ∂L_t/∂y_t            (k ≤ t; 0 for k > t)
struct GradientFlow {
  let snapshot: Snapshot

  private var trace: Trace { snapshot.trace }

  /// h_t, through the snapshot (an error that says where it is computed, if not yet).
  private func h(_ t: Int) throws -> [Double] { try snapshot.value(.h, t: t).storage }

  private func checkSteps(_ t: Int, _ k: Int) throws {
    guard t >= 1 && t <= trace.steps else {
      throw CommandError("t = \(t) is outside the pass: t runs from 1 to \(trace.steps)")
    }
    guard k >= 0 && k <= t else {
      throw CommandError("k = \(k) must be between 0 (h0) and t = \(t): a loss term says nothing about later states")
    }
  }

  /// ∂h_t/∂h_k (H×H).
  func jacobian(_ t: Int, _ k: Int) throws -> Matrix {
    try checkSteps(t, k)
    let nh = trace.model.hiddenSize
    var j = Matrix(rows: nh, cols: nh)
    for i in 0..<nh { j[i, i] = 1 }
    let whh = trace.model.parameters.whh
    // J = M_t M_{t−1} … M_{k+1}: multiply on the right, from t down.
    if k < t {
      for step in stride(from: t, through: k + 1, by: -1) {
        let slope = try h(step).map { 1 - $0 * $0 }
        var m = whh
        for r in 0..<nh { for c in 0..<nh { m[r, c] *= slope[r] } }
        j = try j.matmul(m)
      }
    }
    return j
  }

  /// ∂L_t/∂h_k (H×1): what loss term t says about the state k steps back.
  func lossGradient(_ t: Int, _ k: Int) throws -> Matrix {
    try checkSteps(t, k)
    _ = try snapshot.value(.loss, t: t)  // the loss term must be computed
    let p = trace.model.parameters
    let r = t - 1
    var dy = (trace.ps ?? trace.ys).row(r)
    switch trace.data.targets {
    case .indices(let targets):
      if trace.lossKind == .squared { dy = trace.ys.row(r) }
      dy[targets[r]] -= 1
    case .vectors(let m): dy = zip(trace.ys.row(r), m.row(r)).map { $0 - $1 }
    }
    var g = try p.why.transposed().matmul(Matrix(column: dy))
    if k < t {
      for step in stride(from: t, through: k + 1, by: -1) {
        let slope = try h(step).map { 1 - $0 * $0 }
        g = try p.whh.transposed().matmul(Matrix(column: zip(slope, g.storage).map { $0 * $1 }))
      }
    }
    return g
  }

  /// The most steps ``triangle(cancellation:)`` draws: T² vectors of H, and a picture T wide.
  static let maximumSteps = 200

  /// log10 ‖∂L_t/∂h_k‖ for every t (rows) and k ≤ t (columns); NaN above the diagonal. Each row
  /// carries one vector back a step at a time, as ``lossGradient(_:_:)`` does, so the values are
  /// its own.
  /// - Throws: ``CommandError`` beyond ``maximumSteps``; ``Cancelled`` between rows.
  func triangle(cancellation: CancellationFlag? = nil) throws -> Matrix {
    let steps = trace.steps
    guard steps <= GradientFlow.maximumSteps else {
      throw CommandError(
        "plot flow draws up to \(GradientFlow.maximumSteps) steps, and the pass has \(steps): seqlen \(GradientFlow.maximumSteps) or less"
      )
    }
    let whhT = trace.model.parameters.whh.transposed()
    var m = Matrix(rows: steps, cols: steps)
    for t in 1...steps {
      if cancellation?.isCancelled == true { throw Cancelled(done: t - 1, total: steps, unit: .steps) }
      var g = try lossGradient(t, t)
      m[t - 1, t - 1] = Foundation.log10(g.norm)
      for step in stride(from: t, through: 2, by: -1) {
        let slope = try h(step).map { 1 - $0 * $0 }
        g = try whhT.matmul(Matrix(column: zip(slope, g.storage).map { $0 * $1 }))
        m[t - 1, step - 2] = Foundation.log10(g.norm)
      }
      for k in stride(from: t + 1, through: steps, by: 1) { m[t - 1, k - 1] = .nan }
    }
    return m
  }
}

/// The singular values of `m`, largest first: the square roots of the eigenvalues of mᵀm, by
/// Jacobi rotations (symmetric, so they converge quadratically; sizes up to a few hundred).
func singularValues(_ m: Matrix) -> [Double] {
  let n = m.cols
  guard n > 0 else { return [] }
  // Scaled by its largest element, so that mᵀm neither overflows nor underflows; the values are
  // scaled back at the end. NaN anywhere makes every value NaN.
  let scale = m.maxAbs
  guard scale.isFinite else { return [Double](repeating: scale, count: n) }
  guard scale > 0 else { return [Double](repeating: 0, count: n) }
  // a = mᵀ m
  var a = [Double](repeating: 0, count: n * n)
  for i in 0..<n {
    for j in i..<n {
      var s = 0.0
      for r in 0..<m.rows { s += (m[r, i] / scale) * (m[r, j] / scale) }
      a[i * n + j] = s
      a[j * n + i] = s
    }
  }
  for _ in 0..<60 {
    var off = 0.0
    for i in 0..<n { for j in 0..<n where i != j { off += a[i * n + j] * a[i * n + j] } }
    var diagonal = 0.0
    for i in 0..<n { diagonal += a[i * n + i] * a[i * n + i] }
    if off <= 1e-30 * max(diagonal, 1e-300) { break }
    for p in 0..<(n - 1) {
      for q in (p + 1)..<n {
        let apq = a[p * n + q]
        if apq == 0 { continue }
        let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
        let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot()
        let s = t * c
        for k in 0..<n {
          let akp = a[k * n + p]
          let akq = a[k * n + q]
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {
          let apk = a[p * n + k]
          let aqk = a[q * n + k]
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
      }
    }
  }
  return (0..<n).map { max(a[$0 * n + $0], 0).squareRoot() * scale }.sorted(by: >)
}
