import Foundation

/// A lesson: a Markdown file of prose, transcripts of rnnstep commands with their expected
/// output, and exercises (docs/lessons.md describes the format).
public struct Lesson: Sendable {
  /// From the file name's leading digits (`03-unrolling.md` is lesson 3); 0 for other files.
  public let number: Int
  /// The first `# ` heading.
  public let title: String
  public let path: String
  /// The file's lines, for check mode's messages and for --bless.
  public let lines: [String]
  public let sections: [Section]

  /// A part of a lesson under one `## ` heading (the text before the first is section 0).
  public struct Section: Sendable {
    public let heading: String
    public let items: [Item]
  }

  public enum Item: Sendable {
    case prose([String])
    case transcript(Transcript)
    case exercise(Exercise)
  }

  /// A fenced ```` ```rnnstep ```` block: commands after `(rnnstep) `, each followed by its output.
  public struct Transcript: Sendable {
    /// Line (1-based) of the opening fence.
    public let line: Int
    /// Relative tolerance for numbers (`tolerance=1e-3` on the fence); nil compares text exactly.
    public let tolerance: Double?
    public let steps: [Step]
  }

  public struct Step: Sendable {
    public let command: String
    /// Line of the command.
    public let line: Int
    /// The expected output (may hold `...` lines and `[..]` within lines).
    public let expected: [String]
  }

  /// A fenced ```` ```exercise ```` block of `key: value` lines.
  public struct Exercise: Sendable {
    public let line: Int
    public let question: String
    /// An expression whose value is the answer (a number), or
    public let answerExpression: String?
    /// the words that make the answer (any order, any case), or
    public let answerWords: [String]?
    /// a backward equation (`dh_raw = (1 - h*h) * dh`): the learner's counts as right when it
    /// gives the same values over the recorded pass.
    public let answerEquation: (name: String, expression: String)?
    public let tolerance: Double
    public let hints: [String]
    /// Commands that show the solution.
    public let solution: [String]
  }

  /// Every transcript, in order.
  public var transcripts: [Transcript] {
    sections.flatMap { $0.items }.compactMap {
      if case .transcript(let t) = $0 { return t }
      return nil
    }
  }

  public static let prompt = "(rnnstep) "

