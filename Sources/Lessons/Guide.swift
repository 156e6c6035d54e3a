import Foundation
import Interop
import Interpreter
import RNNCore

/// Guided mode: shows a lesson a section at a time, offers each command (Enter runs it), asks
/// the exercises, and keeps the learner's progress in a state file.
public final class Guide: LessonHost {
  /// The lessons of the folder, read the first time they are needed (none where a file cannot be
  /// read: the lesson commands say why).
  public var lessons: [Lesson] { (try? loadedLessons()) ?? [] }
  private let directory: String
  private var loaded: [Lesson]?
  private var statePath: String?
  private var progress: Progress

  /// Where the learner is: lesson, section, item, and step within a transcript.
  struct Place: Codable, Equatable {
    var lesson: Int
    var section = 0
    var item = 0
    var step = 0
  }

  struct Progress: Codable {
    var current: Place?
    var done: [Int] = []
    var reached: [String: Place] = [:]
  }

  private enum Mode {
    case offering(String)
    case asking(Lesson.Exercise, hints: Int, answer: Double?)
    case sectionEnd
  }

  private var place: Place?
  private var mode: Mode?
  /// Set while the guide runs commands of its own (a solution, an equation it installs): they
  /// run as commands, never as answers.
  private var passingThrough = false
  /// The learner's session before the lesson began: `lesson stop` gives it back.
  private var sessionBefore: Session?

  /// - Parameters:
  ///   - directory: the folder of lesson files (`NN-name.md`).
  ///   - statePath: the progress file; nil keeps none.
  public init(directory: String, statePath: String?) throws {
    self.directory = directory
    self.statePath = statePath
    progress = Progress()
    if let statePath, let data = FileManager.default.contents(atPath: statePath) {
      if let saved = try? JSONDecoder().decode(Progress.self, from: data) {
        progress = saved
      } else {
        // Never overwrite what cannot be read: set it aside, say where, and start afresh.
        var aside = statePath + ".unreadable"
        var n = 1
        while FileManager.default.fileExists(atPath: aside) {
          n += 1
          aside = statePath + ".unreadable-\(n)"
        }
        let moved = rename(statePath, aside) == 0
        warning =
          moved
          ? "the lesson progress in \(statePath) could not be read; it was set aside as \(aside), and progress starts afresh"
          : "the lesson progress in \(statePath) could not be read, nor set aside; progress will not be saved"
        if !moved { self.statePath = nil }
      }
    }
  }

  /// What went wrong with the progress file when it was opened, for the learner to read.
  public private(set) var warning: String?

  public var prompt: String? {
    guard let place else { return nil }
    if case .asking = mode { return "(answer) " }
    return "(lesson \(place.lesson)) "
  }

  /// The lesson files, parsed on first use rather than when rnnstep starts: parsing all twelve
  /// took 7 of the 18 ms that every start took, `rnnstep -c 'print Whh'` as much as a lesson.
  /// A folder that cannot be read is read again at the next lesson command (the learner may
  /// have mended the file meanwhile).
  private func loadedLessons() throws -> [Lesson] {
    if let loaded { return loaded }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let read: [Lesson]
    do {
      read = try names.filter { $0.hasSuffix(".md") && $0.first?.isNumber == true }.sorted()
        .map { try Lesson.load(path: directory + "/" + $0) }
    } catch {
      throw LessonError(message: "a lesson could not be read: \(error)")
    }
    loaded = read
    forgetPlaces(outside: read)
    return read
  }

  /// Forgets the places of the progress file that the lessons do not have (a lesson renumbered,
  /// shortened or removed since, a file edited by hand): resuming one indexed past the lesson
  /// and stopped rnnstep. Such a lesson starts from its beginning.
  private func forgetPlaces(outside lessons: [Lesson]) {
    func valid(_ p: Place) -> Bool {
      guard let l = lessons.first(where: { $0.number == p.lesson }), p.section >= 0, p.section < l.sections.count,
        p.item >= 0, p.item < l.sections[p.section].items.count, p.step >= 0
      else { return false }
      if case .transcript(let t) = l.sections[p.section].items[p.item] { return p.step < t.steps.count }
      return p.step == 0
    }
    if let current = progress.current, !valid(current) {
      progress.current = lessons.contains { $0.number == current.lesson } ? Place(lesson: current.lesson) : nil
    }
    progress.reached = progress.reached.filter { key, place in key == String(place.lesson) && valid(place) }
  }

