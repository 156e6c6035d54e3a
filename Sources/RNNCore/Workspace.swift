import CPlatform
import Foundation
import Synchronization

/// The buffers of one pass and the kernels of forward and BPTT that fill them.
///
/// Quantities over time have one row per step: row t−1 holds step t (t = 1…T); `hs` has T+1
/// rows, row 0 being h0. Nothing is allocated per pass.
///
/// With a ``HelperThread`` a pass uses two cores, each doing half of every part of it: the
/// recurrences (which must take the steps in order) by columns, one handshake per step; y, p, L,
/// dy and Why^T dy for half the steps each, as matrix–matrix products; and the gradients by
/// rows. A recurrence step reads all of Whh (80 KB at min-char-rnn's size, more than L1 holds);
/// in halves, each core streams 40 KB of it from its own L2. Both threads run the same chains of
/// operations on disjoint elements, so the results are bit for bit those of one thread.
final class Workspace: @unchecked Sendable {
  struct Shape: Equatable {
    var steps: Int
    var hidden: Int
    var input: Int
    var output: Int
  }

  let shape: Shape
  /// x_t (T×Vin) for vector inputs.
  let xs: UnsafeMutablePointer<Double>
  /// a_t (T×H).
  let preactivations: UnsafeMutablePointer<Double>
  /// h_0 … h_T ((T+1)×H).
  let hs: UnsafeMutablePointer<Double>
  /// y_t, p_t (zero under squared error), dy_t (T×V).
  let ys: UnsafeMutablePointer<Double>
  let ps: UnsafeMutablePointer<Double>
  let dys: UnsafeMutablePointer<Double>
  /// dh_t, dh_raw_t, and dh_next computed at step t (= dL/dh_{t−1}) (T×H).
  let dhs: UnsafeMutablePointer<Double>
  let dhRaws: UnsafeMutablePointer<Double>
  let dhNexts: UnsafeMutablePointer<Double>
  /// L_t (T).
  let losses: UnsafeMutablePointer<Double>
  /// Whh^T (H×H) and Why^T (H×V), refreshed by each forward pass.
  private let whhT: UnsafeMutablePointer<Double>
  private let whyT: UnsafeMutablePointer<Double>
  /// The helper thread's own buffers, made for the first pass on two threads (H² numbers more).
  private var helperBuffers: HelperBuffers?
  /// Owns every buffer above.
  private let buffers: ZeroedBuffers
  /// What ``lossesChangingOutput(row:column:to:of:_:_:)`` reuses of the last pass it was asked about.
  private var cachedOutputs: OutputCache?
  /// How far each thread's share of a recurrence has come, for the other to follow: forward, the
  /// last step whose h_t columns it wrote (0 before the first); backward, the last step whose
  /// dh_raw_t columns it wrote (T + 1 before the first).
  private let ownerProgress = ProgressCounter()
  private let helperProgress = ProgressCounter()

  init(shape: Shape) {
    self.shape = shape
    let (t, h, vIn, v) = (shape.steps, shape.hidden, shape.input, shape.output)
    let storage = ZeroedBuffers()
    let buffer = storage.make
    xs = buffer(t * vIn)
    // One row more, unused, in front: row t−1 of a (a_t) then starts as far into a cache line as
    // row t of h (h_t), and one split of the columns keeps the two threads' halves of both on
    // lines of their own (forwardOnTwoThreads).
    preactivations = buffer((t + 1) * h) + h
    hs = buffer((t + 1) * h)
    ys = buffer(t * v)
    ps = buffer(t * v)
    dys = buffer(t * v)
    dhs = buffer(t * h)
    dhRaws = buffer(t * h)
    // Shifted so that row r starts as far into a cache line as row r − 1 of the others: step t
    // writes row t − 1 of dh_next split where row t − 2's lines split (recurrenceShare).
    let shift = (8 - h % 8) % 8
    dhNexts = buffer(t * h + shift) + shift
    losses = buffer(t)
    whhT = buffer(h * h)
    whyT = buffer(h * v)
    buffers = storage
  }

  // MARK: Forward

