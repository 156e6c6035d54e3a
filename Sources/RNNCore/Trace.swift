/// The record of one forward pass and one BPTT pass: every quantity of every step.
///
/// Quantities over time are matrices with one row per step: row t−1 holds step t (t = 1…T), as in
/// the `.npz` export; `hs` has T+1 rows, row 0 being h0. Stepping backward in time is reading
/// another row, never recomputing.
public struct Trace: Equatable, Sendable {
  /// Running totals are kept only while T × (number of parameters) stays below this (64 MB),
  public static let maximumRunningTotalElements = 8_000_000
  /// and T(T+1)/2 × (number of parameters), the multiply-adds that make them, below this
  /// (about a tenth of a second). Without them, a snapshot sums the steps' contributions.
  public static let maximumRunningTotalWork = 200_000_000

  /// The most memory one recorded pass may take (its trace and the engine's buffers).
  public static let maximumBytes = 256 << 20

  /// The memory a pass of `steps` steps of `model` takes: its trace and the engine's buffers,
  /// each about T × (Vin + 8H + 5V) numbers.
  public static func bytes(of model: RNN, steps: Int) -> Int {
    let perStep = model.inputSize + 8 * model.hiddenSize + 5 * model.outputSize
    let (numbers, overflow) = steps.multipliedReportingOverflow(by: 16 * perStep)
    return overflow ? Int.max : numbers
  }

  /// Refuses a pass larger than ``maximumBytes``, saying how large it would be.
  /// - Throws: ``RNNError/outOfRange(_:)``.
  public static func checkSize(of model: RNN, steps: Int) throws {
    let size = bytes(of: model, steps: steps)
    guard size > maximumBytes else { return }
    let megabytes = size == Int.max ? "more than 8 EiB" : "\((size + (1 << 20) - 1) >> 20) MiB"
    throw RNNError.outOfRange(
      "a pass of \(steps) steps at H = \(model.hiddenSize), V = \(model.outputSize) would take \(megabytes); "
        + "rnnstep keeps passes of up to \(maximumBytes >> 20) MiB: a shorter seqlen or a smaller model")
  }

  public let model: RNN
  public let data: SequenceData
  public let lossKind: LossKind
  public let variant: BPTTVariant
  /// T.
  public let steps: Int

  // Forward
  /// x_t (T×Vin; one-hot rows for characters).
  public let xs: Matrix
  /// a_t = Wxh x_t + Whh h_{t−1} + bh (T×H).
  public let a: Matrix
  /// h_0 … h_T ((T+1)×H).
  public let hs: Matrix
  /// y_t (T×V).
  public let ys: Matrix
  /// p_t = softmax(y_t) (T×V); nil under squared error, which has no p.
  public let ps: Matrix?
  /// L_t, one per step.
  public let losses: [Double]
  /// Σ_t L_t.
  public let loss: Double

  // Backward (row t−1 is step t, although BPTT visits T first)
  /// dy_t = dL_t/dy_t (T×V).
  public let dy: Matrix
  /// dh_t = Why^T dy_t + dh_next (T×H): dL/dh_t.
  public let dh: Matrix
  /// dh_raw_t = (1 − h_t²) ⊙ dh_t (T×H): dL/da_t.
  public let dhRaw: Matrix
  /// dh_next computed at step t: Whh^T dh_raw_t = dL/dh_{t−1} (T×H).
  public let dhNext: Matrix
  /// dWxh dWhh dWhy dbh dby summed over every step.
  public let gradients: ParameterSet
  /// Element t−1: the running totals once steps T, T−1, …, t have been added; nil when too large.
  public let runningTotals: [ParameterSet]?
  /// Element t−1: what step t added to each gradient, when a backward other than the engine's
  /// made this record (then ``contribution(to:atStep:)`` reads it instead of the formulas).
  public let recordedContributions: [ParameterSet]?

