import Foundation
import RNNCore
import Testing

@testable import Interpreter
@testable import Lessons

/// Every lesson of lessons/, replayed in guided mode as a learner would: Enter at every offered
/// command, and at every exercise the learner runs the solution, reads the number it printed (to
/// the 4 digits shown) and types that in. An exercise that rejects what the screen showed is a
/// contradiction, and fails here.
@Suite("Lessons replayed as a learner")
struct ReplayTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "../../lessons"
  ).standardized.path

  static var numbers: [Int] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".md") }
      .compactMap { Int($0.prefix { $0.isNumber }) }.sorted()
  }

  @Test("every exercise accepts the answer the screen shows", arguments: numbers)
  func replay(_ number: Int) throws {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent(
      "rnnstep-replay-\(UInt64.random(in: 0...UInt64.max)).json"
    ).path
    defer { try? FileManager.default.removeItem(atPath: state) }
    let guide = try Guide(directory: Self.folder, statePath: state)
    let lesson = try Lesson.load(
      path: Self.folder + "/" + (try FileManager.default.contentsOfDirectory(atPath: Self.folder)).first {
        $0.hasSuffix(".md") && Int($0.prefix { $0.isNumber }) == number
      }!)
    let exercises = lesson.sections.flatMap(\.items).compactMap { item -> Lesson.Exercise? in
      if case .exercise(let e) = item { return e }
      return nil
    }
    let i = Interpreter()
    i.lessonHost = guide
    _ = i.execute("lesson \(number)")
    var asked = 0
    var steps = 0
    while i.prompt != "(rnnstep) ", steps < 2000 {
      steps += 1
      guard i.prompt == "(answer) " else {
        _ = i.execute("")
        continue
      }
      let exercise = exercises[asked]
      asked += 1
      // What the learner would type: the number the solution printed, as shown; the words or
      // the equation the exercise names.
      var answer: String
      if let words = exercise.answerWords {
        answer = words.joined(separator: " ")
      } else if let equation = exercise.answerEquation {
        answer = equation.expression
      } else {
        // The last number the solution printed: its last command shows the answer.
        let shown = exercise.solution.flatMap { i.execute($0).reports }.compactMap { report -> Double? in
          guard case .value(_, let v) = report, v.count == 1 else { return nil }
          return v.storage[0]
        }.last
        let value = try shown ?? i.number(exercise.answerExpression!)
        // A whole number is typed whole (info model prints "23165 parameters"); others as shown.
        answer = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : i.style.number(value)
      }
      let reply = i.execute(answer).lines
      #expect(
        reply.first?.hasPrefix("right") == true,
        "lesson \(number), exercise \(asked) (\(exercise.question)): typed \(answer), got \(reply)")
      if reply.first?.hasPrefix("right") != true { _ = i.execute("solution") }
    }
    #expect(asked == exercises.count, "lesson \(number): \(asked) of \(exercises.count) exercises asked")
  }
}
