/// What can go wrong when a model and data are put together. Each case carries a message
/// that says what and where, for a learner to read.
public enum RNNError: Error, Equatable, CustomStringConvertible {
  /// A matrix or vector of the wrong shape.
  case shape(String)
  /// Inputs or targets that do not fit the model (an index out of range, a length that differs).
  case data(String)
  /// A NaN or infinite value where a finite number is needed.
  case notFinite(String)
  /// A size or count outside what rnnstep accepts.
  case outOfRange(String)

  public var description: String {
    switch self {
    case .shape(let message), .data(let message), .notFinite(let message), .outOfRange(let message):
      message
    }
  }
}
