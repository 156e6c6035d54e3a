/// A vanilla recurrent network in min-char-rnn's shapes, with its initial hidden state.
///
///     a_t = Wxh x_t + Whh h_{t-1} + bh
///     h_t = tanh(a_t)
///     y_t = Why h_t + by
public struct RNN: Equatable, Sendable {
  /// The largest size of any dimension rnnstep builds: a guard against absurd requests.
  public static let maximumSize = 4096

  /// `Wxh Whh Why bh by`.
  public var parameters: ParameterSet
  /// The hidden state before the first step (min-char-rnn's `hprev`), H values.
  public private(set) var h0: [Double]

  /// The size of x_t (the vocabulary for characters).
  public var inputSize: Int { parameters.wxh.cols }
  /// H, the size of h_t.
  public var hiddenSize: Int { parameters.wxh.rows }
  /// The size of y_t.
  public var outputSize: Int { parameters.why.rows }

  /// A model initialised like the seed tutorial: weights `randn * scale`, biases zero, h0 zero.
  ///
  /// The weights are drawn from one ``SeededGenerator`` in the order Wxh, Whh, Why, each row-major,
  /// so the same seed gives the same model on every machine.
  /// - Throws: ``RNNError/outOfRange(_:)`` for a size below 1 or above ``maximumSize``.
  public init(inputSize: Int, hiddenSize: Int, outputSize: Int, seed: UInt64, scale: Double = 0.01) throws {
    for (name, size) in [("input size", inputSize), ("hidden size H", hiddenSize), ("output size", outputSize)] {
      guard size >= 1 && size <= RNN.maximumSize else {
        throw RNNError.outOfRange("\(name) must be from 1 to \(RNN.maximumSize), not \(size)")
      }
    }
    var rng = SeededGenerator(seed: seed)
    var p = ParameterSet(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize)
    for param in [Parameter.wxh, .whh, .why] {
      p[param] = p[param].map { _ in rng.nextGaussian() * scale }
    }
    parameters = p
    h0 = Array(repeating: 0, count: hiddenSize)
  }

  /// A model from given parameters and h0 (zeros when nil).
  /// - Throws: ``RNNError`` when h0 has the wrong length or a value is not finite.
  public init(parameters: ParameterSet, h0: [Double]? = nil) throws {
    self.parameters = parameters
    self.h0 = Array(repeating: 0, count: parameters.wxh.rows)
    for p in Parameter.allCases where !parameters[p].isFinite {
      throw RNNError.notFinite("\(p.name) holds a NaN or infinite value")
    }
    if let h0 { try setH0(h0) }
  }

  /// Replaces h0. - Throws: ``RNNError`` when it does not hold H finite values.
  public mutating func setH0(_ values: [Double]) throws {
    guard values.count == hiddenSize else {
      throw RNNError.shape("h0 needs H = \(hiddenSize) values, got \(values.count)")
    }
    guard values.allSatisfy({ $0.isFinite }) else { throw RNNError.notFinite("h0 holds a NaN or infinite value") }
    h0 = values
  }
}

/// The loss at each step; the total loss is the sum over steps, as in min-char-rnn.
public enum LossKind: String, CaseIterable, Sendable {
  /// p_t = softmax(y_t), L_t = −log p_t[target_t], dy_t = p_t − onehot(target_t).
  case softmax
  /// L_t = ½‖y_t − target_t‖², dy_t = y_t − target_t (what the tutorial's `dy = y - y_true` implies).
  case squared
}

/// Which backward pass computes the gradients.
public enum BPTTVariant: String, CaseIterable, Sendable {
  /// Correct BPTT: step t uses its own h_t and h_{t−1}.
  case correct
  /// The seed tutorial's backward: the final h_T stands for every h_t and the initial h_0 for
  /// every h_{t−1}. See docs/seed-bptt.md.
  case seed
  /// The learner's own equations (`let`), which the interpreter evaluates step by step.
  case equations = "yours"
  /// A backward with a hidden mistake (`bptt mystery`), also equations the interpreter evaluates.
  case mystery

  /// Whether the engine computes this backward (the others are sets of equations).
  public var isBuiltIn: Bool { self == .correct || self == .seed }
}