  // MARK: Commands

  public func listLessons() -> [String] {
    do { _ = try loadedLessons() } catch { return ["\(error)"] }
    guard !lessons.isEmpty else { return ["no lessons found"] }
    // The titles padded into a column as wide as the longest: never cut, always aligned.
    let width = lessons.map(\.title.count).max() ?? 0
    return lessons.map { lesson in
      let state =
        progress.done.contains(lesson.number)
        ? "done"
        : progress.reached[String(lesson.number)].map { "section \($0.section + 1) of \(lesson.sections.count)" } ?? ""
      return
        "\(String(lesson.number).padding(toLength: 3, withPad: " ", startingAt: 0)) "
        + lesson.title.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(state)"
    } + ["lesson N starts or resumes lesson N; lesson alone resumes where you left off"]
  }

  public func lessonCommand(_ arguments: String, interpreter: Interpreter) throws -> [String] {
    _ = try loadedLessons()
    let words = arguments.split(separator: " ").map(String.init)
    if words == ["stop"] {
      guard let place else { return ["no lesson is running"] }
      self.place = nil
      mode = nil
      // The lesson worked on a session of its own; the learner's comes back whole.
      interpreter.restore(sessionBefore ?? .builtIn())
      sessionBefore = nil
      return ["left lesson \(place.lesson) (lesson resumes it where you were); your session is as before the lesson"]
    }
    guard words.count <= 1 || (words.count == 2 && words[1] == "restart") else {
      throw LessonError(message: "usage: lesson [N [restart] | stop]")
    }
    let restart = words.count == 2 && words[1] == "restart"
    let number: Int
    if let first = words.first {
      guard let n = Int(first), lessons.contains(where: { $0.number == n }) else {
        throw LessonError(message: "there is no lesson '\(first)': lessons lists them")
      }
      number = n
    } else {
      guard let current = progress.current?.lesson ?? lessons.first?.number else {
        throw LessonError(message: "no lessons found")
      }
      // A finished lesson is not resumed (unless it is being gone through again): the next one
      // not yet done is.
      if progress.done.contains(current) && progress.reached[String(current)] == nil {
        let later = lessons.map(\.number).filter { $0 > current && !progress.done.contains($0) }
        let any = lessons.map(\.number).filter { !progress.done.contains($0) }
        guard let next = later.first ?? any.first else {
          return ["every lesson is done: lesson N goes through lesson N again"]
        }
        number = next
      } else {
        number = current
      }
    }
    // The lesson already running: say where it is, leaving the session as the learner made it.
    if let place, place.lesson == number, !restart, let mode {
      let note =
        "lesson \(number) goes on where you are, your session as you left it (lesson \(number) restart starts it again)"
      switch mode {
      case .offering(let command): return [note, "› " + command + "   (Enter runs it)"]
      case .asking(let exercise, _, _):
        return [
          note, "",
        ] + Guide.wrapped("Exercise: " + exercise.question) + [
          "(answer at the prompt; hint for a hint, solution to see it)"
        ]
      case .sectionEnd: return [note, "— end of section. Enter continues; any command explores first."]
      }
    }
    // A place saved in the lesson (also one gone through again) is where it resumes; a finished
    // lesson asked for by number starts again.
    let saved = progress.reached[String(number)]
    var start = restart ? Place(lesson: number) : saved ?? Place(lesson: number)
    if progress.done.contains(number) && words.count == 1 && saved == nil { start = Place(lesson: number) }
    // Replay the lesson silently up to the place, so the session is as the lesson expects.
    if self.place == nil { sessionBefore = interpreter.session }
    interpreter.restoreBuiltIn()
    var replay = Place(lesson: number)
    while replay != start, let command = commandAt(replay) {
      _ = run(command, interpreter)
      guard let next = advance(replay) else { break }
      replay = next
    }
    place = start
    var lines = show(interpreter, introducing: true)
    if start != Place(lesson: number) {
      // The session was rebuilt from the lesson's own commands: say so, since what the learner
      // ran besides them (an extra update, a let) is not in it.
      lines.insert(
        "(resumed: the lesson's own commands up to here ran again; commands of your own from before are not in this session)",
        at: min(1, lines.count))
    }
    return lines
  }