  /// Runs the forward pass, filling a, h, y, p, dy and L for every step; returns Σ_t L_t.
  /// - Parameter backwardInput: also compute Why^T dy_t into `dhs`, which BPTT starts from.
  /// - Parameter start: the first step computed; the rows of the steps before it (h_0 … h_{start−1},
  ///   L_t and y_t) must already hold that pass's values (``resume(from:startingAt:)``).
  func forward(
    _ model: RNN, _ data: SequenceData, _ kind: LossKind, _ perturbation: Perturbation?, backwardInput: Bool,
    from start: Int = 1
  ) -> Double {
    let (steps, nh, nIn) = (shape.steps, shape.hidden, shape.input)
    if start == 1 { model.h0.withUnsafeBufferPointer { hs.update(from: $0.baseAddress!, count: nh) } }
    if let perturbation, case .h(0) = perturbation.quantity { perturbation.apply(to: hs) }
    if case .vectors(let m) = data.inputs {
      m.storage.withUnsafeBufferPointer { xs.update(from: $0.baseAddress!, count: steps * nIn) }
    }
    return withPointers(model.parameters) { p in
      // Whh^T and Why^T, so that the products below are sums of rows (see weightedRowSum).
      transpose(p.whh, rows: nh, cols: nh, into: whhT)
      transpose(p.why, rows: shape.output, cols: nh, into: whyT)
      inputParts(p, data, from: start)
      // The recurrence, t = 1…T in order.
      for t in start...steps {
        let r = t &- 1
        let a = preactivations + r &* nh
        let h = hs + t &* nh
        // a_t = Wxh x_t + Whh h_{t-1} + bh   (H×Vin · Vin + H×H · H + H)
        //   adding Whh h_{t-1} = Σ_j h_{t-1}[j] Whh^T[j,:]
        var unperturbed: [Double]?
        if let perturbation, case .hIntoStep(t) = perturbation.quantity {
          unperturbed = Array(UnsafeBufferPointer(start: hs + r &* nh, count: nh))
          perturbation.apply(to: hs + r &* nh)
        }
        weightedRowSum(
          into: a, nh, terms: nh, coefficients: hs + r &* nh, 1, rows: whhT, nh, accumulate: true,
          reversed: t & 1 == 0)
        if let unperturbed { (hs + r &* nh).update(from: unperturbed, count: nh) }
        if let perturbation, case .a(t) = perturbation.quantity { perturbation.apply(to: a) }
        // h_t = tanh(a_t)
        applyLanewise(.tanh, a, h, nh)
        if let perturbation, case .h(t) = perturbation.quantity { perturbation.apply(to: h) }
      }
      outputs(
        steps: (start &- 1)..<steps, p, whyT: whyT, losses: losses, data, kind, perturbation,
        backwardInput: backwardInput)
      return totalLoss()
    }
  }

  /// Σ_t L_t, in step order.
  private func totalLoss() -> Double {
    var total = 0.0
    for r in 0..<shape.steps { total += losses[r] }
    return total
  }

  /// The input part of a_t for steps `start`…T: Wxh x_t + bh (one-hot x_t picks column x_t of Wxh).
  private func inputParts(_ p: ParameterPointers, _ data: SequenceData, from start: Int) {
    for r in (start &- 1)..<shape.steps { inputPart(row: r, columns: 0..<shape.hidden, p, data) }
  }

  /// Elements `columns` of the input part of the a_t in row `r`.
  @inline(__always)
  private func inputPart(row r: Int, columns: Range<Int>, _ p: ParameterPointers, _ data: SequenceData) {
    let (nh, nIn) = (shape.hidden, shape.input)
    let a = preactivations + r &* nh
    switch data.inputs {
    case .indices(let indices):
      let x = indices[r]
      for i in columns { a[i] = p.wxh[i &* nIn &+ x] + p.bh[i] }
    case .vectors:
      for i in columns { a[i] = dot(p.wxh + i &* nIn, xs + r &* nIn, nIn) + p.bh[i] }
    }
  }

  // MARK: Two threads

  /// The column where the two threads' shares of a recurrence meet: a multiple of 4 near H/2
  /// inside the columns that the row sum gives one chain each (see weightedRowSum), so that each
  /// share keeps the whole sum's chains; nil below H = 64, where a second thread does not pay.
  static func splitColumn(hidden nh: Int) -> Int? {
    let wide = nh / 32 &* 32
    guard wide >= 64 else { return nil }
    return Swift.min(wide, nh / 2 / 4 &* 4)
  }

  /// Where step t's two halves of h_t and a_t meet: `split` or a neighbour 4 columns away at which
  /// the row splits on a cache-line boundary (every buffer starts on one), so that the threads
  /// never write the same line; `split` where no neighbour does.
  private func split(_ split: Int, forRow q: Int) -> Int {
    let nh = shape.hidden
    let wide = nh / 32 &* 32
    func onBoundary(_ s: Int) -> Bool { s >= 4 && s <= wide && (nh &* q &+ s) % 8 == 0 }
    if onBoundary(split) { return split }
    if onBoundary(split &+ 4) { return split &+ 4 }
    return onBoundary(split &- 4) ? split &- 4 : split
  }

  /// What the helper thread writes and reads alone in a pass on two threads: its copies of Whh^T
  /// (its columns) and Why^T, since a line that one core writes and the other reads moves between
  /// their caches on every pass, which cost more than the copies; and L_t of its steps, copied
  /// into `losses` afterwards, whose halves would share a line.
  private struct HelperBuffers: @unchecked Sendable {
    let whhT: UnsafeMutablePointer<Double>
    let whyT: UnsafeMutablePointer<Double>
    let losses: UnsafeMutablePointer<Double>
  }

  /// The helper's buffers, made on first use (on the owning thread).
  private func helperScratch() -> HelperBuffers {
    if let helperBuffers { return helperBuffers }
    let made = HelperBuffers(
      whhT: buffers.make(shape.hidden * shape.hidden), whyT: buffers.make(shape.hidden * shape.output),
      losses: buffers.make(shape.steps))
    helperBuffers = made
    return made
  }

