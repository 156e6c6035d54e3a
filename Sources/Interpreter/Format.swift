import Foundation
import RNNCore

/// How values and text are shown: number precision, and colour (only on a terminal, never with
/// NO_COLOR set; the executable decides).
public struct Style: Sendable {
  /// Significant digits of printed numbers.
  public var precision = 4
  /// Whether to colour the output with ANSI escapes.
  public var color = false

  public init(precision: Int = 4, color: Bool = false) {
    self.precision = precision
    self.color = color
  }

  // MARK: Colour

  private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
  func bold(_ s: String) -> String { paint(s, "1") }
  func dim(_ s: String) -> String { paint(s, "2") }
  func good(_ s: String) -> String { paint(s, "32") }
  func bad(_ s: String) -> String { paint(s, "31") }
  func place(_ s: String) -> String { paint(s, "1;33") }

  // MARK: Numbers

  /// A number with `precision` significant digits (`%g`), −0 shown as 0; a whole number below
  /// 10^15 in full (a count of 23165 parameters is not 2.316e+04).
  public func number(_ x: Double) -> String { number(x, whole: Style.isWhole(x)) }

  private func number(_ x: Double, whole: Bool) -> String {
    if x == 0 { return "0" }
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if whole { return String(format: "%.0f", x) }
    return String(format: "%.\(precision)g", x)
  }

  private static func isWhole(_ x: Double) -> Bool { x.rounded() == x && Swift.abs(x) < 1e15 }

  /// The elements of one value in one format: whole numbers in full only when every element is
  /// one, so that 123456 never stands beside a rounded 1.235e+05.
  func numbers(_ values: [Double]) -> [String] {
    let whole = values.allSatisfy { !$0.isFinite || Style.isWhole($0) }
    return values.map { number($0, whole: whole && Style.isWhole($0)) }
  }

  /// A number with a fixed count of significant digits, for tables of checks.
  func scientific(_ x: Double, digits: Int = 6) -> String {
    x == 0 || !x.isFinite ? number(x) : String(format: "%.\(digits - 1)e", x)
  }

  // MARK: Matrices

  /// The largest matrix shown element by element; bigger ones are summarised.
  static let fullRows = 12
  static let fullColumns = 12
  /// The longest vector shown in full on one line.
  static let fullVectorLength = 16

  /// A value on one line when it fits: a number, a vector `[a, b, c]`, or a summary.
  public func inline(_ m: Matrix) -> String {
    if m.count == 1 { return number(m.storage[0]) }
    // Formatted only when shown element by element (a big matrix is summarised).
    guard (m.cols == 1 || m.rows == 1) && m.count <= Style.fullVectorLength || m.rows <= 3 && m.cols <= 6 else {
      return summary(m)
    }
    let shown = numbers(m.storage)
    if (m.cols == 1 || m.rows == 1) && m.count <= Style.fullVectorLength {
      return "[" + shown.joined(separator: ", ") + "]"
    }
    if m.rows <= 3 && m.cols <= 6 {
      return "["
        + (0..<m.rows).map { i in "[" + shown[(i * m.cols)..<((i + 1) * m.cols)].joined(separator: ", ") + "]" }
        .joined(separator: ", ") + "]"
    }
    return summary(m)
  }

  /// A one-line description of a large matrix: shape, range, mean and norm.
  public func summary(_ m: Matrix) -> String {
    let mean = m.sum / Double(max(m.count, 1))
    let minimum = m.storage.min() ?? 0
    let maximum = m.storage.max() ?? 0
    return
      "\(m.shapeDescription) (min \(number(minimum)), max \(number(maximum)), mean \(number(mean)), norm \(number(m.norm)))"
  }

  /// A value as lines: small matrices as aligned rows, vectors on one line, big ones summarised.
  public func block(_ m: Matrix, rowLabels: [String]? = nil) -> [String] {
    if m.count == 1 || m.cols == 1 && m.count <= Style.fullVectorLength
      || m.rows == 1 && m.count <= Style.fullVectorLength
    {
      return [inline(m)]
    }
    guard m.rows <= Style.fullRows && m.cols <= Style.fullColumns else { return [summary(m)] }
    let shown = numbers(m.storage)
    let cells = (0..<m.rows).map { i in Array(shown[(i * m.cols)..<((i + 1) * m.cols)]) }
    let width = cells.flatMap { $0 }.map(\.count).max() ?? 1
    let labelWidth = rowLabels?.map(\.count).max() ?? 0
    return cells.enumerated().map { i, row in
      let label = rowLabels.map { $0[i].padding(toLength: labelWidth, withPad: " ", startingAt: 0) + " " } ?? ""
      let opening = i == 0 ? "[" : " "
      let closing = i == m.rows - 1 ? "]" : ""
      return label + opening + "["
        + row.map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: " ")
        + "]" + closing
    }
  }
}

extension String {
  /// The string padded with spaces on the right to `width` characters.
  func padded(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}

/// `1 breakpoint`, `2 breakpoints`, `0 watches`: a count with its noun in the right number.
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
  "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}

/// Words wrapped to lines of at most `width` characters (a longer word alone on its line).
public func wordWrapped(_ text: String, width: Int) -> [String] {
  var lines: [String] = []
  var current = ""
  for word in text.split(separator: " ") {
    if !current.isEmpty && current.count + 1 + word.count > width {
      lines.append(current)
      current = ""
    }
    current += (current.isEmpty ? "" : " ") + word
  }
  if !current.isEmpty { lines.append(current) }
  return lines
}
