/// A long sequence to train on in chunks: inputs and targets aligned step by step.
public struct TrainingStream: Equatable, Sendable {
  public let inputs: SequenceData.Inputs
  public let targets: SequenceData.Targets

  /// The number of steps.
  public var count: Int {
    switch inputs {
    case .indices(let i): i.count
    case .vectors(let m): m.rows
    }
  }

  /// The longest stream: 64 Mi steps (a 64 MiB corpus). Only seqlen steps of it are unrolled at
  /// a time, so it may be far longer than ``SequenceData/maximumLength``.
  public static let maximumLength = 64 << 20

  /// Inputs and targets of equal length. - Throws: ``RNNError`` when they differ, are empty or
  /// too long, or hold a NaN or infinite value.
  public init(inputs: SequenceData.Inputs, targets: SequenceData.Targets) throws {
    try SequenceData.check(inputs, targets, limit: TrainingStream.maximumLength, beyond: "a stream may have")
    self.inputs = inputs
    self.targets = targets
  }

  /// A text as characters: input t is character t, target t is character t+1 (min-char-rnn).
  public init(characters indices: [Int]) throws {
    guard indices.count >= 2 else { throw RNNError.data("a text needs at least 2 characters") }
    try self.init(inputs: .indices(Array(indices.dropLast())), targets: .indices(Array(indices.dropFirst())))
  }

  /// Steps `start ..< start + length` as one sequence.
  public func chunk(from start: Int, length: Int) throws -> SequenceData {
    let end = Swift.min(start + length, count)
    guard start >= 0 && start < end else { throw RNNError.outOfRange("no steps from \(start) in a stream of \(count)") }
    let i: SequenceData.Inputs =
      switch inputs {
      case .indices(let v): .indices(Array(v[start..<end]))
      case .vectors(let m):
        .vectors(Matrix(rows: end - start, cols: m.cols, Array(m.storage[(start * m.cols)..<(end * m.cols)])))
      }
    let t: SequenceData.Targets =
      switch targets {
      case .indices(let v): .indices(Array(v[start..<end]))
      case .vectors(let m):
        .vectors(Matrix(rows: end - start, cols: m.cols, Array(m.storage[(start * m.cols)..<(end * m.cols)])))
      }
    return try SequenceData(inputs: i, targets: t)
  }
}

/// min-char-rnn's training loop: consecutive chunks of the stream, the hidden state carried
/// from chunk to chunk and reset at the end of the data, gradients clipped, then an update.
public final class Trainer {
  public private(set) var model: RNN
  public let stream: TrainingStream
  public let lossKind: LossKind
  /// The backward pass whose gradients the updates follow (the seed's, to watch wrong gradients train).
  public let variant: BPTTVariant
  public var sequenceLength: Int
  public var optimizer: Optimizer
  public var clipping: Clipping
  /// The next chunk's first step.
  public private(set) var position = 0
  /// Updates made so far.
  public private(set) var iteration = 0
  /// min-char-rnn's smoothed loss: 0.999 × itself + 0.001 × the chunk's loss, starting at the
  /// loss of uniform guesses, −log(1/V) × T.
  public private(set) var smoothLoss: Double
  /// The loss of every update, in order.
  public private(set) var losses: [Double] = []
  /// ``smoothLoss`` after every update, in order.
  public private(set) var smoothLosses: [Double] = []
  /// The hidden state carried into the next chunk (min-char-rnn's hprev).
  public private(set) var hprev: [Double]
  private let engine = BPTTEngine(useSecondCore: true)
  /// The model's h0, kept for the model the trainer gives back (training itself never reads it).
  private var initialState: [Double]
  private var gradients: ParameterSet

  public init(
    model: RNN, stream: TrainingStream, loss: LossKind, variant: BPTTVariant = .correct, sequenceLength: Int,
    optimizer: Optimizer, clipping: Clipping
  ) throws {
    guard sequenceLength >= 1 else { throw RNNError.outOfRange("seqlen must be at least 1") }
    try stream.chunk(from: 0, length: sequenceLength).validate(for: model, loss: loss)
    self.model = model
    self.stream = stream
    lossKind = loss
    self.variant = variant
    self.sequenceLength = sequenceLength
    self.optimizer = optimizer
    self.clipping = clipping
    hprev = model.h0
    initialState = model.h0
    // −log(1/V) × the steps of a chunk: seqlen, or all the data when they are shorter.
    let steps = Swift.min(sequenceLength, stream.count)
    smoothLoss = loss == .softmax ? -PortableMath.log(1 / Double(model.outputSize)) * Double(steps) : 0
    gradients = ParameterSet(inputSize: model.inputSize, hiddenSize: model.hiddenSize, outputSize: model.outputSize)
  }

  /// Takes `h0` as the model's h0 from now on. Training does not read h0 (min-char-rnn has
  /// none: each chunk starts from hprev or zeros), so nothing else changes.
  public func adoptH0(_ h0: [Double]) throws {
    try model.setH0(h0)
    initialState = h0
  }

  /// Runs `body` (a loop of ``step()``s) with this trainer's two threads kept on different cores.
  public func keepingCoresApart<R>(_ body: () throws -> R) rethrows -> R {
    try engine.keepingCoresApart(body)
  }

  /// Where the next ``step()`` starts: the state it carries in (hprev, or zeros when it resets)
  /// and the position of its chunk, by min-char-rnn's rule.
  public var nextChunkStart: (state: [Double], position: Int) {
    if resetsBeforeNextStep { return ([Double](repeating: 0, count: model.hiddenSize), 0) }
    return (hprev, position)
  }