  /// The forward pass of ``forward(_:_:_:_:backwardInput:from:)`` (from step 1, nothing
  /// perturbed, with Why^T dy_t) on this thread and `helper`: the recurrence by columns (this
  /// thread those below about `split`, the helper the rest; ``split(_:forRow:)``), each step
  /// waiting for the other's half of h_{t−1}; then y, p, L, dy and Why^T dy for half the steps
  /// each. Returns Σ_t L_t.
  func forwardOnTwoThreads(
    _ model: RNN, _ data: SequenceData, _ kind: LossKind, helper: HelperThread, split: Int
  ) -> Double {
    let (steps, nh, nIn) = (shape.steps, shape.hidden, shape.input)
    model.h0.withUnsafeBufferPointer { hs.update(from: $0.baseAddress!, count: nh) }
    if case .vectors(let m) = data.inputs {
      m.storage.withUnsafeBufferPointer { xs.update(from: $0.baseAddress!, count: steps * nIn) }
    }
    let helperOwn = helperScratch()
    return withPointers(model.parameters) { p in
      ownerProgress.value.store(0, ordering: .relaxed)
      helperProgress.value.store(0, ordering: .relaxed)
      // Each thread makes what it reads: its columns of Whh^T (four more, for the rows that split
      // 4 columns away), Why^T, and its elements of the input parts, all before the recurrence:
      // the input parts read a column of Wxh a step, a cache line for each element, which in the
      // recurrence pushed Whh^T out of L1.
      helper.concurrently(
        { [self] in
          let first = Swift.max(0, split &- 4)
          transpose(p.whh + first &* nh, rows: nh &- first, cols: nh, into: helperOwn.whhT + first, outputStride: nh)
          transpose(p.why, rows: shape.output, cols: nh, into: helperOwn.whyT)
          for t in 1...steps { inputPart(row: t &- 1, columns: self.split(split, forRow: t)..<nh, p, data) }
          for t in 1...steps {
            var backoff = Backoff()
            while ownerProgress.value.load(ordering: .acquiring) < t &- 1 { backoff.pause() }
            recurrenceStep(t, columns: self.split(split, forRow: t)..<nh, whhT: helperOwn.whhT, reversed: t & 1 == 0)
            helperProgress.value.store(t, ordering: .releasing)
          }
        },
        {
          transpose(p.whh, rows: Swift.min(nh, split &+ 4), cols: nh, into: whhT, outputStride: nh)
          transpose(p.why, rows: shape.output, cols: nh, into: whyT)
          for t in 1...steps { inputPart(row: t &- 1, columns: 0..<self.split(split, forRow: t), p, data) }
          for t in 1...steps {
            var backoff = Backoff()
            while helperProgress.value.load(ordering: .acquiring) < t &- 1 { backoff.pause() }
            recurrenceStep(t, columns: 0..<self.split(split, forRow: t), whhT: whhT, reversed: t & 1 == 0)
            ownerProgress.value.store(t, ordering: .releasing)
          }
        })
      let half = steps / 2
      helper.concurrently(
        { [self] in outputs(steps: half..<steps, p, whyT: helperOwn.whyT, losses: helperOwn.losses, data, kind) },
        { outputs(steps: 0..<half, p, whyT: whyT, losses: losses, data, kind) })
      (losses + half).update(from: helperOwn.losses + half, count: steps &- half)
      return totalLoss()
    }
  }

  /// Columns `columns` of a_t and h_t: a_t = (Wxh x_t + bh, already there) + Whh h_{t−1}, then tanh.
  @inline(__always)
  private func recurrenceStep(_ t: Int, columns: Range<Int>, whhT: UnsafeMutablePointer<Double>, reversed: Bool) {
    let nh = shape.hidden
    let r = t &- 1
    let a = preactivations + r &* nh
    weightedRowSum(
      columns: columns, of: nh, into: a, terms: nh, coefficients: hs + r &* nh, 1, rows: whhT, nh, accumulate: true,
      reversed: reversed)
    applyLanewise(.tanh, a + columns.lowerBound, hs + t &* nh + columns.lowerBound, columns.count)
  }

