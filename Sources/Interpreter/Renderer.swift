import Foundation
import RNNCore
import Stepper

/// Turns reports into lines of text: the one place where results become words and digits.
public struct Renderer: Sendable {
  public var style: Style

  public init(style: Style = Style()) {
    self.style = style
  }

  /// The lines of one report.
  public func lines(_ report: Report) -> [String] {
    switch report {
    case .message(let text): [text]
    case .note(let text): [style.dim(text)]
    case .warning(let text): [style.bad(text)]
    case .value(let expression, let value): valueLines(expression, value)
    case .stop(let stop): stopLines(stop)
    case .stopReason(let reasons): reasons.map(reasonLine)
    case .displays(let values): values.map(displayLine)
    case .check(let check): checkLines(check)
    case .comparison(let report): comparisonLines(report)
    case .training(let report): [trainingLine(report)]
    case .fileWritten(let path, .model): ["saved \(path)"]
    case .fileWritten(let path, .arrays(let names)): ["exported \(names.joined(separator: " ")) to \(path)"]
    case .fileWritten(let path, .picture): ["wrote \(path)"]
    case .text(let lines): lines
    }
  }

  // MARK: Values

  func valueLines(_ expression: String, _ value: Matrix) -> [String] {
    let lines = style.block(value)
    if value.count > 1 && lines.count == 1 {
      return [
        "\(expression) = \(lines[0])"
          + (value.cols == 1 && value.rows > 1 ? style.dim("  (\(value.shapeDescription))") : "")
      ]
    } else if lines.count == 1 {
      return ["\(expression) = \(lines[0])"]
    }
    return ["\(expression) =  " + style.dim("(\(value.shapeDescription))")] + lines.map { "  " + $0 }
  }

  func displayLine(_ d: DisplayValue) -> String {
    switch d.value {
    case .success(let m): "\(d.number): \(d.text) = \(style.inline(m))"
    case .failure(let e): "\(d.number): \(d.text) = \(style.dim("(\(e.message))"))"
    }
  }

  func reasonLine(_ reason: StopReason) -> String {
    switch reason {
    case .watch(let number, let text, let old, let new):
      "watch \(number): \(text): \(old.map(style.inline) ?? "(not computed)") → \(new.map(style.inline) ?? "(not computed)")"
    case .breakpoint(let number, let place, let condition, let temporary):
      "breakpoint \(number)\(temporary ? " (temporary, now deleted)" : ""): \(place.text)"
        + (condition.map { " if \($0)" } ?? "")
    case .conditionFailed(let number, let error):
      "breakpoint \(number): its condition cannot be evaluated here: \(error)"
    }
  }

  // MARK: Training

  func trainingLine(_ r: TrainingReport) -> String {
    (r.interrupted
      ? "interrupted after \(r.done) of \(counted(r.requested, "update"))" : "trained \(counted(r.done, "update"))")
      + (r.variant == .correct ? "" : " with bptt \(r.variant.rawValue)'s gradients")
      + (r.done == 0
        ? "" : r.done == 1 ? " (iteration \(r.lastIteration))" : " (iterations \(r.firstIteration)…\(r.lastIteration))")
      + ": loss \(style.number(r.lastLoss)), "
      + "smoothed loss \(style.number(r.smoothedLoss)), "
      + String(format: "%.0f it/s", r.updatesPerSecond)
  }

  /// The progress line `train` keeps rewriting on a terminal.
  public func progressLine(_ p: TrainingProgress) -> String {
    "iteration \(p.iteration)  loss \(style.number(p.loss))  smoothed \(style.number(p.smoothedLoss))  "
      + (p.variant == .correct ? "" : "bptt \(p.variant.rawValue)  ")
      + String(format: "%.0f it/s  %.1f s left", p.updatesPerSecond, p.secondsLeft)
  }

  // MARK: Characters

  /// A label for index i of the input or output: the character when there is a vocabulary.
  func symbol(_ i: Int, _ vocabulary: [Character]?) -> String {
    guard let vocabulary, i >= 0, i < vocabulary.count else { return "\(i)" }
    return "'\(Renderer.printable(vocabulary[i]))'"
  }

  /// A character as a learner can read it: newline as \n, space as ␣.
  static func printable(_ c: Character) -> String {
    switch c {
    case "\n": "\\n"
    case "\t": "\\t"
    case "\r": "\\r"
    case "\r\n": "\\r\\n"
    case " ": "␣"
    default: visible(String(c))
    }
  }

  /// `text` with every control character (C0, DEL, C1) written as \u{…}: what a terminal
  /// would act on (a carriage return, an escape sequence) is shown instead.
  /// With `keepingLines`, newlines and tabs stay as they are.
  public static func visible(_ text: String, keepingLines: Bool = false) -> String {
    func shown(_ s: Unicode.Scalar) -> Bool { isControl(s) && !(keepingLines && (s == "\n" || s == "\t")) }
    guard text.unicodeScalars.contains(where: shown) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if shown(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Control characters, and the invisible format characters (zero-width spaces and joiners,
  /// direction overrides that reorder the rest of a terminal line, byte-order marks).
  private static func isControl(_ s: Unicode.Scalar) -> Bool {
    s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.properties.generalCategory == .format
  }
}
