import Foundation

/// Forward passes of several models that each differ from one recorded pass's model in one
/// element of Whh, run together: what a finite-difference check of Whh needs, 2 passes per
/// element.
///
/// A change to Whh reaches every step, so nothing of the recorded pass can be reused; but the
/// passes share Whh and Why, and taken together each step's Whh h_{t−1} and Why h_t become
/// matrix–matrix products that read each matrix from L2 once for all the passes, not once per pass
/// (``weightedRowSums(outputs:into:_:_:terms:coefficients:_:outputStride:rows:_:accumulate:)``).
/// The one element each pass changes is then recomputed with its own value
/// (``rowSumElement(column:of:terms:start:_:)``). Every number is the same chain of operations
/// as in ``BPTTEngine/stepLosses(of:on:loss:perturbing:)`` of that model alone, so the losses
/// are the same bits (a test compares them).
final class PerturbedBatch {
  /// How many passes run together.
  static let width = 16

  private let trace: Trace
  private let steps: Int
  private let nh: Int
  private let nIn: Int
  private let nOut: Int
  /// Whh^T and Why^T of the recorded model.
  private let whhT: UnsafeMutablePointer<Double>
  private let whyT: UnsafeMutablePointer<Double>
  /// Wxh x_t + bh of every step (T×H): no pass changes it.
  private let inputParts: UnsafeMutablePointer<Double>
  /// h_{t−1} and h_t of every pass (2 × width × H), a_t (width × H), y_t (width × V), and p and
  /// dy of one pass at a time (V each).
  private let previous: UnsafeMutablePointer<Double>
  private let current: UnsafeMutablePointer<Double>
  private let a: UnsafeMutablePointer<Double>
  private let y: UnsafeMutablePointer<Double>
  private let p: UnsafeMutablePointer<Double>
  private let dy: UnsafeMutablePointer<Double>
  /// Owns every buffer above.
  private let buffers: ZeroedBuffers

  init(trace: Trace) {
    self.trace = trace
    let model = trace.model
    steps = trace.steps
    nh = model.hiddenSize
    nIn = model.inputSize
    nOut = model.outputSize
    let storage = ZeroedBuffers()
    let buffer = storage.make
    let width = PerturbedBatch.width
    whhT = buffer(nh * nh)
    whyT = buffer(nh * nOut)
    inputParts = buffer(steps * nh)
    previous = buffer(width * nh)
    current = buffer(width * nh)
    a = buffer(width * nh)
    y = buffer(width * nOut)
    p = buffer(nOut)
    dy = buffer(nOut)
    buffers = storage
    let (steps, nh, nIn, nOut) = (steps, nh, nIn, nOut)
    let parameters = model.parameters
    parameters.whh.storage.withUnsafeBufferPointer { transpose($0.baseAddress!, rows: nh, cols: nh, into: whhT) }
    parameters.why.storage.withUnsafeBufferPointer { transpose($0.baseAddress!, rows: nOut, cols: nh, into: whyT) }
    // As the engine's forward pass computes it.
    parameters.wxh.storage.withUnsafeBufferPointer { wxhBuffer in
      let wxh = wxhBuffer.baseAddress!
      let bh = parameters.bh.storage
      switch trace.data.inputs {
      case .indices(let indices):
        for i in 0..<nh {
          for r in 0..<steps { inputParts[r &* nh &+ i] = wxh[i &* nIn &+ indices[r]] + bh[i] }
        }
      case .vectors(let m):
        m.storage.withUnsafeBufferPointer { xs in
          for r in 0..<steps {
            for i in 0..<nh { inputParts[r &* nh &+ i] = dot(wxh + i &* nIn, xs.baseAddress! + r &* nIn, nIn) + bh[i] }
          }
        }
      }
    }
  }