  /// Everything of the steps in `rows` that follows from h_t: y_t, p_t, L_t (into `losses`), dy_t,
  /// and with `backwardInput` Why^T dy_t (into `dhs`). Each product for all the steps at once (a
  /// matrix–matrix product, Why read once for four steps), each element the chain that
  /// ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)`` gives it.
  private func outputs(
    steps rows: Range<Int>, _ p: ParameterPointers, whyT: UnsafeMutablePointer<Double>,
    losses: UnsafeMutablePointer<Double>, _ data: SequenceData, _ kind: LossKind, _ perturbation: Perturbation? = nil,
    backwardInput: Bool = true
  ) {
    guard !rows.isEmpty else { return }
    let (nh, nOut) = (shape.hidden, shape.output)
    let first = rows.lowerBound
    // y_t = Why h_t + by = by + Σ_j h_t[j] Why^T[j,:]   (V×H · H + V)
    for r in rows { (ys + r &* nOut).update(from: p.by, count: nOut) }
    weightedRowSums(
      outputs: rows.count, into: ys + first &* nOut, nOut, nOut, terms: nh, coefficients: hs + (first &+ 1) &* nh, 1,
      outputStride: nh, rows: whyT, nOut, accumulate: true)
    if let perturbation, case .y(let t) = perturbation.quantity, rows.contains(t &- 1) {
      perturbation.apply(to: ys + (t &- 1) &* nOut)
    }
    for r in rows { losses[r] = lossAndGradientInput(kind, data, step: r) }
    // Why^T dy_t = Σ_k dy_t[k] Why[k,:]: the part of dh_t that does not wait for dh_next.
    guard backwardInput else { return }
    weightedRowSums(
      outputs: rows.count, into: dhs + first &* nh, nh, nh, terms: nOut, coefficients: dys + first &* nOut, 1,
      outputStride: nOut, rows: p.why, nh)
  }

  /// BPTT after ``forwardOnTwoThreads(_:_:_:helper:split:)``, with the five gradients, on this
  /// thread and `helper`: the recurrence by columns, each step's dh_next waiting for the other's
  /// half of dh_raw_t; then half the rows of each gradient each.
  func backwardOnTwoThreads(
    _ model: RNN, _ data: SequenceData, _ variant: BPTTVariant, helper: HelperThread, split: Int,
    into gradients: GradientPointers
  ) {
    let (steps, nh, nOut) = (shape.steps, shape.hidden, shape.output)
    ownerProgress.value.store(steps &+ 1, ordering: .relaxed)
    helperProgress.value.store(steps &+ 1, ordering: .relaxed)
    model.parameters.whh.storage.withUnsafeBufferPointer { whhBuffer in
      let whh = ParameterPointers.Row(whhBuffer.baseAddress!)
      helper.concurrently(
        { [self] in recurrenceShare(split: split, whh: whh.pointer, variant, onHelper: true) },
        { recurrenceShare(split: split, whh: whh.pointer, variant, onHelper: false) })
    }
    let (outputHalf, hiddenHalf) = (nOut / 2, nh / 2)
    helper.concurrently(
      { [self] in
        sumOutputGradients(rows: outputHalf..<nOut, variant, fromStep: 1, into: gradients)
        sumHiddenGradients(rows: hiddenHalf..<nh, data, variant, fromStep: 1, into: gradients)
      },
      {
        sumOutputGradients(rows: 0..<outputHalf, variant, fromStep: 1, into: gradients)
        sumHiddenGradients(rows: 0..<hiddenHalf, data, variant, fromStep: 1, into: gradients)
      })
  }

  /// One thread's columns of BPTT's recurrence, t = T down to 1: its columns of dh_t and
  /// dh_raw_t, a sign to the other thread, then (once the other's columns of dh_raw_t are there)
  /// its columns of dh_next = Whh^T dh_raw_t. Each row splits where its cache lines do
  /// (``split(_:forRow:)``); a thread's columns of dh_next are those of dh it adds them to at the
  /// next step, so that it never waits for the other's.
  private func recurrenceShare(split base: Int, whh: UnsafePointer<Double>, _ variant: BPTTVariant, onHelper: Bool) {
    let (steps, nh) = (shape.steps, shape.hidden)
    let (hRows, hStride) = usedStates(variant).h
    func mine(_ split: Int) -> Range<Int> { onHelper ? split..<nh : 0..<split }
    for t in stride(from: steps, through: 1, by: -1) {
      let r = t &- 1
      let h = hRows + r &* hStride
      let dh = dhs + r &* nh
      let dhRaw = dhRaws + r &* nh
      let columns = mine(split(base, forRow: r))
      if t < steps { axpy(1, dhNexts + t &* nh + columns.lowerBound, dh + columns.lowerBound, columns.count) }
      for i in columns { dhRaw[i] = (1 - h[i] * h[i]) * dh[i] }
      var backoff = Backoff()
      if onHelper {
        helperProgress.value.store(t, ordering: .releasing)
        while ownerProgress.value.load(ordering: .acquiring) > t { backoff.pause() }
      } else {
        ownerProgress.value.store(t, ordering: .releasing)
        while helperProgress.value.load(ordering: .acquiring) > t { backoff.pause() }
      }
      weightedRowSum(
        columns: mine(split(base, forRow: Swift.max(r &- 1, 0))), of: nh, into: dhNexts + r &* nh, terms: nh,
        coefficients: dhRaw, 1, rows: whh, nh, reversed: t & 1 == 0)
    }
  }