  /// min-char-rnn: `if p + seq_length + 1 >= len(data) or n == 0: hprev = zeros; p = 0`. The
  /// stream has len(data) − 1 steps (input t is character t, target t character t + 1).
  private var resetsBeforeNextStep: Bool { position + sequenceLength + 1 >= stream.count + 1 || iteration == 0 }

  /// One update; returns the chunk's loss.
  @discardableResult
  public func step() throws -> Double {
    if resetsBeforeNextStep {
      position = 0
      hprev = [Double](repeating: 0, count: model.hiddenSize)
    }
    let chunk = try stream.chunk(from: position, length: sequenceLength)
    // The chunk starts from the carried state; the model's own h0 is kept for the next reset.
    try model.setH0(hprev)
    defer { try? model.setH0(initialState) }
    let loss = try engine.computeGradients(
      of: model, on: chunk, loss: lossKind, variant: variant, into: &gradients)
    hprev = engine.finalHiddenState()
    guard optimizer.update(&model.parameters, with: gradients, clipping: clipping, helper: engine.helperInUse) else {
      throw RNNError.notFinite("the update made a parameter NaN or infinite (lower the learning rate or clip)")
    }
    position += sequenceLength
    iteration += 1
    smoothLoss = iteration == 1 && lossKind == .squared ? loss : smoothLoss * 0.999 + loss * 0.001
    losses.append(loss)
    smoothLosses.append(smoothLoss)
    return loss
  }
}

/// Draws characters from the model, as min-char-rnn's `sample` does.
public enum Sampler {
  /// `count` indices: the state reads `prime` from `state` (h0 by default; the draws follow its
  /// last index), then each draw is fed back in. Each step is min-char-rnn's:
  ///
  ///     h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
  ///     y = np.dot(Why, h) + by                       (÷ temperature, which min-char-rnn lacks)
  ///     p = np.exp(y) / np.sum(np.exp(y))             (the forward pass's softmax, its bits)
  ///     ix = np.random.choice(range(vocab_size), p=p.ravel())
  ///
  /// and the choice is NumPy's: the running sum of p divided by its last element, and the index
  /// of the first that exceeds `np.random.random_sample()`, drawn after `np.random.seed(seed)`
  /// (``NumPyRandomState``). So min-char-rnn's sample after np.random.seed(S) draws the same
  /// characters, save where a draw falls within rounding of a boundary between two of them.
  public static func sample(
    model: RNN, state: [Double]? = nil, prime: [Int], count: Int, temperature: Double, seed: UInt64,
    cancellation: CancellationFlag? = nil
  ) throws -> [Int] {
    precondition(!prime.isEmpty && temperature > 0)
    var rng = NumPyRandomState(seed: seed)
    let p = model.parameters
    let (nh, nIn, nOut) = (model.hiddenSize, model.inputSize, model.outputSize)
    let (wxh, whh, why, bh, by) = (p.wxh.storage, p.whh.storage, p.why.storage, p.bh.storage, p.by.storage)
    var h = state ?? model.h0
    var a = [Double](repeating: 0, count: nh)
    // Each row's product with h as the engine's dot product (the order of its sum, like BLAS's,
    // differs from NumPy's only in rounding).
    func advance(_ x: Int) {
      whh.withUnsafeBufferPointer { w in
        h.withUnsafeBufferPointer { hb in
          for i in 0..<nh { a[i] = (wxh[i * nIn + x] + dot(w.baseAddress! + i * nh, hb.baseAddress!, nh)) + bh[i] }
        }
      }
      a.withUnsafeMutableBufferPointer { applyLanewise(.tanh, $0.baseAddress!, $0.baseAddress!, nh) }
      swap(&h, &a)
    }
    for x in prime { advance(x) }
    var out: [Int] = []
    var y = [Double](repeating: 0, count: nOut)
    var cdf = [Double](repeating: 0, count: nOut)
    for drawn in 0..<count {
      if cancellation?.isCancelled == true { throw Cancelled(done: drawn, total: count, unit: .characters) }
      why.withUnsafeBufferPointer { w in
        h.withUnsafeBufferPointer { hb in
          for k in 0..<nOut { y[k] = (dot(w.baseAddress! + k * nh, hb.baseAddress!, nh) + by[k]) / temperature }
        }
      }
      let total = y.withUnsafeBufferPointer { yb in
        cdf.withUnsafeMutableBufferPointer { softmax(yb.baseAddress!, into: $0.baseAddress!, count: nOut).sum }
      }
      // NaN or infinite outputs (a model pushed far by updates) give no distribution to draw from.
      guard total.isFinite && total > 0 && cdf.allSatisfy(\.isFinite) else {
        throw RNNError.notFinite("the model's outputs are NaN or infinite: there is nothing to draw from")
      }
      // np.random.choice: cdf = p.cumsum(); cdf /= cdf[-1]; cdf.searchsorted(u, side='right').
      for k in 1..<nOut { cdf[k] += cdf[k - 1] }
      let last = cdf[nOut - 1]
      for k in 0..<nOut { cdf[k] /= last }
      let u = rng.randomSample()
      let choice = cdf.firstIndex { $0 > u } ?? nOut - 1
      out.append(choice)
      if choice < model.inputSize { advance(choice) }
    }
    return out
  }
}