  /// Reads and parses a lesson file. - Throws: ``LessonError`` naming the file and line.
  public static func load(path: String) throws -> Lesson {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw LessonError(message: "\(path): cannot read it")
    }
    return try parse(text, path: path)
  }

  public static func parse(_ text: String, path: String) throws -> Lesson {
    // Lessons saved with CRLF line endings read as if they had LF.
    var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
    if lines.last == "" { lines.removeLast() }
    let name = (path as NSString).lastPathComponent
    let number = Int(name.prefix { $0.isNumber }) ?? 0
    var title = name
    var sections: [Section] = []
    var heading = ""
    var items: [Item] = []
    var prose: [String] = []
    func flushProse() {
      while prose.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { prose.removeLast() }
      while prose.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { prose.removeFirst() }
      if !prose.isEmpty { items.append(.prose(prose)) }
      prose = []
    }
    var i = 0
    while i < lines.count {
      let line = lines[i]
      if line.hasPrefix("# ") && title == name {
        title = String(line.dropFirst(2))
        i += 1
        continue
      }
      if line.hasPrefix("## ") {
        flushProse()
        if !items.isEmpty || !heading.isEmpty { sections.append(Section(heading: heading, items: items)) }
        heading = String(line.dropFirst(3))
        items = []
        i += 1
        continue
      }
      if line.hasPrefix("```rnnstep") || line.hasPrefix("```exercise") {
        flushProse()
        let fence = i
        var body: [(Int, String)] = []
        i += 1
        while i < lines.count && !lines[i].hasPrefix("```") {
          body.append((i + 1, lines[i]))
          i += 1
        }
        guard i < lines.count else {
          throw LessonError(message: "\(path):\(fence + 1): the block is not closed with ```")
        }
        if line.hasPrefix("```rnnstep") {
          items.append(.transcript(try transcript(line, body, fenceLine: fence + 1, path: path)))
        } else {
          items.append(.exercise(try exercise(body, fenceLine: fence + 1, path: path)))
        }
        i += 1
        continue
      }
      prose.append(line)
      i += 1
    }
    flushProse()
    if !items.isEmpty || !heading.isEmpty { sections.append(Section(heading: heading, items: items)) }
    return Lesson(number: number, title: title, path: path, lines: lines, sections: sections)
  }

  private static func transcript(_ fence: String, _ body: [(Int, String)], fenceLine: Int, path: String) throws
    -> Transcript
  {
    var tolerance: Double?
    for option in fence.dropFirst("```rnnstep".count).split(separator: " ") {
      if option.hasPrefix("tolerance="), let t = Double(option.dropFirst("tolerance=".count)) {
        tolerance = t
      } else {
        throw LessonError(message: "\(path):\(fenceLine): unknown option '\(option)' (tolerance=X is the only one)")
      }
    }
    var steps: [Step] = []
    var command: (String, Int)?
    var expected: [String] = []
    for (n, line) in body {
      if line.hasPrefix(prompt) || line == prompt.trimmingCharacters(in: .whitespaces) {
        if let command { steps.append(Step(command: command.0, line: command.1, expected: expected)) }
        command = (String(line.dropFirst(prompt.count)), n)
        expected = []
      } else {
        guard command != nil else {
          throw LessonError(message: "\(path):\(n): output before the first command (commands start with '\(prompt)')")
        }
        expected.append(line)
      }
    }
    if let command { steps.append(Step(command: command.0, line: command.1, expected: expected)) }
    return Transcript(line: fenceLine, tolerance: tolerance, steps: steps)
  }

  private static func exercise(_ body: [(Int, String)], fenceLine: Int, path: String) throws -> Exercise {
    var fields: [String: [String]] = [:]
    for (n, line) in body where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      guard let colon = line.firstIndex(of: ":") else {
        throw LessonError(message: "\(path):\(n): expected 'key: value' in an exercise")
      }
      let key = line[..<colon].trimmingCharacters(in: .whitespaces)
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      guard ["question", "answer", "answer-words", "answer-equation", "tolerance", "hint", "solution"].contains(key)
      else {
        throw LessonError(message: "\(path):\(n): unknown exercise field '\(key)'")
      }
      fields[key, default: []].append(value)
    }
    guard let question = fields["question"]?.joined(separator: " ") else {
      throw LessonError(message: "\(path):\(fenceLine): an exercise needs a question")
    }
    let expression = fields["answer"]?.first
    let words = fields["answer-words"]?.first.map { $0.split(separator: " ").map(String.init) }
    let equation = try fields["answer-equation"]?.first.map { text -> (name: String, expression: String) in
      guard let equals = text.firstIndex(of: "=") else {
        throw LessonError(message: "\(path):\(fenceLine): answer-equation is NAME = EXPRESSION")
      }
      return (
        text[..<equals].trimmingCharacters(in: .whitespaces),
        text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
      )
    }
    guard [expression != nil, words != nil, equation != nil].count(where: { $0 }) == 1 else {
      throw LessonError(
        message:
          "\(path):\(fenceLine): an exercise needs exactly one of answer (an expression), answer-words and answer-equation"
      )
    }
    let tolerance =
      try fields["tolerance"]?.first.map { text -> Double in
        guard let t = Double(text), t >= 0 else {
          throw LessonError(message: "\(path):\(fenceLine): tolerance must be a number ≥ 0")
        }
        return t
      } ?? 1e-3
    return Exercise(
      line: fenceLine, question: question, answerExpression: expression, answerWords: words,
      answerEquation: equation, tolerance: tolerance,
      hints: fields["hint"] ?? [], solution: fields["solution"] ?? [])
  }
}

/// A lesson file that cannot be used, or a check that failed, in one line.
public struct LessonError: Error, CustomStringConvertible {
  public let message: String
  public var description: String { message }
}