  /// Puts the first `start − 1` steps of a recorded pass (h_0 … h_{start−1}, y_t and L_t) into
  /// the buffers, for a ``forward(_:_:_:_:backwardInput:from:)`` that starts at `start`.
  func resume(from trace: Trace, startingAt start: Int) {
    let (nh, nOut) = (shape.hidden, shape.output)
    trace.hs.storage.withUnsafeBufferPointer { hs.update(from: $0.baseAddress!, count: start &* nh) }
    trace.ys.storage.withUnsafeBufferPointer { ys.update(from: $0.baseAddress!, count: (start &- 1) &* nOut) }
    for r in 0..<(start &- 1) { losses[r] = trace.losses[r] }
  }

  /// L_t of every step when one element of Why (`column` j) or of by (`column` nil) in `row` k is
  /// `value` instead of the recorded pass's: only y_t[k] changes, so each step recomputes that
  /// element (with the same chain of multiply-adds as ``outputs(steps:_:whyT:losses:_:_:_:backwardInput:)``,
  /// hence the same bits as a whole pass) and its loss.
  func lossesChangingOutput(
    row k: Int, column j: Int?, to value: Double, of trace: Trace, _ data: SequenceData, _ kind: LossKind
  ) {
    let (steps, nh, nOut) = (shape.steps, shape.hidden, shape.output)
    let why = trace.model.parameters.why
    trace.ys.storage.withUnsafeBufferPointer { ys.update(from: $0.baseAddress!, count: steps &* nOut) }
    trace.hs.storage.withUnsafeBufferPointer { hsBuffer in
      why.storage.withUnsafeBufferPointer { whyBuffer in
        let whyRow = whyBuffer.baseAddress! + k &* nh
        let start = j == nil ? value : trace.model.parameters.by.storage[k]
        let cache = kind == .softmax ? outputCache(for: trace) : nil
        for r in 0..<steps {
          let h = hsBuffer.baseAddress! + (r &+ 1) &* nh
          ys[r &* nOut &+ k] = rowSumElement(column: k, of: nOut, terms: nh, start: start) { m in
            (h[m], m == j ? value : whyRow[m])
          }
          if let cache, let loss = cache.softmaxLoss(step: r, changed: k, to: ys[r &* nOut &+ k], y: ys, data) {
            losses[r] = loss
          } else {
            losses[r] = lossAndGradientInput(kind, data, step: r)
          }
        }
      }
    }
  }

  /// The ``OutputCache`` of `trace`'s pass, made on first use and kept while the same pass is asked about.
  private func outputCache(for trace: Trace) -> OutputCache {
    if let cache = cachedOutputs, cache.isOf(trace) { return cache }
    let cache = OutputCache(trace)
    cachedOutputs = cache
    return cache
  }

  /// L_t for the step in row `r`, with p_t and dy_t beside it: a loss's value and its derivative
  /// in one place.
  private func lossAndGradientInput(_ kind: LossKind, _ data: SequenceData, step r: Int) -> Double {
    let nOut = shape.output
    return RNNCore.lossAndGradientInput(
      kind, data, step: r, y: ys + r &* nOut, p: ps + r &* nOut, dy: dys + r &* nOut, count: nOut)
  }

  // MARK: Backward

  /// BPTT after ``forward(_:_:_:_:backwardInput:from:)`` (with `backwardInput`): dh, dh_raw
  /// and dh_next for t = T down to 1, and, when `gradients` is given, the five gradients.
  func backward(_ model: RNN, _ data: SequenceData, _ variant: BPTTVariant, into gradients: GradientPointers?) {
    recurrence(model, variant)
    if let gradients { sumGradients(data, variant, fromStep: 1, into: gradients) }
  }

  /// The part of BPTT that must take the steps in order, t = T down to 1.
  private func recurrence(_ model: RNN, _ variant: BPTTVariant) {
    let (steps, nh) = (shape.steps, shape.hidden)
    let (hRows, hStride) = usedStates(variant).h
    model.parameters.whh.storage.withUnsafeBufferPointer { whhBuffer in
      let whh = whhBuffer.baseAddress!
      for t in stride(from: steps, through: 1, by: -1) {
        let r = t &- 1
        let h = hRows + r &* hStride
        let dh = dhs + r &* nh
        let dhRaw = dhRaws + r &* nh
        // dh_t = Why^T dy_t + dh_next   (dh_next from step t+1, zero at t = T)
        if t < steps { axpy(1, dhNexts + t &* nh, dh, nh) }
        // dh_raw_t = (1 − h_t ⊙ h_t) ⊙ dh_t   (tanh'(a) = 1 − tanh(a)²)
        for i in 0..<nh { dhRaw[i] = (1 - h[i] * h[i]) * dh[i] }
        // dh_next = Whh^T dh_raw_t = Σ_i dh_raw_t[i] Whh[i,:]   (dL/dh_{t-1}, passed to step t-1)
        weightedRowSum(
          into: dhNexts + r &* nh, nh, terms: nh, coefficients: dhRaw, 1, rows: whh, nh, reversed: t & 1 == 0)
      }
    }
  }

