import Foundation

/// Compares a command's actual output with a transcript's expected output.
///
/// - A line `...` matches any number of lines (none included).
/// - `[..]` within a line matches any text within that line.
/// - With a tolerance, numbers match when their relative difference is at most it (the text
///   around them must match exactly).
enum OutputMatcher {
  static func matches(_ actual: [String], _ expected: [String], tolerance: Double?) -> Bool {
    match(actual[...], expected[...], tolerance)
  }

  private static func match(_ actual: ArraySlice<String>, _ expected: ArraySlice<String>, _ tolerance: Double?) -> Bool
  {
    guard let first = expected.first else { return actual.isEmpty }
    if first.trimmingCharacters(in: .whitespaces) == "..." {
      let rest = expected.dropFirst()
      var a = actual
      while true {
        if match(a, rest, tolerance) { return true }
        guard !a.isEmpty else { return false }
        a = a.dropFirst()
      }
    }
    guard let line = actual.first, lineMatches(line, first, tolerance) else { return false }
    return match(actual.dropFirst(), expected.dropFirst(), tolerance)
  }

  static func lineMatches(_ actual: String, _ expected: String, _ tolerance: Double?) -> Bool {
    if actual == expected { return true }
    if expected.contains("[..]") {
      let parts = expected.components(separatedBy: "[..]")
      guard actual.hasPrefix(parts.first!), actual.hasSuffix(parts.last!),
        actual.count >= parts.first!.count + parts.last!.count
      else { return false }
      var rest = Substring(actual.dropFirst(parts.first!.count))
      for part in parts.dropFirst().dropLast() where !part.isEmpty {
        guard let range = rest.range(of: part) else { return false }
        rest = rest[range.upperBound...]
      }
      return rest.count >= parts.last!.count
    }
    guard let tolerance else { return false }
    let (actualText, actualNumbers) = split(actual)
    let (expectedText, expectedNumbers) = split(expected)
    guard actualText == expectedText, actualNumbers.count == expectedNumbers.count else { return false }
    return zip(actualNumbers, expectedNumbers).allSatisfy { a, e in
      abs(a - e) <= tolerance * max(abs(a), abs(e)) || a == e
    }
  }

  private static let number = try! NSRegularExpression(pattern: #"-?\d+(\.\d+)?(e[-+]?\d+)?"#)

  /// The line with its numbers replaced by `#`, and the numbers.
  private static func split(_ line: String) -> (String, [Double]) {
    let range = NSRange(line.startIndex..., in: line)
    var numbers: [Double] = []
    var text = ""
    var last = line.startIndex
    for match in number.matches(in: line, range: range) {
      guard let r = Range(match.range, in: line), let x = Double(line[r]) else { continue }
      text += line[last..<r.lowerBound] + "#"
      numbers.append(x)
      last = r.upperBound
    }
    text += line[last...]
    return (text, numbers)
  }
}
