/// Exact derivatives of the total loss, computed forward in time (forward-mode automatic
/// differentiation): every quantity carries a tangent, its derivative along the change being
/// asked about, as dual numbers a + b·ε with ε² = 0 would.
///
/// No difference of two losses is taken, so there is no cancellation and no step size: the
/// result is exact up to the rounding of the sums that make it (about 1e-13 relative at
/// min-char-rnn's size), whatever ε a finite difference would need. It is independent of BPTT,
/// which runs backward in time; the values it starts from (h_t, and dL_t/dy_t = p_t − onehot or
/// y_t − target) come from the recorded forward pass.
///
///     da_t = Wxh dx_t + Whh dh_{t−1} + (changes made at step t)   (a change of Whh[i,j]
///            adds h_{t−1}[j] to da_t[i], of Wxh[i,j] adds x_t[j], of bh[i] adds 1)
///     dh_t = (1 − h_t ⊙ h_t) ⊙ da_t
///     dy_t = Why dh_t + (a change of Why[k,i] adds h_t[i] to dy_t[k], of by[k] adds 1)
///     dL   = Σ_t (dL_t/dy_t) · dy_t
public struct TangentPass: Sendable {
  /// Where a change enters the pass.
  public enum Source: Equatable, Sendable {
    /// Element (row, column) of a parameter, at every step or only at one (the untied-weights
    /// view: the copy of the parameter that step t uses).
    case parameter(Parameter, row: Int, column: Int, onlyAtStep: Int?)
    /// A vector added to an intermediate quantity, as ``Perturbation`` adds it.
    case quantity(Perturbation.Quantity, vector: [Double])
    /// A direction in parameter space (every element of every parameter), at every step or
    /// only at one.
    case direction(ParameterSet, onlyAtStep: Int?)
  }

  public let trace: Trace

  public init(trace: Trace) {
    self.trace = trace
  }

  /// dL/dθ along `source`.
  /// - Complexity: O(T·H·(H + V)) from the first step the change reaches.
  public func derivative(_ source: Source) -> Double {
    let (steps, nh, nOut) = (trace.steps, trace.model.hiddenSize, trace.model.outputSize)
    let p = trace.model.parameters
    let whh = p.whh.storage
    let why = p.why.storage
    let hs = trace.hs.storage
    // dL_t/dy_t from the forward pass itself (p_t − onehot, or y_t − target): not the record's
    // dy, which a backward under test may have wrong.
    var dys = (trace.ps ?? trace.ys).storage
    switch trace.data.targets {
    case .indices(let targets):
      if trace.lossKind == .squared { dys = trace.ys.storage }
      for (r, k) in targets.enumerated() { dys[r * nOut + k] -= 1 }
    case .vectors(let m):
      for i in dys.indices { dys[i] = trace.ys.storage[i] - m.storage[i] }
    }
    var dh = [Double](repeating: 0, count: nh)  // tangent of h_{t−1}
    var da = [Double](repeating: 0, count: nh)
    var dy = [Double](repeating: 0, count: nOut)
    var first = 1
    switch source {
    case .parameter(_, _, _, let t?), .direction(_, let t?): first = t
    case .quantity(let q, let v):
      switch q {
      case .h(0): dh = v
      case .h(let t), .a(let t), .hIntoStep(let t), .y(let t): first = t
      }
    default: break
    }
    guard first >= 1 && first <= steps else { return 0 }
    var total = 0.0
    var moving = dh.contains { $0 != 0 }
    for t in first...steps {
      let r = t - 1
      let hPrevious = r * nh
      let hNow = t * nh
      // da_t = Whh dh_{t−1} + what step t changes
      for i in 0..<nh { da[i] = 0 }
      if moving {
        for i in 0..<nh {
          var sum = 0.0
          for j in 0..<nh { sum += whh[i * nh + j] * dh[j] }
          da[i] = sum
        }
      }
      var changesY = false
      switch source {
      case .parameter(let param, let i, let j, let only):
        if only == nil || only == t {
          switch param {
          case .wxh: da[i] += trace.xs[r, j]
          case .whh: da[i] += hs[hPrevious + j]
          case .bh: da[i] += 1
          case .why, .by: changesY = true
          }
        }
      case .direction(let d, let only):
        if only == nil || only == t {
          for i in 0..<nh {
            var sum = d.bh.storage[i]
            for j in 0..<trace.model.inputSize { sum += d.wxh[i, j] * trace.xs[r, j] }
            for j in 0..<nh { sum += d.whh[i, j] * hs[hPrevious + j] }
            da[i] += sum
          }
          changesY = true
        }
      case .quantity(let q, let v):
        switch q {
        case .a(t): for i in 0..<nh { da[i] += v[i] }
        case .hIntoStep(t):
          for i in 0..<nh {
            var sum = 0.0
            for j in 0..<nh { sum += whh[i * nh + j] * v[j] }
            da[i] += sum
          }
        case .y(t): changesY = true
        default: break
        }
      }
      // dh_t = (1 − h_t²) ⊙ da_t
      for i in 0..<nh {
        let h = hs[hNow + i]
        dh[i] = (1 - h * h) * da[i]
      }
      if case .quantity(.h(t), let v) = source { for i in 0..<nh { dh[i] += v[i] } }
      moving = moving || dh.contains { $0 != 0 }
      // dy_t = Why dh_t + what step t changes in y
      for k in 0..<nOut {
        var sum = 0.0
        if moving { for j in 0..<nh { sum += why[k * nh + j] * dh[j] } }
        dy[k] = sum
      }
      if changesY {
        switch source {
        case .parameter(.why, let k, let i, _): dy[k] += hs[hNow + i]
        case .parameter(.by, let k, _, _): dy[k] += 1
        case .direction(let d, _):
          for k in 0..<nOut {
            var sum = d.by.storage[k]
            for j in 0..<nh { sum += d.why[k, j] * hs[hNow + j] }
            dy[k] += sum
          }
        case .quantity(_, let v): for k in 0..<nOut { dy[k] += v[k] }
        default: break
        }
      }
      // dL_t = (dL_t/dy_t) · dy_t
      for k in 0..<nOut { total += dys[r * nOut + k] * dy[k] }
    }
    return total
  }
}
