import Foundation

/// A change of one intermediate value inside the forward pass, for checking dh and dh_raw
/// numerically: the rest of the pass runs on from the changed value.
public struct Perturbation: Equatable, Sendable {
  /// Which quantity is changed.
  public enum Quantity: Equatable, Sendable {
    /// h_t, changed after tanh; t = 0 is h0. Checks dh_t (and dh_next of step t+1).
    case h(t: Int)
    /// a_t, changed before tanh; t in 1...T. Checks dh_raw_t.
    case a(t: Int)
    /// h_{t−1} as step t reads it to form a_t, and nowhere else (y_{t−1} keeps the unchanged
    /// h_{t−1}); t in 1...T. Checks dh_next of step t, the part of dL/dh_{t−1} that flows back
    /// through Whh.
    case hIntoStep(t: Int)
    /// y_t, changed before the loss reads it; t in 1...T. Checks dy_t.
    case y(t: Int)

    /// The length of the vector changed: H, or V for y.
    func length(hidden: Int, output: Int) -> Int {
      if case .y = self { return output }
      return hidden
    }
  }

  public var quantity: Quantity
  /// What is added to the vector: `delta` at `index`, or `deltas` to every element.
  public var index: Int
  public var delta: Double
  public var deltas: [Double]?

  /// One element changed by `delta`.
  public init(_ quantity: Quantity, index: Int, delta: Double) {
    self.quantity = quantity
    self.index = index
    self.delta = delta
  }

  /// The whole vector changed by `deltas` (a step along a direction).
  public init(_ quantity: Quantity, deltas: [Double]) {
    self.quantity = quantity
    index = 0
    delta = 0
    self.deltas = deltas
  }

  /// Adds the change to the vector at `p`.
  func apply(to p: UnsafeMutablePointer<Double>) {
    if let deltas {
      for k in deltas.indices { p[k] += deltas[k] }
    } else {
      p[index] += delta
    }
  }
}

/// Runs forward passes and BPTT over preallocated buffers.
///
/// One engine serves many passes of the same shapes without allocating; it grows its buffers
/// when a longer sequence or a larger model arrives. An engine is not thread-safe: give each
/// thread its own.
public final class BPTTEngine {
  private var workspace: Workspace?
  /// Whether the next pass uses the helper thread.
  private var chooser = HelperChooser()
  /// The helper when the last pass used it (the chooser found two threads faster): an update
  /// after the pass should use it then, and only then.
  var helperInUse: HelperThread? { chooser.lastUsedHelper ? helper : nil }
  /// The second core's thread, when the engine uses one; a trainer shares it for its updates.
  let helper: HelperThread?

  /// An engine for one thread.
  /// - Parameter useSecondCore: run part of each forward and backward pass on a helper thread
  ///   (see ``computeGradients(of:on:loss:variant:into:)``); leave it off where other work
  ///   already keeps every core busy, such as the workers of a parallel gradient check. Where
  ///   the process may use one core only, there is no helper.
  public init(useSecondCore: Bool = false) {
    helper = useSecondCore && allowedCoreCount() > 1 ? HelperThread() : nil
  }

  deinit {
    helper?.stop()
  }

  /// The loss of every step of a forward pass, L_1 … L_T, optionally with one value changed
  /// inside it, and beside each the size of what it was computed from, |L_t| + max_k |y_t[k]|
  /// (+ max |target_t| under squared error): its rounding error is a few ulp of that size.
  /// - Throws: ``RNNError`` when the data do not fit the model or the perturbation is out of range.
  public func stepLosses(
    of model: RNN, on data: SequenceData, loss kind: LossKind, perturbing perturbation: Perturbation? = nil
  ) throws -> (losses: [Double], scales: [Double]) {
    try data.validate(for: model, loss: kind)
    if let perturbation { try validate(perturbation, model: model, steps: data.count) }
    let ws = prepare(model, data)
    _ = ws.forward(model, data, kind, perturbation, backwardInput: false)
    return stepLossesAndScales(ws, data, kind)
  }

  /// What ``stepLosses(of:on:loss:perturbing:)`` gives for `trace`'s model with one element of a
  /// parameter set to `value`, bit for bit, computing only what that element can change: an
  /// element of Why or by changes one element of each y_t; a column of Wxh under one-hot inputs
  /// is read only at the steps whose input it is, so the pass starts at the first of them (and
  /// is not run at all when no step reads it). Whh and bh need the whole pass.
  /// - Precondition: `index` is an element of `parameter`; the trace's data were validated.
  public func stepLosses(
    of trace: Trace, changing parameter: Parameter, index: Int, to value: Double
  ) -> (losses: [Double], scales: [Double]) {
    let (model, data) = (trace.model, trace.data)
    let ws = prepare(model, data)
    let cols = model.parameters[parameter].cols
    switch (parameter, data.inputs) {
    case (.why, _), (.by, _):
      ws.lossesChangingOutput(
        row: index / cols, column: parameter == .why ? index % cols : nil, to: value, of: trace, data, trace.lossKind)
      return stepLossesAndScales(ws, data, trace.lossKind)
    case (.wxh, .indices(let indices)):
      guard let first = indices.firstIndex(of: index % cols) else {
        ws.resume(from: trace, startingAt: data.count + 1)
        return stepLossesAndScales(ws, data, trace.lossKind)
      }
      var changed = model
      changed.parameters[parameter, index] = value
      ws.resume(from: trace, startingAt: first + 1)
      _ = ws.forward(changed, data, trace.lossKind, nil, backwardInput: false, from: first + 1)
      return stepLossesAndScales(ws, data, trace.lossKind)
    default:
      var changed = model
      changed.parameters[parameter, index] = value
      _ = ws.forward(changed, data, trace.lossKind, nil, backwardInput: false)
      return stepLossesAndScales(ws, data, trace.lossKind)
    }
  }

