import RNNCore
import Stepper

/// Predict, then see: with `set predict on`, a step that computes a new value first asks the
/// learner to predict it (a sign, the largest element, or a number), and shows the stop, with
/// how close the prediction came, once they answer.
struct Prediction {
  enum Question {
    /// The sign of element `index` (of a vector, or row-major of a matrix).
    case sign(index: Int)
    /// Which element of a vector is largest.
    case largest
    /// The value itself (one number).
    case number
  }

  let name: String
  let question: Question
  let truth: Matrix
  /// The stop and the displays, held until the prediction is in.
  let held: [Report]

  /// The question, in one line.
  var prompt: String {
    switch question {
    case .sign(let index):
      "predict: is \(element(index)) positive or negative? (+ or -; print works it out, another command skips)"
    case .largest:
      "predict: which element of \(name) is largest (most positive)? (its index, 0…\(truth.count - 1); print works it out, another command skips)"
    case .number: "predict: what is \(name)? (a number; print works it out, another command skips)"
    }
  }

  /// What an answer must be, for a learner who typed something else.
  var expects: String {
    switch question {
    case .sign: "+ or - was expected"
    case .largest: "an index from 0 to \(truth.count - 1) was expected"
    case .number: "a number was expected"
    }
  }

  private func element(_ index: Int) -> String {
    truth.cols == 1 ? "\(name)[\(index)]" : "\(name)[\(index / truth.cols),\(index % truth.cols)]"
  }

  /// How the answer compares with the value; nil when the answer is not a prediction at all.
  func judge(_ answer: String, _ style: Style) -> String? {
    let a = answer.trimmingCharacters(in: .whitespaces)
    switch question {
    case .sign(let index):
      let value = truth.storage[index]
      let positive: Bool
      switch a.lowercased() {
      case "+", "positive", "pos", "+1", "1": positive = true
      case "-", "negative", "neg", "-1": positive = false
      default: return nil
      }
      let right = value == 0 ? false : (value > 0) == positive
      return (right ? "right" : "not quite") + ": \(element(index)) = \(style.number(value))"
    case .largest:
      guard let k = Int(a), k >= 0, k < truth.count else { return nil }
      let best = truth.storage.indices.max { truth.storage[$0] < truth.storage[$1] }!
      // Any element as large as the largest is right.
      let right = truth.storage[k] == truth.storage[best]
      return (right ? "right" : "not quite")
        + ": the largest (most positive) is \(name)[\(best)] = \(style.number(truth.storage[best]))"
        + (right ? "" : "; \(name)[\(k)] = \(style.number(truth.storage[k]))")
    case .number:
      guard let x = Double(a), x.isFinite else { return nil }
      let value = truth.storage[0]
      let off = abs(x - value)
      let relative = off / max(abs(value), 1e-300)
      let verdict = relative <= 0.01 ? "right" : relative <= 0.1 ? "close" : "not quite"
      return "\(verdict): \(name) = \(style.number(value)); you were off by \(style.number(off))"
        + (value == 0 ? "" : relative < 100 ? String(format: " (%.1f%%)", 100 * relative) : " (more than 100 times it)")
    }
  }

  /// The question for a stop, if it computed a value worth predicting.
  static func question(for stop: Stop, held: [Report]) -> Prediction? {
    // Nothing to predict in all zeros (a contribution of a step that adds nothing).
    guard let p = stop.position, let value = stop.value, value.storage.contains(where: { $0 != 0 }) else { return nil }
    let name: String =
      switch p.equation {
      case .dWhy, .dby, .dbh, .dWxh, .dWhh: "\(p.equation.updatedGradient!.gradientName)_t[\(p.t)]"
      case .dhNext: "dh_next[\(p.t)]"
      case .loss: "loss[\(p.t)]"
      default: "\(p.equation.rawValue)[\(p.t)]"
      }
    let question: Question
    if value.count == 1 {
      question = .number
    } else if value.cols == 1 && (p.t + Equation.allCases.firstIndex(of: p.equation)!) % 2 == 0 {
      question = .largest
    } else {
      // The element largest in size: its sign is the one most worth predicting.
      question = .sign(index: value.storage.indices.max { abs(value.storage[$0]) < abs(value.storage[$1]) }!)
    }
    return Prediction(name: name, question: question, truth: value, held: held)
  }
}