  /// The h_t and h_{t−1} that BPTT step t uses, as (first row, row stride) in `hs`: each step's
  /// own (correct), or the seed tutorial's h_T and h_0 for every step (stride 0 repeats a row).
  private func usedStates(_ variant: BPTTVariant) -> (
    h: (UnsafePointer<Double>, Int), hPrevious: (UnsafePointer<Double>, Int)
  ) {
    let nh = shape.hidden
    switch variant {
    case .correct: return ((UnsafePointer(hs + nh), nh), (UnsafePointer(hs), nh))
    case .seed: return ((UnsafePointer(hs + shape.steps &* nh), 0), (UnsafePointer(hs), 0))
    case .equations, .mystery: preconditionFailure("\(variant) is a set of equations, not the engine's backward")
    }
  }

  /// Writes the five gradients summed over steps `first`…T, after the recurrence: with
  /// `first` = 1 the gradients of the pass, with a larger `first` the running totals BPTT holds
  /// once it has visited steps T down to `first`.
  func sumGradients(_ data: SequenceData, _ variant: BPTTVariant, fromStep first: Int, into g: GradientPointers) {
    sumOutputGradients(rows: 0..<shape.output, variant, fromStep: first, into: g)
    sumHiddenGradients(rows: 0..<shape.hidden, data, variant, fromStep: first, into: g)
  }

  /// Rows `rows` of dWhy = Σ_t dy_t h_t^T and of dby = Σ_t dy_t, over steps `first`…T.
  ///
  /// Each row is summed over the steps in registers (``weightedRowSum``), and written once.
  private func sumOutputGradients(
    rows: Range<Int>, _ variant: BPTTVariant, fromStep first: Int, into g: GradientPointers
  ) {
    let (nh, nOut) = (shape.hidden, shape.output)
    let skip = first &- 1
    let terms = shape.steps &- skip
    let (hRows, hStride) = usedStates(variant).h
    guard let first = rows.first else { return }
    // The rows four at a time, sharing the loads of h (the same chains as one row at a time).
    weightedRowSums(
      outputs: rows.count, into: g.dWhy + first &* nh, nh, nh, terms: terms,
      coefficients: dys + (skip &* nOut &+ first), nOut, outputStride: 1, rows: hRows + skip &* hStride, hStride)
    for k in rows { g.dby[k] = biasGradient(dys + k, stride: nOut, fromStep: skip &+ 1) }
  }

  /// Σ_t over steps `first`…T of element `d[(t−1)·stride]` (dby from dy_t, dbh from dh_raw_t), added
  /// one step at a time from t = T down, as min-char-rnn's `dby += dy` does: a bias gradient
  /// element can be a small difference of large terms, and Adagrad's first step, g/√(g² + 1e-8),
  /// turns the last bits of a g near 1e-4 into the 13th digit of the parameter; summed in another
  /// order (four partial sums), by after one update differed from NumPy's by 1e-12 of its size.
  private func biasGradient(_ d: UnsafePointer<Double>, stride: Int, fromStep first: Int) -> Double {
    var sum = 0.0
    for r in Swift.stride(from: shape.steps &- 1, through: first &- 1, by: -1) { sum += d[r &* stride] }
    return sum
  }

  /// Rows `rows` of dWhh = Σ_t dh_raw_t h_{t−1}^T, dbh = Σ_t dh_raw_t and dWxh = Σ_t dh_raw_t x_t^T,
  /// over steps `first`…T.
  private func sumHiddenGradients(
    rows: Range<Int>, _ data: SequenceData, _ variant: BPTTVariant, fromStep first: Int, into g: GradientPointers
  ) {
    let (nh, nIn) = (shape.hidden, shape.input)
    let skip = first &- 1
    let terms = shape.steps &- skip
    let (hPreviousRows, hPreviousStride) = usedStates(variant).hPrevious
    guard let first = rows.first else { return }
    // The rows four at a time, sharing the loads of h_{t−1} and x_t (the same chains as one row
    // at a time).
    weightedRowSums(
      outputs: rows.count, into: g.dWhh + first &* nh, nh, nh, terms: terms,
      coefficients: dhRaws + (skip &* nh &+ first), nh, outputStride: 1,
      rows: hPreviousRows + skip &* hPreviousStride, hPreviousStride)
    if case .vectors = data.inputs {
      weightedRowSums(
        outputs: rows.count, into: g.dWxh + first &* nIn, nIn, nIn, terms: terms,
        coefficients: dhRaws + (skip &* nh &+ first), nh, outputStride: 1, rows: xs + skip &* nIn, nIn)
    }
    for i in rows {
      g.dbh[i] = biasGradient(dhRaws + i, stride: nh, fromStep: skip &+ 1)
      if case .indices(let indices) = data.inputs {
        // One-hot x_t: dh_raw_t[i] lands in column x_t of row i.
        let row = g.dWxh + i &* nIn
        row.update(repeating: 0, count: nIn)
        for r in stride(from: shape.steps &- 1, through: skip, by: -1) { row[indices[r]] += dhRaws[r &* nh &+ i] }
      }
    }
  }
}