  init(
    model: RNN, data: SequenceData, lossKind: LossKind, variant: BPTTVariant, loss: Double,
    workspace ws: Workspace, keepRunningTotals: Bool
  ) {
    let s = ws.shape
    func matrix(_ p: UnsafeMutablePointer<Double>, _ rows: Int, _ cols: Int) -> Matrix {
      Matrix(rows: rows, cols: cols, Array(UnsafeBufferPointer(start: p, count: rows * cols)))
    }
    self.model = model
    self.data = data
    self.lossKind = lossKind
    self.variant = variant
    self.loss = loss
    steps = s.steps
    xs = Matrix(rowVectors: (1...s.steps).map { data.input(at: $0, size: s.input) })
    a = matrix(ws.preactivations, s.steps, s.hidden)
    hs = matrix(ws.hs, s.steps + 1, s.hidden)
    ys = matrix(ws.ys, s.steps, s.output)
    ps = lossKind == .softmax ? matrix(ws.ps, s.steps, s.output) : nil
    losses = Array(UnsafeBufferPointer(start: ws.losses, count: s.steps))
    dy = matrix(ws.dys, s.steps, s.output)
    dh = matrix(ws.dhs, s.steps, s.hidden)
    dhRaw = matrix(ws.dhRaws, s.steps, s.hidden)
    dhNext = matrix(ws.dhNexts, s.steps, s.hidden)
    var gradients = ParameterSet(inputSize: s.input, hiddenSize: s.hidden, outputSize: s.output)
    gradients.withGradientPointers { ws.sumGradients(data, variant, fromStep: 1, into: $0) }
    self.gradients = gradients
    // Running totals: the same sums over steps t…T, for every t.
    runningTotals =
      keepRunningTotals
      ? (1...s.steps).map { t in
        var total = gradients
        total.withGradientPointers { ws.sumGradients(data, variant, fromStep: t, into: $0) }
        return total
      } : nil
    recordedContributions = nil
  }

  /// The forward pass of `forward` with another backward pass: dy, dh, dh_raw and dh_next of each
  /// step (one row per step) and what each step added to each gradient. The gradients and the
  /// running totals are the sums of those, from step T down, as BPTT adds them.
  public init(
    forward: Trace, variant: BPTTVariant, dy: Matrix, dh: Matrix, dhRaw: Matrix, dhNext: Matrix,
    contributions: [ParameterSet]
  ) {
    precondition(contributions.count == forward.steps, "one set of contributions per step")
    model = forward.model
    data = forward.data
    lossKind = forward.lossKind
    self.variant = variant
    steps = forward.steps
    xs = forward.xs
    a = forward.a
    hs = forward.hs
    ys = forward.ys
    ps = forward.ps
    losses = forward.losses
    loss = forward.loss
    self.dy = dy
    self.dh = dh
    self.dhRaw = dhRaw
    self.dhNext = dhNext
    var total = ParameterSet(
      inputSize: model.inputSize, hiddenSize: model.hiddenSize, outputSize: model.outputSize)
    var totals: [ParameterSet] = Array(repeating: total, count: steps)
    for t in stride(from: steps, through: 1, by: -1) {
      for p in Parameter.allCases {
        // Shapes were checked by whoever computed the contributions.
        total[p] = try! total[p].elementwise(contributions[t - 1][p], +)
      }
      totals[t - 1] = total
    }
    gradients = total
    runningTotals = totals
    recordedContributions = contributions
  }

  /// h_t as a column (t = 0 is h0).
  public func h(_ t: Int) -> Matrix { Matrix(column: hs.row(t)) }

  /// The h_t that BPTT step t used: h_t itself, or h_T under the seed variant.
  public func hUsed(atStep t: Int) -> Matrix { h(variant == .seed ? steps : t) }

  /// The h_{t−1} that BPTT step t used: h_{t−1} itself, or h_0 under the seed variant.
  public func hPreviousUsed(atStep t: Int) -> Matrix { h(variant == .seed ? 0 : t - 1) }

  /// What step t added to the gradient of `parameter`:
  /// dWhy_t = dy_t h_t^T, dby_t = dy_t, dWxh_t = dh_raw_t x_t^T, dWhh_t = dh_raw_t h_{t−1}^T, dbh_t = dh_raw_t.
  public func contribution(to parameter: Parameter, atStep t: Int) -> Matrix {
    if let recordedContributions { return recordedContributions[t - 1][parameter] }
    let r = t - 1
    func outer(_ u: [Double], _ v: Matrix) -> Matrix {
      Matrix(rows: u.count, cols: v.count, u.flatMap { ui in v.storage.map { ui * $0 } })
    }
    switch parameter {
    case .why: return outer(dy.row(r), hUsed(atStep: t))
    case .by: return Matrix(column: dy.row(r))
    case .wxh: return outer(dhRaw.row(r), Matrix(column: xs.row(r)))
    case .whh: return outer(dhRaw.row(r), hPreviousUsed(atStep: t))
    case .bh: return Matrix(column: dhRaw.row(r))
    }
  }
}