  /// The step losses and their sizes (as ``BPTTEngine/stepLosses(of:on:loss:perturbing:)``
  /// returns them) of each model made by setting Whh's element `index` to `value`, at most
  /// ``width`` of them.
  func stepLosses(_ changes: [(index: Int, value: Double)]) -> [(losses: [Double], scales: [Double])] {
    precondition(changes.count <= PerturbedBatch.width, "at most \(PerturbedBatch.width) passes together")
    let count = changes.count
    var results = [(losses: [Double], scales: [Double])](
      repeating: ([Double](repeating: 0, count: steps), [Double](repeating: 0, count: steps)), count: count)
    guard count > 0 else { return results }
    let model = trace.model
    let h0 = model.h0
    for b in 0..<count { (previous + b &* nh).update(from: h0, count: nh) }
    let by = model.parameters.by.storage
    for r in 0..<steps {
      let inputPart = inputParts + r &* nh
      // a_t = Wxh x_t + bh + Whh h_{t−1} for every pass, Whh shared ...
      for b in 0..<count { (a + b &* nh).update(from: inputPart, count: nh) }
      weightedRowSums(
        outputs: count, into: a, nh, nh, terms: nh, coefficients: previous, 1, outputStride: nh, rows: whhT, nh,
        accumulate: true)
      // ... then each pass's changed row i again, with Whh[i,j] its own ...
      recomputeChangedElements(changes, inputPart)
      // ... and h_t = tanh(a_t) of every pass in one call.
      applyLanewise(.tanh, a, current, count &* nh)
      // y_t = Why h_t + by, and L_t.
      for b in 0..<count { by.withUnsafeBufferPointer { (y + b &* nOut).update(from: $0.baseAddress!, count: nOut) } }
      weightedRowSums(
        outputs: count, into: y, nOut, nOut, terms: nh, coefficients: current, 1, outputStride: nh, rows: whyT, nOut,
        accumulate: true)
      for b in 0..<count {
        let yb = y + b &* nOut
        let loss = lossAndGradientInput(trace.lossKind, trace.data, step: r, y: yb, p: p, dy: dy, count: nOut)
        results[b].losses[r] = loss
        results[b].scales[r] = lossScale(trace.lossKind, trace.data, step: r, loss: loss, y: yb, count: nOut)
      }
      previous.update(from: current, count: count &* nh)
    }
    return results
  }

  /// a_t[i] of each pass b, recomputed with its own Whh[i,j]: ``rowSumElement(column:of:terms:start:_:)``'s
  /// chain of fused multiply-adds, four passes interleaved where i is in a block of 32 columns
  /// (one chain per element), so that each chain's latency hides behind the others'.
  private func recomputeChangedElements(_ changes: [(index: Int, value: Double)], _ inputPart: UnsafePointer<Double>) {
    let wide = nh / 32 &* 32
    var group: [Int] = []
    group.reserveCapacity(4)
    func runGroup() {
      guard !group.isEmpty else { return }
      var b = (group[0], group[0], group[0], group[0])
      if group.count > 1 { b.1 = group[1] }
      if group.count > 2 { b.2 = group[2] }
      if group.count > 3 { b.3 = group[3] }
      let i = (changes[b.0].index / nh, changes[b.1].index / nh, changes[b.2].index / nh, changes[b.3].index / nh)
      let j = (changes[b.0].index % nh, changes[b.1].index % nh, changes[b.2].index % nh, changes[b.3].index % nh)
      let value = (changes[b.0].value, changes[b.1].value, changes[b.2].value, changes[b.3].value)
      let h = (previous + b.0 &* nh, previous + b.1 &* nh, previous + b.2 &* nh, previous + b.3 &* nh)
      var acc = (inputPart[i.0], inputPart[i.1], inputPart[i.2], inputPart[i.3])
      var m = nh &- 1
      while m >= 0 {
        let row = whhT + m &* nh
        acc.0.addProduct(h.0[m], m == j.0 ? value.0 : row[i.0])
        acc.1.addProduct(h.1[m], m == j.1 ? value.1 : row[i.1])
        acc.2.addProduct(h.2[m], m == j.2 ? value.2 : row[i.2])
        acc.3.addProduct(h.3[m], m == j.3 ? value.3 : row[i.3])
        m &-= 1
      }
      a[b.0 &* nh &+ i.0] = acc.0
      a[b.1 &* nh &+ i.1] = acc.1
      a[b.2 &* nh &+ i.2] = acc.2
      a[b.3 &* nh &+ i.3] = acc.3
      group.removeAll(keepingCapacity: true)
    }
    for (b, change) in changes.enumerated() {
      let (i, j) = (change.index / nh, change.index % nh)
      if i < wide {
        group.append(b)
        if group.count == 4 { runGroup() }
      } else {
        let h = previous + b &* nh
        a[b &* nh &+ i] = rowSumElement(column: i, of: nh, terms: nh, start: inputPart[i]) { m in
          (h[m], m == j ? change.value : whhT[m &* nh &+ i])
        }
      }
    }
    runGroup()
  }
}
