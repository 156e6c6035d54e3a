/// One of the five parameters of the vanilla RNN, named as in min-char-rnn.
public enum Parameter: Int, CaseIterable, Sendable, CustomStringConvertible {
  case wxh, whh, why, bh, by

  /// The name a learner sees: `Wxh`, `Whh`, `Why`, `bh`, `by`.
  public var name: String {
    switch self {
    case .wxh: "Wxh"
    case .whh: "Whh"
    case .why: "Why"
    case .bh: "bh"
    case .by: "by"
    }
  }

  /// The name of its gradient: `dWxh`, `dWhh`, `dWhy`, `dbh`, `dby`.
  public var gradientName: String { "d" + name }

  public var description: String { name }

  /// The parameter called `name` (`Wxh`), or whose gradient is called `name` (`dWxh`), if any.
  public init?(name: String) {
    let bare = name.hasPrefix("d") ? String(name.dropFirst()) : name
    guard let match = Parameter.allCases.first(where: { $0.name == bare }) else { return nil }
    self = match
  }
}

/// Five matrices shaped like the RNN's parameters: the parameters themselves, their gradients,
/// or an optimiser's memory.
///
/// Shapes (min-char-rnn): `Wxh` H×Vin, `Whh` H×H, `Why` V×H, `bh` H×1, `by` V×1.
public struct ParameterSet: Equatable, Hashable, Sendable {
  public var wxh: Matrix
  public var whh: Matrix
  public var why: Matrix
  public var bh: Matrix
  public var by: Matrix

  /// A set of zeros shaped for the given sizes.
  public init(inputSize: Int, hiddenSize: Int, outputSize: Int) {
    wxh = Matrix(rows: hiddenSize, cols: inputSize)
    whh = Matrix(rows: hiddenSize, cols: hiddenSize)
    why = Matrix(rows: outputSize, cols: hiddenSize)
    bh = Matrix(rows: hiddenSize, cols: 1)
    by = Matrix(rows: outputSize, cols: 1)
  }

  /// The five matrices as given, after checking that their shapes fit together.
  /// - Throws: ``RNNError/shape(_:)`` naming the first matrix that does not fit.
  public init(wxh: Matrix, whh: Matrix, why: Matrix, bh: Matrix, by: Matrix) throws {
    let h = wxh.rows
    let v = why.rows
    func check(_ m: Matrix, _ name: String, _ rows: Int, _ cols: Int, _ meaning: String) throws {
      guard m.rows == rows && m.cols == cols else {
        throw RNNError.shape("\(name) is \(m.shapeDescription) but must be \(rows)×\(cols) (\(meaning))")
      }
    }
    guard h > 0 else { throw RNNError.shape("Wxh has no rows: the hidden size H must be at least 1") }
    guard wxh.cols > 0 else { throw RNNError.shape("Wxh has no columns: the input size must be at least 1") }
    guard v > 0 else { throw RNNError.shape("Why has no rows: the output size must be at least 1") }
    try check(whh, "Whh", h, h, "H×H, H = rows of Wxh")
    try check(why, "Why", v, h, "V×H, H = rows of Wxh")
    try check(bh, "bh", h, 1, "H×1")
    try check(by, "by", v, 1, "V×1, V = rows of Why")
    self.wxh = wxh
    self.whh = whh
    self.why = why
    self.bh = bh
    self.by = by
  }

  /// The matrix for one parameter.
  public subscript(parameter: Parameter) -> Matrix {
    get {
      switch parameter {
      case .wxh: wxh
      case .whh: whh
      case .why: why
      case .bh: bh
      case .by: by
      }
    }
    set {
      precondition(
        newValue.rows == self[parameter].rows && newValue.cols == self[parameter].cols,
        "\(parameter.name) must stay \(self[parameter].shapeDescription), not \(newValue.shapeDescription)")
      switch parameter {
      case .wxh: wxh = newValue
      case .whh: whh = newValue
      case .why: why = newValue
      case .bh: bh = newValue
      case .by: by = newValue
      }
    }
  }

  /// Reads or writes element `index` (row-major) of one parameter.
  public subscript(parameter: Parameter, index: Int) -> Double {
    get { self[parameter].storage[index] }
    set {
      switch parameter {
      case .wxh: wxh.storage[index] = newValue
      case .whh: whh.storage[index] = newValue
      case .why: why.storage[index] = newValue
      case .bh: bh.storage[index] = newValue
      case .by: by.storage[index] = newValue
      }
    }
  }

  /// Total number of elements in all five matrices.
  public var elementCount: Int { Parameter.allCases.reduce(0) { $0 + self[$1].count } }

  /// Σ over all elements of self ⊙ other (the dot product of two flattened sets).
  public func dot(_ other: ParameterSet) -> Double {
    Parameter.allCases.reduce(0) { total, p in
      zip(self[p].storage, other[p].storage).reduce(total) { $0 + $1.0 * $1.1 }
    }
  }

  /// sqrt of the sum of squares of every element of all five matrices.
  public var globalNorm: Double {
    Parameter.allCases.map { self[$0].norm }.reduce(0) { ($0 * $0 + $1 * $1).squareRoot() }
  }

  /// The set with `transform` applied to every element.
  public func map(_ transform: (Double) -> Double) -> ParameterSet {
    var result = self
    for p in Parameter.allCases { result[p] = self[p].map(transform) }
    return result
  }

  /// Adds `scale × other` to every element (an axpy over all five matrices).
  public mutating func add(_ other: ParameterSet, scaledBy scale: Double = 1) {
    for p in Parameter.allCases {
      var m = self[p]
      for i in 0..<m.count { m.storage[i] += scale * other[p].storage[i] }
      self[p] = m
    }
  }

  /// True when no element is NaN or infinite.
  public var isFinite: Bool { Parameter.allCases.allSatisfy { self[$0].isFinite } }
}
