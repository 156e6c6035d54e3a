/// The inputs and targets of one unrolled sequence of T steps.
///
/// Inputs are one-hot indices (characters) or real vectors (time series); targets are indices
/// (softmax or squared error against a one-hot) or vectors (squared error).
public struct SequenceData: Equatable, Sendable {
  /// x_1 … x_T.
  public enum Inputs: Equatable, Sendable {
    /// One index per step: x_t is the one-hot vector with a 1 at that index.
    case indices([Int])
    /// One row per step (T×Vin).
    case vectors(Matrix)
  }

  /// target_1 … target_T.
  public enum Targets: Equatable, Sendable {
    /// One class index per step.
    case indices([Int])
    /// One row per step (T×V).
    case vectors(Matrix)
  }

  /// The longest sequence rnnstep unrolls.
  public static let maximumLength = 100_000

  public let inputs: Inputs
  public let targets: Targets

  /// T, the number of steps.
  public var count: Int {
    switch inputs {
    case .indices(let i): i.count
    case .vectors(let m): m.rows
    }
  }

  /// Pairs inputs with targets. - Throws: ``RNNError/data(_:)`` when their lengths differ or are 0.
  public init(inputs: Inputs, targets: Targets) throws {
    try Self.check(inputs, targets, limit: SequenceData.maximumLength, beyond: "rnnstep unrolls")
    self.inputs = inputs
    self.targets = targets
  }

  /// Checks inputs and targets of equal length, at least one step and at most `limit`, and
  /// finite. `beyond` ends the message for too many steps ("rnnstep unrolls").
  /// - Throws: ``RNNError`` saying which check failed.
  static func check(_ inputs: Inputs, _ targets: Targets, limit: Int, beyond: String) throws {
    let tIn: Int
    let tOut: Int
    switch inputs {
    case .indices(let i): tIn = i.count
    case .vectors(let m): tIn = m.rows
    }
    switch targets {
    case .indices(let i): tOut = i.count
    case .vectors(let m): tOut = m.rows
    }
    guard tIn > 0 else { throw RNNError.data("there are no inputs: a sequence needs at least one step") }
    guard tIn == tOut else { throw RNNError.data("\(tIn) inputs but \(tOut) targets: each step needs one of each") }
    guard tIn <= limit else { throw RNNError.outOfRange("\(tIn) steps is more than the \(limit) \(beyond)") }
    if case .vectors(let m) = inputs, !m.isFinite { throw RNNError.notFinite("an input holds a NaN or infinite value") }
    if case .vectors(let m) = targets, !m.isFinite {
      throw RNNError.notFinite("a target holds a NaN or infinite value")
    }
  }

  /// Checks that every input and target fits `model` under `loss`.
  /// - Throws: ``RNNError`` naming the first step that does not fit.
  public func validate(for model: RNN, loss: LossKind) throws {
    switch inputs {
    case .indices(let indices):
      if let t = indices.firstIndex(where: { $0 < 0 || $0 >= model.inputSize }) {
        throw RNNError.data(
          "input at t=\(t + 1) is index \(indices[t]), outside 0 to \(model.inputSize - 1) (the input size is \(model.inputSize))"
        )
      }
    case .vectors(let m):
      guard m.cols == model.inputSize else {
        throw RNNError.data("inputs have \(m.cols) values per step but the model's input size is \(model.inputSize)")
      }
    }
    switch targets {
    case .indices(let indices):
      if let t = indices.firstIndex(where: { $0 < 0 || $0 >= model.outputSize }) {
        throw RNNError.data(
          "target at t=\(t + 1) is index \(indices[t]), outside 0 to \(model.outputSize - 1) (the output size is \(model.outputSize))"
        )
      }
    case .vectors(let m):
      guard loss == .squared else {
        throw RNNError.data("softmax needs class indices as targets, not vectors: use `loss squared`")
      }
      guard m.cols == model.outputSize else {
        throw RNNError.data("targets have \(m.cols) values per step but the model's output size is \(model.outputSize)")
      }
    }
  }

  /// x_t as a dense vector (t counts from 1).
  public func input(at t: Int, size: Int) -> [Double] {
    switch inputs {
    case .indices(let i):
      var x = Array(repeating: 0.0, count: size)
      x[i[t - 1]] = 1
      return x
    case .vectors(let m): return m.row(t - 1)
    }
  }
}
