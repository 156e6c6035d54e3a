import Foundation
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

/// The numbers in a line of output, in order.
func numbers(in text: String) -> [Double] {
  let pattern = try! NSRegularExpression(pattern: #"-?\d+(\.\d+)?(e[-+]?\d+)?"#)
  let range = NSRange(text.startIndex..., in: text)
  return pattern.matches(in: text, range: range).compactMap { Range($0.range, in: text).flatMap { Double(text[$0]) } }
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

/// True when `a` agrees with `b` to the 4 significant digits the REPL prints by default.
func agrees(_ a: Double, _ b: Double) -> Bool {
  abs(a - b) <= 5e-4 * max(abs(b), 1e-12) + 1e-12
}
