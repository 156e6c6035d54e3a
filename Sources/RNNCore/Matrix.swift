/// A dense, row-major matrix of `Double`.
///
/// Vectors are matrices with one column (`n×1`), as in min-char-rnn, where `h`, `bh` and `dy` are
/// NumPy arrays of shape `(n, 1)`. Operations that combine two matrices check their shapes and
/// throw a ``ShapeError`` that names both shapes; the hot loops of the model live in `Kernels.swift`.
public struct Matrix: Equatable, Hashable, Sendable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let cols: Int
  /// The elements, row after row: element `(i, j)` is `storage[i * cols + j]`.
  public internal(set) var storage: [Double]

  /// A `rows×cols` matrix with every element equal to `value`.
  public init(rows: Int, cols: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && cols >= 0, "a matrix cannot have a negative size (\(rows)×\(cols))")
    self.rows = rows
    self.cols = cols
    self.storage = Array(repeating: value, count: rows * cols)
  }

  /// A `rows×cols` matrix holding `values` row after row.
  /// - Precondition: `values.count == rows * cols`.
  public init(rows: Int, cols: Int, _ values: [Double]) {
    precondition(
      values.count == rows * cols, "\(values.count) values cannot fill a \(rows)×\(cols) matrix")
    self.rows = rows
    self.cols = cols
    self.storage = values
  }

  /// A column vector (`n×1`).
  public init(column values: [Double]) {
    self.init(rows: values.count, cols: 1, values)
  }

  /// A matrix from its rows. - Precondition: every row has the same length.
  public init(rowVectors: [[Double]]) {
    let cols = rowVectors.first?.count ?? 0
    precondition(rowVectors.allSatisfy { $0.count == cols }, "rows of different lengths")
    self.init(rows: rowVectors.count, cols: cols, rowVectors.flatMap { $0 })
  }

  /// The number of elements.
  public var count: Int { storage.count }

  /// The shape written the way rnnstep prints it, e.g. `3×4`.
  public var shapeDescription: String { "\(rows)×\(cols)" }

  /// Element `(i, j)`.
  public subscript(i: Int, j: Int) -> Double {
    get {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "index [\(i),\(j)] outside \(shapeDescription)")
      return storage[i * cols + j]
    }
    set {
      precondition(i >= 0 && i < rows && j >= 0 && j < cols, "index [\(i),\(j)] outside \(shapeDescription)")
      storage[i * cols + j] = newValue
    }
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] {
    Array(storage[i * cols..<(i + 1) * cols])
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Double] {
    (0..<rows).map { storage[$0 * cols + j] }
  }

  /// The transpose.
  public func transposed() -> Matrix {
    var result = Matrix(rows: cols, cols: rows)
    for i in 0..<rows {
      for j in 0..<cols { result.storage[j * rows + i] = storage[i * cols + j] }
    }
    return result
  }

  /// The matrix with `transform` applied to every element.
  public func map(_ transform: (Double) throws -> Double) rethrows -> Matrix {
    Matrix(rows: rows, cols: cols, try storage.map(transform))
  }

  /// Combines two matrices of the same shape element by element.
  /// - Throws: ``ShapeError`` when the shapes differ.
  public func elementwise(_ other: Matrix, _ combine: (Double, Double) -> Double) throws -> Matrix {
    guard rows == other.rows && cols == other.cols else {
      throw ShapeError(operation: .elementwise, left: self, right: other)
    }
    return Matrix(rows: rows, cols: cols, zip(storage, other.storage).map(combine))
  }

  /// The matrix product `self @ other`.
  /// - Throws: ``ShapeError`` when `self.cols != other.rows`.
  /// - Complexity: O(rows × cols × other.cols).
  public func matmul(_ other: Matrix) throws -> Matrix {
    guard cols == other.rows else {
      throw ShapeError(operation: .product, left: self, right: other)
    }
    var result = Matrix(rows: rows, cols: other.cols)
    if other.cols == 1 && rows > 0 && cols > 0 {
      // A matrix times a vector as the engine computes one (Why^T dy_t, Whh^T dh_raw_t): the
      // sum of the rows of self^T scaled by the vector (``weightedRowSum``), so that an
      // expression such as Why.T @ dy[3] + dh_next[4] gives dh[3]'s very bits.
      let t = transposed()
      t.storage.withUnsafeBufferPointer { rowsBuffer in
        other.storage.withUnsafeBufferPointer { v in
          result.storage.withUnsafeMutableBufferPointer { out in
            weightedRowSum(
              into: out.baseAddress!, rows, terms: cols, coefficients: v.baseAddress!, 1, rows: rowsBuffer.baseAddress!,
              rows)
          }
        }
      }
      return result
    }
    // result[i, :] += self[i, k] * other[k, :]: row-major friendly.
    for i in 0..<rows {
      for k in 0..<cols {
        let a = storage[i * cols + k]
        if a == 0 { continue }
        for j in 0..<other.cols {
          result.storage[i * other.cols + j] += a * other.storage[k * other.cols + j]
        }
      }
    }
    return result
  }

  /// The Euclidean (Frobenius) norm, sqrt(Σ m_ij²), computed without overflow.
  public var norm: Double {
    let scale = maxAbs
    guard scale > 0, scale.isFinite else { return scale }
    var sum = 0.0
    for v in storage {
      let s = v / scale
      sum += s * s
    }
    return scale * sum.squareRoot()
  }

  /// The largest absolute value of an element (0 for an empty matrix).
  /// The largest |element|; NaN when any element is NaN.
  public var maxAbs: Double { storage.reduce(0) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, Swift.abs($1)) } }

  /// The sum of the elements.
  public var sum: Double { storage.reduce(0, +) }

  /// True when every element is finite (no NaN, no infinity).
  public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }
}

/// Two matrices whose shapes do not fit an operation.
public struct ShapeError: Error, Equatable, Sendable {
  /// What was attempted.
  public enum Operation: Equatable, Sendable {
    /// The matrix product: the left's columns must equal the right's rows.
    case product
    /// An elementwise operation: the shapes must be equal.
    case elementwise
  }

  public let operation: Operation
  /// The operands' shapes as (rows, columns).
  public let left: (rows: Int, cols: Int)
  public let right: (rows: Int, cols: Int)

  public init(operation: Operation, left: Matrix, right: Matrix) {
    self.operation = operation
    self.left = (left.rows, left.cols)
    self.right = (right.rows, right.cols)
  }

  public static func == (a: ShapeError, b: ShapeError) -> Bool {
    a.operation == b.operation && a.left == b.left && a.right == b.right
  }
}