/// A step count that one thread writes and the other waits on, alone on its cache lines. Stored
/// in the workspace beside the buffers' addresses, each write took that line from the other core,
/// and every read of an address had to fetch it back: a pass on two threads took 175 µs instead
/// of 68.
final class ProgressCounter: Sendable {
  private let before = Padding()
  let value = Atomic<Int>(0)
  private let after = Padding()

  /// 128 bytes: a cache line and the one the processor fetches beside it.
  private struct Padding {
    let words = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  }
}

/// The storage of five gradient matrices being written, shared with the helper thread, which
/// writes rows the owning thread does not.
struct GradientPointers: @unchecked Sendable {
  let dWxh: UnsafeMutablePointer<Double>
  let dWhh: UnsafeMutablePointer<Double>
  let dWhy: UnsafeMutablePointer<Double>
  let dbh: UnsafeMutablePointer<Double>
  let dby: UnsafeMutablePointer<Double>
}

/// The storage of the five parameter matrices, read by both threads during a pass.
struct ParameterPointers: @unchecked Sendable {
  /// One matrix's storage, to hand to the helper thread.
  struct Row: @unchecked Sendable {
    let pointer: UnsafePointer<Double>
    init(_ pointer: UnsafePointer<Double>) { self.pointer = pointer }
  }

  let wxh: UnsafePointer<Double>
  let whh: UnsafePointer<Double>
  let why: UnsafePointer<Double>
  let bh: UnsafePointer<Double>
  let by: UnsafePointer<Double>
}

extension ParameterSet {
  /// Calls `body` with pointers to the five matrices' storage, to be written in place.
  mutating func withGradientPointers<R>(_ body: (GradientPointers) -> R) -> R {
    wxh.storage.withUnsafeMutableBufferPointer { wxh in
      whh.storage.withUnsafeMutableBufferPointer { whh in
        why.storage.withUnsafeMutableBufferPointer { why in
          bh.storage.withUnsafeMutableBufferPointer { bh in
            by.storage.withUnsafeMutableBufferPointer { by in
              body(
                GradientPointers(
                  dWxh: wxh.baseAddress!, dWhh: whh.baseAddress!, dWhy: why.baseAddress!, dbh: bh.baseAddress!,
                  dby: by.baseAddress!))
            }
          }
        }
      }
    }
  }
}

/// Calls `body` with pointers to the five parameter matrices' storage.
private func withPointers<R>(_ p: ParameterSet, _ body: (ParameterPointers) -> R) -> R {
  p.wxh.storage.withUnsafeBufferPointer { wxh in
    p.whh.storage.withUnsafeBufferPointer { whh in
      p.why.storage.withUnsafeBufferPointer { why in
        p.bh.storage.withUnsafeBufferPointer { bh in
          p.by.storage.withUnsafeBufferPointer { by in
            body(
              ParameterPointers(
                wxh: wxh.baseAddress!, whh: whh.baseAddress!, why: why.baseAddress!, bh: bh.baseAddress!,
                by: by.baseAddress!))
          }
        }
      }
    }
  }
}

/// L_t for the step in row `r` from its y_t, with p_t and dy_t written beside it: a loss's value
/// and its derivative in one place.
@inline(__always)
func lossAndGradientInput(
  _ kind: LossKind, _ data: SequenceData, step r: Int, y: UnsafeMutablePointer<Double>,
  p: UnsafeMutablePointer<Double>, dy: UnsafeMutablePointer<Double>, count nOut: Int
) -> Double {
  switch kind {
  case .softmax:
    guard case .indices(let targets) = data.targets else {
      preconditionFailure("validated: softmax has index targets")
    }
    let (shift, sum) = softmax(y, into: p, count: nOut)
    for k in 0..<nOut { dy[k] = p[k] }
    // L_t = −log p_t[target] = log Σ exp(y − s) + s − y[target]   (exact even when p is tiny;
    // s = 0 but for huge y)
    // dy_t = p_t − onehot(target)
    let target = targets[r]
    dy[target] -= 1
    return log(sum) + shift - y[target]
  case .squared:
    // L_t = ½‖y_t − target_t‖²,  dy_t = y_t − target_t
    switch data.targets {
    case .indices(let targets):
      for k in 0..<nOut { dy[k] = y[k] - (k == targets[r] ? 1 : 0) }
    case .vectors(let m):
      m.storage.withUnsafeBufferPointer { target in
        for k in 0..<nOut { dy[k] = y[k] - target[r &* nOut &+ k] }
      }
    }
    var stepLoss = 0.0
    for k in 0..<nOut {
      p[k] = 0
      stepLoss += dy[k] * dy[k]
    }
    return 0.5 * stepLoss
  }
}