  /// L_t of the workspace's last pass, with the size it is computed to (``lossScale``) beside each.
  private func stepLossesAndScales(_ ws: Workspace, _ data: SequenceData, _ kind: LossKind) -> (
    losses: [Double], scales: [Double]
  ) {
    let (steps, nOut) = (ws.shape.steps, ws.shape.output)
    var losses = [Double](repeating: 0, count: steps)
    var scales = [Double](repeating: 0, count: steps)
    for r in 0..<steps {
      losses[r] = ws.losses[r]
      scales[r] = lossScale(kind, data, step: r, loss: losses[r], y: ws.ys + r &* nOut, count: nOut)
    }
    return (losses, scales)
  }

  /// The total loss Σ_t L_t of a forward pass, optionally with one value changed inside it.
  /// - Throws: ``RNNError`` when the data do not fit the model or the perturbation is out of range.
  public func loss(
    of model: RNN, on data: SequenceData, loss kind: LossKind, perturbing perturbation: Perturbation? = nil
  ) throws -> Double {
    try data.validate(for: model, loss: kind)
    if let perturbation { try validate(perturbation, model: model, steps: data.count) }
    let ws = prepare(model, data)
    return ws.forward(model, data, kind, perturbation, backwardInput: false)
  }

  /// The loss and the gradients `dWxh dWhh dWhy dbh dby` of one forward and backward pass.
  /// - Throws: ``RNNError`` when the data do not fit the model.
  public func gradients(
    of model: RNN, on data: SequenceData, loss kind: LossKind, variant: BPTTVariant = .correct
  ) throws -> (loss: Double, gradients: ParameterSet) {
    try data.validate(for: model, loss: kind)
    var gradients = ParameterSet(inputSize: model.inputSize, hiddenSize: model.hiddenSize, outputSize: model.outputSize)
    let loss = try computeGradients(of: model, on: data, loss: kind, variant: variant, into: &gradients)
    return (loss, gradients)
  }

  /// The loss of one forward and backward pass, its gradients written into `gradients`, whose
  /// storage is reused when it has the model's shapes: the training loop's path, with no allocation.
  /// - Throws: ``RNNError`` when the data do not fit the model.
  public func computeGradients(
    of model: RNN, on data: SequenceData, loss kind: LossKind, variant: BPTTVariant = .correct,
    into gradients: inout ParameterSet
  ) throws -> Double {
    try data.validate(for: model, loss: kind)
    guard helper != nil, Workspace.splitColumn(hidden: model.hiddenSize) != nil else {
      chooser.passWithoutHelper()
      return computeGradients(model, data, kind, variant, &gradients, helper: nil)
    }
    // Two threads are faster on an idle machine and much slower on a busy one (the helper waits
    // for a thread that is not running): the chooser times both now and then and takes the
    // faster. Both give the same bits.
    let useHelper = chooser.next()
    let start = DispatchTime.now().uptimeNanoseconds
    let loss = computeGradients(model, data, kind, variant, &gradients, helper: useHelper ? helper : nil)
    chooser.record(Double(DispatchTime.now().uptimeNanoseconds - start), helper: useHelper)
    return loss
  }

  /// Runs `body`, a run of passes on this engine (a training loop), with the calling thread kept
  /// off the helper thread's core, so that the two never share one; the thread's CPU mask is
  /// put back afterwards. Setting the mask costs more than a pass saves, so it is done once for
  /// the run, not per pass.
  public func keepingCoresApart<R>(_ body: () throws -> R) rethrows -> R {
    guard let helper else { return try body() }
    return try helper.keepingOwnerOffHelperCore(body)
  }