  public func hint() throws -> [String] {
    guard case .asking(let exercise, let shown, let answer) = mode else {
      throw LessonError(message: "there is no exercise open")
    }
    guard shown < exercise.hints.count else { return ["no more hints: type solution to see it"] }
    mode = .asking(exercise, hints: shown + 1, answer: answer)
    return Guide.wrapped("hint \(shown + 1) of \(exercise.hints.count): \(exercise.hints[shown])")
  }

  public func solution(interpreter: Interpreter) throws -> [String] {
    guard case .asking(let exercise, _, _) = mode else { throw LessonError(message: "there is no exercise open") }
    var lines = ["solution:"]
    for command in exercise.solution {
      lines.append(Lesson.prompt + command)
      lines += run(command, interpreter)
    }
    if let words = exercise.answerWords { lines.append("answer: " + words.joined(separator: " ")) }
    return lines + moveOn(interpreter)
  }

  // MARK: Lines typed in guided mode

  /// A command of the guide's own, run past its interception.
  private func run(_ command: String, _ interpreter: Interpreter) -> [String] {
    passingThrough = true
    defer { passingThrough = false }
    return interpreter.execute(command).lines
  }

  public func intercept(_ line: String, interpreter: Interpreter) -> [String]? {
    guard place != nil, !passingThrough, let mode else { return nil }
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    switch mode {
    case .offering(let command):
      // The offered command typed out is the offer taken, not a second run of it.
      guard trimmed.isEmpty || trimmed == command.trimmingCharacters(in: .whitespaces) else { return nil }
      var out = run(command, interpreter)
      out += moveOn(interpreter)
      return out
    case .sectionEnd:
      guard trimmed.isEmpty else { return nil }
      return moveOn(interpreter)
    case .asking(let exercise, _, let expected):
      // A command (hint, solution, or any other to explore) runs; anything else is an answer.
      if trimmed.isEmpty { return ["type your answer, or hint, or solution"] }
      // `let NAME = …` for the equation asked about is an answer, judged before it is installed.
      let written = trimmed.hasPrefix("let ") ? String(trimmed.dropFirst(4)) : nil
      if let equation = exercise.answerEquation,
        written.map({ Guide.assignment($0)?.name == equation.name }) ?? true
      {
        if written == nil && interpreter.isCommand(String(trimmed.prefix { !$0.isWhitespace })) { return nil }
        // "dh_raw = …", "dWhh += …" or just the right-hand side; right when it gives the same values.
        var text = trimmed
        if let split = Guide.assignment(written ?? trimmed) {
          // An equation for another quantity answers another question.
          guard split.name == equation.name else {
            return [
              "not quite: this one asks for \(equation.name), and yours gives \(split.name) (try again, hint or solution)"
            ]
          }
          text = split.expression
        }
        do {
          if let t = try interpreter.firstDisagreement(equation.name, text, reference: equation.expression) {
            let steps = interpreter.session.data?.count ?? t
            // Where it first goes wrong, in the order BPTT computes it (t = T down to 1).
            let right = t + 1 == steps ? "t=\(steps)" : "t=\(steps)…\(t + 1)"
            let whereWrong = t == steps ? "already at t=\(t)" : "from t=\(t) (it is right at \(right))"
            return [
              "not quite: it gives other values than \(equation.name) needs \(whereWrong), going back from t=\(steps) "
                + "as BPTT does (try again, hint or solution)" + (written == nil ? "" : "; yours was not installed")
            ]
          }
        } catch {
          return ["that does not evaluate: \(error) (try again, hint or solution)"]
        }
        // Right: it becomes the learner's equation, whether typed with let or not, on top of
        // min-char-rnn's equations (under the seed's or a mystery, yours would not be all that
        // differs, and under a mystery let refuses).
        var installed: [String] = []
        let session = interpreter.session
        if session.variant == .seed || session.variant == .mystery
          || (session.variant == .equations && session.equationBase != .correct)
        {
          installed += run("bptt correct", interpreter)
        }
        installed += run("let \(equation.name) = \(text)", interpreter)
        return ["right: \(equation.name) = \(text) gives \(equation.name) at every step."] + installed
          + moveOn(interpreter)
      }
      // A line that starts with a command's name is an answer when it reads as one (loss is both
      // a command and the total loss; Whh @ h names the answer); otherwise it runs.
      let readsAsAnswer =
        exercise.answerWords.map { Guide.namesMatch(trimmed, expected: $0, question: exercise.question) }
        ?? ((try? interpreter.number(trimmed)) != nil)
      if !readsAsAnswer && interpreter.isCommand(String(trimmed.prefix { !$0.isWhitespace })) { return nil }
      if let words = exercise.answerWords {
        guard Guide.namesMatch(trimmed, expected: words, question: exercise.question) else {
          let isNumber = Double(trimmed) != nil || (try? interpreter.number(trimmed)) != nil
          return [Guide.wordsFeedback(trimmed, expected: words, question: exercise.question, isNumber: isNumber)]
        }
        return ["right."] + moveOn(interpreter)
      }
      // A number, or an expression that gives one (12+9+12+3+4, norm(dWhh)): judged by value.
      // "t = 4" answers "Answer that t." as 4 does.
      var trimmed = trimmed
      if let named = Guide.assignment(trimmed), !named.expression.hasPrefix("="), named.name.first?.isLetter == true {
        trimmed = named.expression
      }
      let value: Double
      if let number = Double(trimmed) {
        value = number
      } else {
        do { value = try interpreter.number(trimmed) } catch {
          // Say what was wrong with it (a name, an index, a shape), then what is asked for.
          return [
            "\(interpreter.describeAnswerError(error)): answer with a number or an expression that gives one "
              + "(or type hint or solution)"
          ]
        }
      }
      // The reference as the exercise was shown; or, if it could not be computed then (a value
      // the cursor had not reached), as the learner's state gives it now.
      guard let expected = expected ?? exercise.answerExpression.flatMap({ try? interpreter.number($0) }) else {
        return ["this exercise has no reference answer here: its value is not computed yet (try last, then answer)"]
      }
      let close =
        abs(value - expected) <= exercise.tolerance * max(abs(expected), 1e-12)
        || abs(value - expected) <= exercise.tolerance * 1e-3
      guard close else {
        // What the learner's expression gave (a number typed as such needs no echo).
        let gave = Double(trimmed) == nil ? "\(trimmed) = \(interpreter.style.number(value)); " : ""
        // Within a few percent: the digits, not the idea, are what is missing.
        let near = abs(value - expected) <= 0.05 * abs(expected)
        return ["not quite: \(gave)\(near ? "close, but give more digits; " : "")try again, or type hint or solution"]
      }
      // "right: 0", not "right: 0 = 0", when the answer is a number rather than a computation.
      let expression = exercise.answerExpression!
      let shown = interpreter.style.number(expected)
      return ["right: " + (Double(expression) != nil ? shown : "\(expression) = \(shown)")] + moveOn(interpreter)
    }
  }