/// The size L_t is computed to a few ulp of: |L_t| + max_k |y_t[k]| (and |target_t[k]|). Under
/// squared error also Σ_k |dy_t[k]| · max(|y_t[k]|, |target_t[k]|): a rounding of y_t[k] moves
/// L_t by dy_t[k] per unit, and dy = y − target is not bounded by 1 as softmax's is (with y and
/// targets near 1e6, L_t's rounding is a thousand times |L_t|'s ulp).
@inline(__always)
func lossScale(
  _ kind: LossKind, _ data: SequenceData, step r: Int, loss: Double, y: UnsafePointer<Double>, count nOut: Int
) -> Double {
  var largest = 0.0
  var weighted = 0.0
  for k in 0..<nOut {
    var size = Swift.abs(y[k])
    var target = 0.0
    switch data.targets {
    case .vectors(let m): target = m[r, k]
    case .indices(let targets): target = targets[r] == k ? 1 : 0
    }
    // (Softmax reads an index target, not a value: it adds nothing to the size.)
    if kind == .squared { size = Swift.max(size, Swift.abs(target)) }
    largest = Swift.max(largest, size)
    // dy = y − target, as lossAndGradientInput computes it.
    if kind == .squared { weighted += Swift.abs(y[k] - target) * size }
  }
  return Swift.abs(loss) + largest + weighted
}

/// What softmax computed in each step of a recorded pass: max y, where it is and the largest of
/// the others, the shift, and e^(y_k − shift) of every k. When a pass changes one y_t[k] and max y
/// stays, L_t needs that one exponential again, not V of them, and the sum over k in the same
/// order gives the bits of the whole softmax.
final class OutputCache {
  /// The recorded y (T×V), kept so that its storage is not reused while the cache answers for it.
  private let ys: [Double]
  private let count: Int
  private var maxima: [Double] = []
  private var argmax: [Int] = []
  private var others: [Double] = []
  private var exps: [Double] = []
  /// Whether every y_t[k] of the step is finite (otherwise the step is recomputed whole).
  private var finite: [Bool] = []

  init(_ trace: Trace) {
    ys = trace.ys.storage
    count = trace.ys.cols
    exps = [Double](repeating: 0, count: ys.count)
    let steps = trace.ys.rows
    ys.withUnsafeBufferPointer { y in
      exps.withUnsafeMutableBufferPointer { e in
        for r in 0..<steps {
          let row = y.baseAddress! + r &* count
          // As softmax computes them.
          var m = -Double.infinity
          for k in 0..<count { m = Swift.max(m, row[k]) }
          let shift = softmaxShift(max: m)
          for k in 0..<count { e[r &* count &+ k] = row[k] - shift }
          applyLanewise(.exp, e.baseAddress! + r &* count, e.baseAddress! + r &* count, count)
          let top = (0..<count).first { row[$0] == m } ?? 0
          var second = -Double.infinity
          for k in 0..<count where k != top { second = Swift.max(second, row[k]) }
          maxima.append(m)
          argmax.append(top)
          others.append(second)
          finite.append((0..<count).allSatisfy { row[$0].isFinite })
        }
      }
    }
  }

  /// Whether this is the cache of `trace`'s pass.
  func isOf(_ trace: Trace) -> Bool {
    trace.ys.storage.withUnsafeBufferPointer { theirs in
      ys.withUnsafeBufferPointer { $0.baseAddress == theirs.baseAddress }
    }
      && trace.ys.storage.count == ys.count
  }

  /// L_t of step `r` when y_t[k] alone is `value` (`y` holds the changed row), the same bits as
  /// ``lossAndGradientInput(_:_:step:y:p:dy:count:)``; nil when max y would change or a value is
  /// not finite (the caller then computes the step whole).
  func softmaxLoss(step r: Int, changed k: Int, to value: Double, y: UnsafePointer<Double>, _ data: SequenceData)
    -> Double?
  {
    guard finite[r], value.isFinite, case .indices(let targets) = data.targets else { return nil }
    let m = maxima[r]
    guard Swift.max(k == argmax[r] ? others[r] : m, value) == m else { return nil }
    let shift = softmaxShift(max: m)
    let base = r &* count
    let sum = withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { row in
      exps.withUnsafeBufferPointer { row.baseAddress!.initialize(from: $0.baseAddress! + base, count: count) }
      row[k] = value - shift
      applyLanewise(.exp, row.baseAddress! + k, row.baseAddress! + k, 1)
      return pairwiseSum(row.baseAddress!, count: count)
    }
    return log(sum) + shift - y[base &+ targets[r]]
  }
}

/// Buffers of Doubles, zeroed when made and freed together when the owner goes.
///
/// Each starts on a cache line of its own and ends with the rest of its last line unused, so that
/// no two buffers share a line: where two threads each write one buffer, neither takes the
/// other's line away.
final class ZeroedBuffers {
  private var all: [UnsafeMutableRawPointer] = []

  /// A buffer of `count` zeros (at least one element).
  func make(_ count: Int) -> UnsafeMutablePointer<Double> {
    let lines = (Swift.max(count, 1) &* 8 &+ 63) / 64
    let raw = UnsafeMutableRawPointer.allocate(byteCount: lines &* 64, alignment: 64)
    all.append(raw)
    let p = raw.bindMemory(to: Double.self, capacity: lines &* 8)
    p.initialize(repeating: 0, count: lines &* 8)
    return p
  }

  deinit {
    for p in all { p.deallocate() }
  }
}
