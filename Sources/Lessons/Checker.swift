import Foundation
import Interop
import Interpreter

/// Check mode: runs every transcript of a lesson (or any Markdown file) in a fresh session and
/// compares the output; evaluates every exercise's reference answer and runs its solution.
public enum LessonChecker {
  public struct Report: Sendable {
    /// What to print: mismatches and a summary.
    public var lines: [String] = []
    public var failures = 0
    public var commands = 0
    public var exercises = 0
  }

  /// Checks `paths`; with `bless`, rewrites the expected output of every command that does not
  /// match (atomically, file by file).
  public static func check(paths: [String], bless: Bool) -> Report {
    var report = Report()
    for path in paths {
      do {
        try check(path: path, bless: bless, into: &report)
      } catch {
        report.failures += 1
        report.lines.append("\(error)")
      }
    }
    let summary =
      "\(paths.count) file\(paths.count == 1 ? "" : "s"), \(report.commands) commands, \(report.exercises) exercises"
    if bless {
      report.lines.append("blessed: \(summary)")
    } else {
      report.lines.append(
        report.failures == 0
          ? "all match: \(summary)" : "\(report.failures) mismatch\(report.failures == 1 ? "" : "es"): \(summary)")
    }
    return report
  }

  private static func check(path: String, bless: Bool, into report: inout Report) throws {
    let lesson = try Lesson.load(path: path)
    let interpreter = Interpreter()
    var replacements: [(range: Range<Int>, lines: [String])] = []
    for section in lesson.sections {
      for item in section.items {
        switch item {
        case .prose: continue
        case .transcript(let transcript):
          for step in transcript.steps {
            report.commands += 1
            let actual = interpreter.execute(step.command).lines
            if OutputMatcher.matches(actual, step.expected, tolerance: transcript.tolerance) { continue }
            if bless {
              // The command's line is 1-based; its output follows it.
              replacements.append((step.line..<(step.line + step.expected.count), actual))
              continue
            }
            report.failures += 1
            report.lines.append("\(path):\(step.line): \(Lesson.prompt)\(step.command)")
            report.lines.append("  expected:")
            report.lines += step.expected.map { "    " + $0 }
            report.lines.append("  actual:")
            report.lines += actual.map { "    " + $0 }
          }
        case .exercise(let exercise):
          report.exercises += 1
          do {
            if let expression = exercise.answerExpression { _ = try interpreter.number(expression) }
            if let equation = exercise.answerEquation {
              // The reference must evaluate over the pass, and agree with itself.
              guard try interpreter.equationAgrees(equation.name, equation.expression, reference: equation.expression)
              else { throw LessonError(message: "answer-equation \(equation.name) does not evaluate") }
            }
            for command in exercise.solution {
              let outcome = interpreter.execute(command)
              if let error = outcome.error { throw LessonError(message: "solution '\(command)': \(error)") }
            }
          } catch {
            report.failures += 1
            report.lines.append("\(path):\(exercise.line): exercise: \(error)")
          }
        }
      }
    }
    guard bless, !replacements.isEmpty else { return }
    var lines = lesson.lines
    for r in replacements.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
      lines.replaceSubrange(r.range, with: r.lines)
    }
    try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
    report.lines.append(
      "\(path): rewrote the output of \(replacements.count) command\(replacements.count == 1 ? "" : "s")")
  }
}