  /// A lesson's own line of text wrapped as its prose is (96 columns).
  static func wrapped(_ text: String) -> [String] { wordWrapped(text, width: 96) }

  /// `NAME = EXPRESSION` or `NAME += EXPRESSION` split into the name and the expression.
  static func assignment(_ text: String) -> (name: String, expression: String)? {
    guard let equals = text.firstIndex(of: "=") else { return nil }
    var name = text[..<equals].trimmingCharacters(in: .whitespaces)
    if name.hasSuffix("+") { name = name.dropLast().trimmingCharacters(in: .whitespaces) }
    let expression = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    guard !name.isEmpty, !expression.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
      return nil
    }
    return (name, expression)
  }

  /// Whether a free answer names what was expected: the names in it (Whh, h, dh_raw…), read
  /// whatever the punctuation or case, must include every expected one and no other name of
  /// the same kind (parameters and gradients). So "Whh @ h[t-1]" answers "Whh", and
  /// "Wxh, Whh, Why and bh." answers "Wxh Whh Why bh".
  static func namesMatch(_ answer: String, expected: [String], question: String = "") -> Bool {
    let (given, competing) = words(of: answer, expected: expected, question: question)
    let wanted = Set(expected.map { $0.lowercased() })
    return wanted.isSubset(of: given) && given.intersection(competing).isSubset(of: wanted)
  }

  /// The names and words an answer gives (a word after "not" or "no" is not given; "decreases"
  /// gives down), and the ones that compete with the expected: parameter names and the choices
  /// the question offers ("up or down").
  private static func words(of answer: String, expected: [String], question: String) -> (
    given: Set<String>, competing: Set<String>
  ) {
    let pattern = try! NSRegularExpression(pattern: "[A-Za-z_][A-Za-z0-9_]*")
    func names(_ text: String) -> [String] {
      pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
        Range($0.range, in: text).map { String(text[$0]).lowercased() }
      }
    }
    let synonyms: [String: String] = [
      "decrease": "down", "decreases": "down", "decreasing": "down", "lower": "down", "falls": "down",
      "increase": "up", "increases": "up", "increasing": "up", "higher": "up", "rises": "up",
    ]
    var given: Set<String> = []
    var negated = false
    for word in names(answer) {
      if word == "not" || word == "no" {
        negated = true
        continue
      }
      // dWhh_t (step t's part of dWhh) names dWhh.
      let name = word.hasSuffix("_t") && word.count > 2 ? String(word.dropLast(2)) : word
      if !negated { given.insert(synonyms[name] ?? name) }
      negated = false
    }
    // Parameters, their gradients and the backward quantities compete: naming every equation is
    // no answer to which one.
    let parameters = Set(Parameter.allCases.flatMap { [$0.name.lowercased(), $0.gradientName.lowercased()] })
      .union(["dy", "dh", "dh_raw", "dh_next"])
    // "up or down": both words are choices.
    let question = names(question)
    let choices = question.indices.filter { question[$0] == "or" }.flatMap { k in
      [k > 0 ? question[k - 1] : nil, k + 1 < question.count ? question[k + 1] : nil].compactMap { $0 }
    }
    return (given, parameters.union(expected.map { $0.lowercased() }).union(choices))
  }

  /// Why a word answer is not right, as far as that can be said without giving it away.
  static func wordsFeedback(_ answer: String, expected: [String], question: String, isNumber: Bool) -> String {
    if isNumber { return "not quite: this one asks for a name or a word, not a number (try again, hint or solution)" }
    let (given, competing) = words(of: answer, expected: expected, question: question)
    let wanted = Set(expected.map { $0.lowercased() })
    // As the learner wrote them: Whh, not whh.
    let typed = answer.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
    let others = given.intersection(competing).subtracting(wanted).sorted().map { o in
      typed.first { $0.lowercased() == o } ?? o
    }
    if wanted.isSubset(of: given) && !others.isEmpty {
      return
        "not quite: name only what is asked (yours also names \(others.joined(separator: ", "))); try again, hint or solution"
    }
    return "not quite: try again, or type hint or solution"
  }

  // MARK: Moving through a lesson

  private func lesson(_ number: Int) -> Lesson { lessons.first { $0.number == number }! }

  /// The command at a place, if the place is a transcript step.
  private func commandAt(_ p: Place) -> String? {
    let l = lesson(p.lesson)
    guard p.section < l.sections.count, p.item < l.sections[p.section].items.count else { return nil }
    switch l.sections[p.section].items[p.item] {
    case .transcript(let t): return p.step < t.steps.count ? t.steps[p.step].command : ""
    case .exercise(let e): return e.solution.joined(separator: "; ")
    case .prose: return ""
    }
  }

  /// The next place in reading order, nil at the end of the lesson.
  private func advance(_ p: Place) -> Place? {
    let l = lesson(p.lesson)
    var next = p
    if case .transcript(let t) = l.sections[p.section].items[p.item], p.step + 1 < t.steps.count {
      next.step += 1
      return next
    }
    next.step = 0
    next.item += 1
    if next.item < l.sections[p.section].items.count { return next }
    next.item = 0
    next.section += 1
    return next.section < l.sections.count ? next : nil
  }

  /// Steps past what was just done and shows what comes next.
  private func moveOn(_ interpreter: Interpreter) -> [String] {
    guard let p = place else { return [] }
    if case .sectionEnd = mode {
      var next = p
      next.section += 1
      next.item = 0
      next.step = 0
      return enter(next, interpreter)
    }
    guard let next = advance(p) else { return finish(p.lesson) }
    if next.section != p.section {
      mode = .sectionEnd
      save(next)
      return [
        "",
        "— end of section. Enter continues with \"\(lesson(p.lesson).sections[next.section].heading)\"; any command explores first.",
      ]
    }
    return enter(next, interpreter)
  }

  private func enter(_ p: Place, _ interpreter: Interpreter) -> [String] {
    guard p.section < lesson(p.lesson).sections.count else { return finish(p.lesson) }
    place = p
    save(p)
    return show(interpreter, introducing: false)
  }

  /// Shows the item at the current place: prose runs on to the next item; a transcript step is
  /// offered; an exercise is asked.
  private func show(_ interpreter: Interpreter, introducing: Bool) -> [String] {
    guard var p = place else { return [] }
    let l = lesson(p.lesson)
    var out: [String] = []
    if introducing {
      out.append("Lesson \(l.number): \(l.title)  (Enter runs the offered command; lesson stop leaves)")
    }
    while true {
      let section = l.sections[p.section]
      if p.item == 0 && p.step == 0 && !section.heading.isEmpty { out += ["", "## " + section.heading] }
      switch section.items[p.item] {
      case .prose(let lines):
        out += [""] + lines
        guard let next = advance(p) else {
          place = p
          return out + finish(p.lesson)
        }
        if next.section != p.section {
          place = p
          mode = .sectionEnd
          save(next)
          return out + ["", "— end of section. Enter continues; any command explores first."]
        }
        p = next
      case .transcript(let t):
        place = p
        mode = .offering(t.steps[p.step].command)
        save(p)
        return out + ["› " + t.steps[p.step].command + "   (Enter runs it)"]
      case .exercise(let e):
        place = p
        let expected = e.answerExpression.flatMap { try? interpreter.number($0) }
        mode = .asking(e, hints: 0, answer: expected)
        save(p)
        return out + [""] + Guide.wrapped("Exercise: " + e.question) + [
          "(answer at the prompt; hint for a hint, solution to see it)"
        ]
      }
    }
  }

  private func finish(_ number: Int) -> [String] {
    place = nil
    mode = nil
    sessionBefore = nil
    if !progress.done.contains(number) { progress.done.append(number) }
    progress.reached[String(number)] = nil
    let next = lessons.first { $0.number > number }
    progress.current = next.map { Place(lesson: $0.number) }
    writeProgress()
    return [
      "",
      "Lesson \(number) is done; its session stays yours to explore."
        + (next.map { " Next: lesson \($0.number), \($0.title)." } ?? " That was the last lesson."),
    ]
  }

  private func save(_ p: Place) {
    progress.current = p
    progress.reached[String(p.lesson)] = p
    writeProgress()
  }

  private func writeProgress() {
    guard let statePath, let data = try? JSONEncoder().encode(progress) else { return }
    let folder = (statePath as NSString).deletingLastPathComponent
    if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    try? AtomicFile.write(data, to: statePath)
  }
}
