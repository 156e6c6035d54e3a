import Foundation
import RNNCore
import Testing

@testable import Interpreter

/// Runs lines through a fresh interpreter on the built-in model; returns each line's outcome.
func session(_ lines: String...) -> (Interpreter, [Outcome]) {
  let interpreter = Interpreter()
  return (interpreter, lines.map { interpreter.execute($0) })
}

/// The text of one line run in a fresh session after `setup`.
func run(_ line: String, after setup: [String] = []) -> Outcome {
  let interpreter = Interpreter()
  for s in setup {
    let o = interpreter.execute(s)
    precondition(o.error == nil, "setup '\(s)' failed: \(o.error!)")
  }
  return interpreter.execute(line)
}

extension Outcome {
  /// The values `print` reported, in order.
  var values: [Matrix] {
    reports.compactMap {
      guard case .value(_, let v) = $0 else { return nil }
      return v
    }
  }

  /// The one number the last `print` reported.
  var number: Double? {
    guard let v = values.last, v.count == 1 else { return nil }
    return v.storage[0]
  }

  /// The stops the line's moves reported.
  var stops: [Stop] {
    reports.compactMap {
      guard case .stop(let s) = $0 else { return nil }
      return s
    }
  }

  /// The displays' values, at every stop.
  var displays: [DisplayValue] {
    reports.flatMap {
      guard case .displays(let d) = $0 else { return [DisplayValue]() }
      return d
    }
  }

  /// The gradient checks reported.
  var checks: [CheckReport] {
    reports.compactMap {
      guard case .check(let c) = $0 else { return nil }
      return c
    }
  }

  /// What `train` reported.
  var training: TrainingReport? {
    reports.lazy.compactMap {
      guard case .training(let t) = $0 else { return nil }
      return t
    }.first
  }
}

/// True when `actual` has as many elements as `expected` and each agrees to `tolerance`
/// relative (absolute near zero): values from the engine against NumPy's.
func close(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-12) -> Bool {
  actual.count == expected.count
    && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance * max(abs($1), 1e-3) }
}

func close(_ actual: Double?, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
  actual.map { close([$0], [expected], tolerance: tolerance) } ?? false
}

/// The built-in model computed independently in NumPy (Tests/RNNCoreTests/Fixtures/make_fixtures.py).
struct Builtin: Decodable {
  let losses: [Double]
  let hs: [[Double]]
  let ps: [[Double]]
  // swift-format-ignore: AlwaysUseLowerCamelCase
  let dh_raw: [[Double]]
  let dWhh: [[Double]]

  static let shared: Builtin = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/builtin.json")
    return try! JSONDecoder().decode(Builtin.self, from: Data(contentsOf: url))
  }()
}