  private func computeGradients(
    _ model: RNN, _ data: SequenceData, _ kind: LossKind, _ variant: BPTTVariant, _ gradients: inout ParameterSet,
    helper: HelperThread?
  ) -> Double {
    let ws = prepare(model, data)
    let split = Workspace.splitColumn(hidden: ws.shape.hidden)
    let loss: Double
    if let helper, let split {
      loss = ws.forwardOnTwoThreads(model, data, kind, helper: helper, split: split)
    } else {
      loss = ws.forward(model, data, kind, nil, backwardInput: true)
    }
    if gradients.wxh.rows != ws.shape.hidden || gradients.wxh.cols != ws.shape.input
      || gradients.why.rows != ws.shape.output
    {
      gradients = ParameterSet(inputSize: ws.shape.input, hiddenSize: ws.shape.hidden, outputSize: ws.shape.output)
    }
    gradients.withGradientPointers { pointers in
      if let helper, let split {
        ws.backwardOnTwoThreads(model, data, variant, helper: helper, split: split, into: pointers)
      } else {
        ws.backward(model, data, variant, into: pointers)
      }
    }
    return loss
  }

  /// A full record of one forward and backward pass: every quantity at every step.
  /// - Parameter keepRunningTotals: also keep each gradient's running total after every step
  ///   (T copies of the parameters), unless that would exceed ``Trace/maximumRunningTotalElements``.
  /// - Throws: ``RNNError`` when the data do not fit the model.
  public func record(
    model: RNN, data: SequenceData, loss kind: LossKind, variant: BPTTVariant = .correct,
    keepRunningTotals: Bool = true
  ) throws -> Trace {
    try data.validate(for: model, loss: kind)
    let ws = prepare(model, data)
    let loss = ws.forward(model, data, kind, nil, backwardInput: true)
    ws.backward(model, data, variant, into: nil)
    // Each running total is its own sum over steps t…T: T²/2 row sums in all, so keep them
    // only while both the memory and that work stay small.
    let elements = model.parameters.elementCount
    let keep =
      keepRunningTotals && data.count * elements <= Trace.maximumRunningTotalElements
      && data.count * (data.count + 1) / 2 * elements <= Trace.maximumRunningTotalWork
    return Trace(
      model: model, data: data, lossKind: kind, variant: variant, loss: loss, workspace: ws,
      keepRunningTotals: keep)
  }

  /// h_T of the last pass: the state min-char-rnn carries into the next chunk as hprev.
  public func finalHiddenState() -> [Double] {
    guard let ws = workspace else { return [] }
    let s = ws.shape
    return Array(UnsafeBufferPointer(start: ws.hs + s.steps * s.hidden, count: s.hidden))
  }

  private func validate(_ p: Perturbation, model: RNN, steps: Int) throws {
    let n = p.quantity.length(hidden: model.hiddenSize, output: model.outputSize)
    if let deltas = p.deltas {
      guard deltas.count == n else {
        throw RNNError.outOfRange("a change of \(deltas.count) elements to a vector of \(n)")
      }
    } else {
      guard p.index >= 0 && p.index < n else {
        throw RNNError.outOfRange("element \(p.index) is outside 0 to \(n - 1)")
      }
    }
    switch p.quantity {
    case .h(let t) where t < 0 || t > steps:
      throw RNNError.outOfRange("h[\(t)] does not exist: t runs from 0 to \(steps) (0 is h0)")
    case .a(let t) where t < 1 || t > steps:
      throw RNNError.outOfRange("a[\(t)] does not exist: t runs from 1 to \(steps)")
    case .hIntoStep(let t) where t < 1 || t > steps, .y(let t) where t < 1 || t > steps:
      throw RNNError.outOfRange("step \(t) does not exist: t runs from 1 to \(steps)")
    default: break
    }
  }

  private func prepare(_ model: RNN, _ data: SequenceData) -> Workspace {
    let shape = Workspace.Shape(
      steps: data.count, hidden: model.hiddenSize, input: model.inputSize, output: model.outputSize)
    if let ws = workspace, ws.shape == shape { return ws }
    let ws = Workspace(shape: shape)
    workspace = ws
    return ws
  }
}

/// Chooses, pass by pass, between one thread and two, by timing both: in every 128 passes, 4 with
/// the helper and 4 without, then the faster of the two for the other 120.
struct HelperChooser {
  static let period = 128
  static let trials = 4
  private var pass = 0
  private var withHelper = 0.0
  private var without = 0.0
  private var useHelper = true
  /// What the last pass used.
  private(set) var lastUsedHelper = true

  /// Whether the next pass uses the helper.
  mutating func next() -> Bool {
    let k = pass % HelperChooser.period
    lastUsedHelper = k < HelperChooser.trials || (k >= 2 * HelperChooser.trials && useHelper)
    return lastUsedHelper
  }

  /// A pass that could not use the helper (a model too small to share) ran on one thread.
  mutating func passWithoutHelper() {
    lastUsedHelper = false
  }

  /// The time the pass took (any unit).
  mutating func record(_ elapsed: Double, helper: Bool) {
    let k = pass % HelperChooser.period
    if k < HelperChooser.trials {
      withHelper = k == 0 ? elapsed : Swift.min(withHelper, elapsed)
    } else if k < 2 * HelperChooser.trials {
      without = k == HelperChooser.trials ? elapsed : Swift.min(without, elapsed)
      if k == 2 * HelperChooser.trials - 1 { useHelper = withHelper <= without }
    }
    pass &+= 1
  }
}
