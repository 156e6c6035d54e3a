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

/// The singular values of `m` (as many as it has columns), largest first, by one-sided Jacobi
/// rotations of its columns (Hestenes): pairs of columns are rotated until every two are
/// orthogonal, and the values are then the columns' norms. Working on m itself, never on mᵀm,
/// keeps the small values accurate: mᵀm would square them below the rounding of the large ones
/// ([[1, 1], [0, 1e-10]] has 7.07e-11, which mᵀm loses entirely).
func singularValues(_ m: Matrix) -> [Double] {
  guard m.cols > 0 else { return [] }
  // Scaled by its largest element, so that the squared norms neither overflow nor underflow; the
  // values are scaled back at the end. NaN anywhere makes every value NaN.
  let scale = m.maxAbs
  guard scale.isFinite else { return [Double](repeating: scale, count: m.cols) }
  guard scale > 0 else { return [Double](repeating: 0, count: m.cols) }
  // The columns of m, or of mᵀ when m is wide: at most min(rows, cols) values are nonzero, and
  // the rest are exactly 0.
  let wide = m.rows < m.cols
  let n = wide ? m.rows : m.cols
  let length = wide ? m.cols : m.rows
  var columns = (0..<n).map { c in (0..<length).map { r in (wide ? m[c, r] : m[r, c]) / scale } }
  for _ in 0..<60 {
    var rotated = false
    for p in 0..<n {
      for q in (p + 1)..<n {
        var alpha = 0.0
        var beta = 0.0
        var gamma = 0.0
        for k in 0..<length {
          alpha += columns[p][k] * columns[p][k]
          beta += columns[q][k] * columns[q][k]
          gamma += columns[p][k] * columns[q][k]
        }
        guard abs(gamma) > Double.ulpOfOne * (alpha * beta).squareRoot() else { continue }
        rotated = true
        let zeta = (beta - alpha) / (2 * gamma)
        let t = (zeta >= 0 ? 1 : -1) / (abs(zeta) + (zeta * zeta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot()
        let s = c * t
        for k in 0..<length {
          let x = columns[p][k]
          let y = columns[q][k]
          columns[p][k] = c * x - s * y
          columns[q][k] = s * x + c * y
        }
      }
    }
    if !rotated { break }
  }
  let values = columns.map { column in
    // The norm without squaring what is tiny: scaled by the column's largest element.
    let largest = column.reduce(0) { max($0, abs($1)) }
    guard largest > 0 else { return 0.0 }
    return largest * column.reduce(0) { $0 + ($1 / largest) * ($1 / largest) }.squareRoot() * scale
  }
  return (values + [Double](repeating: 0, count: m.cols - n)).sorted(by: >)
}
