import Foundation
import RNNCore
import Testing

@testable import Interpreter
@testable import Lessons

/// Generated command lines, every command with arguments of every kind, inside and outside a
/// lesson: no line may kill the process, an error is one line that says what went wrong (never
/// a raw error value), and the session still works afterwards. `make fuzz` runs many more lines
/// (RNNSTEP_FUZZ_LINES) than `make test`; the line being run is written to a file first, so a
/// crash leaves it behind to become a regression test.
@Suite("Generated command lines")
struct CommandFuzzTests {
  static let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../../lessons"
  ).standardized.path

  /// Arguments of every kind: small and extreme numbers, names, indexed values, expressions,
  /// options, words commands take, files in a scratch folder, punctuation.
  static func arguments(_ scratch: String) -> [String] {
    [
      "0", "1", "2", "3", "4", "7", "-1", "-0", "0.5", "1e-3", "1e-14", "1e308", "-1e308", "nan", "inf", "-inf",
      "99999999999", "9223372036854775807", "2.5", "Whh", "Wxh", "Why", "bh", "by", "h", "a", "y", "p", "x",
      "dy", "dh", "dh_raw", "dh_next", "dWhh", "dWhh_t[2]", "h[1]", "h[0]", "h[-1]", "h[99]", "Whh[0,1]",
      "Whh[9,9]", "h[1:2]", "h[t-1]", "target", "t", "loss", "Whh @ h[1]", "tanh(a[1])", "1/0", "0/0",
      "(1 - h*h) * dh", "dh_raw @ h[t-1].T", "Whh.T @ dh_raw", "norm(dWhh)", "svd(Whh)", "dL_dh(3, 1)",
      "jacobian(2, 1)", "softmax(y[1])", "**", "^", "@", "=", "+=", "(", ")", "[", "]", ",", ":", ".T",
      "seed", "scale", "clip", "norm", "flow", "--svg", "--log", "--exact", "--all", "--heatmap", "--eps",
      "sample", "on", "off", "predict", "exact", "eps", "tolerance", "t=2", "forward", "backward",
      "backward t=2 dh_raw", "forward t=1 h", "restart", "stop", "correct", "show", "mystery", "guess",
      "reveal", "adagrad", "sgd", "hello", "sine", "echo", "softmax", "squared", "\"he llo\"", "'x'", "\"",
      "'", "#", "\\", "é", "\u{0}", scratch + "/m.npz", scratch + "/m.json", scratch + "/p.svg",
      scratch + "/d.csv", scratch + "/missing.npz", scratch + "/nofolder/x.npz", "/dev/null",
    ]
  }

  @Test("no generated line kills the process; every error is one line; the session works after")
  func lines() throws {
    let count = Int(ProcessInfo.processInfo.environment["RNNSTEP_FUZZ_LINES"] ?? "") ?? 2000
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "rnnstep-fuzz-\(UInt64.random(in: 0...UInt64.max))"
    ).path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try "1,2\n3,4\n".write(toFile: scratch + "/d.csv", atomically: true, encoding: .utf8)
    let lastLine = ProcessInfo.processInfo.environment["RNNSTEP_FUZZ_LAST"] ?? scratch + "/last-line.txt"
    let arguments = Self.arguments(scratch)
    // Long work is kept small: commands that take a count or a size get small numbers only.
    let long: Set = ["train", "sample", "new", "seqlen", "gradcheck", "blame", "run", "continue", "corpus"]
    var rng = SeededGenerator(seed: UInt64(ProcessInfo.processInfo.environment["RNNSTEP_FUZZ_SEED"] ?? "") ?? 7)
    let i = Interpreter()
    i.lessonHost = try Guide(directory: Self.lessons, statePath: scratch + "/progress.json")
    var errors = 0
    for n in 0..<count {
      var command = CommandTable.allNames[rng.nextIndex(below: CommandTable.allNames.count)]
      if command == "quit" || command == "q" || command == "exit" || command == "source" { command = "echo" }
      var words = [command]
      for _ in 0..<rng.nextIndex(below: 5) {
        var word = arguments[rng.nextIndex(below: arguments.count)]
        if long.contains(command), let x = Double(word), !(0...8).contains(x) { word = "3" }
        words.append(word)
      }
      // Now and then a second command on the line, or Enter alone (a lesson's "run it").
      var line = words.joined(separator: " ")
      switch rng.nextIndex(below: 20) {
      case 0: line = ""
      case 1: line += "; step"
      case 2: line = "lesson \(1 + rng.nextIndex(below: 12))"
      default: break
      }
      try line.write(toFile: lastLine, atomically: false, encoding: .utf8)
      let outcome = i.execute(line)
      if let error = outcome.error {
        errors += 1
        #expect(!error.contains("\n"), "line \(n): \(line) → \(error)")
        #expect(
          !error.contains("Error(") && !error.contains("(message:") && !error.contains("(value:"),
          "line \(n): \(line) → \(error)")
      }
      // A model too large for quick work is put back to a small one.
      if i.session.model.hiddenSize > 16 || i.session.model.inputSize > 64 { i.execute("lesson stop; example hello") }
    }
    i.execute("lesson stop")
    #expect(i.execute("example hello; step; step; print h[1][0] == h[1][0]").lines.last == "h[1][0] == h[1][0] = 1")
    print("generated lines: \(count), errors reported: \(errors), crashes: 0")
  }
}
