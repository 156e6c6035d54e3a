/// The groups `help` lists commands under, in order.
enum CommandGroup: String, CaseIterable, Sendable {
  case stepping = "Stepping through the pass"
  case breakpoints = "Breakpoints, watches, displays"
  case inspecting = "Inspecting values"
  case checking = "Checking gradients"
  case model = "Model and data"
  case training = "Training and data sets"
  case lessons = "Lessons"
  case session = "Session"
}

/// What Tab completes for a command's arguments.
enum Completion: Equatable, Sendable {
  case none
  /// Names of quantities, parameters, gradients and functions.
  case expression
  /// File paths.
  case file
  /// Fixed words only.
  case words([String])
  /// Fixed words, and names of quantities and parameters.
  case wordsAndNames([String])
  /// Command names.
  case commands
}

/// One command: the single source of its name, aliases, usage, help text, completion and the
/// entry in docs/commands.md.
struct CommandSpec: Sendable {
  let name: String
  let aliases: [String]
  let group: CommandGroup
  /// The argument synopsis, e.g. `step [N]`.
  let usage: String
  /// One line for `help`.
  let summary: String
  /// What it does, in full.
  let details: String
  let examples: [String]
  let completion: Completion
  let run: @Sendable (Interpreter, Arguments) throws -> Void
}

/// A command's arguments: the text after the command name, and the command's spec, whose
/// usage line is the one source of every usage error.
struct Arguments {
  let raw: String
  let spec: CommandSpec

  var command: String { spec.name }

  /// The words, split at whitespace.
  var words: [String] { raw.split(whereSeparator: { $0.isWhitespace }).map(String.init) }

  /// The words, split at whitespace outside quotes: "it was" and 'it was' are one word (without
  /// its quotes). In a word, \n is a newline, \t a tab, and \\ \" \' the character itself.
  /// - Throws: ``CommandError`` for a quote that is not closed.
  func quotedWords() throws -> [String] {
    var words: [String] = []
    var word: String?
    var quote: Character?
    var escaped = false
    // Appended in place: rebuilding the word for every character took seconds on a long line.
    func add(_ text: String) {
      if word == nil { word = "" }
      word!.append(contentsOf: text)
    }
    for c in raw {
      if escaped {
        escaped = false
        switch c {
        case "n": add("\n")
        case "t": add("\t")
        case "\\", "\"", "'": add(String(c))
        default: add("\\" + String(c))
        }
      } else if c == "\\" {
        escaped = true
      } else if let q = quote {
        if c == q { quote = nil } else { add(String(c)) }
      } else if c == "\"" || c == "'" {
        quote = c
        add("")
      } else if c.isWhitespace {
        if let w = word { words.append(w) }
        word = nil
      } else {
        add(String(c))
      }
    }
    if escaped { word = (word ?? "") + "\\" }
    if let q = quote { throw CommandError("the quote \(q) is not closed") }
    if let w = word { words.append(w) }
    return words
  }

  /// A seed as typed after `seed` (or as bptt mystery's SEED): every command states the same range.
  static func seed(_ text: String) throws -> UInt64 {
    guard let s = UInt64(text) else {
      throw CommandError("a seed is a whole number from 0 to \(UInt64.max), not \(text.prefix(40))")
    }
    return s
  }

  /// The error for arguments that do not fit the command: its usage line from the table.
  func usageError(_ detail: String? = nil) -> CommandError {
    CommandError((detail.map { $0 + "; " } ?? "") + "usage: \(spec.usage)")
  }

  /// The value of `--name VALUE` (or `--name=VALUE`), and the words without it.
  func option(_ name: String) throws -> (value: String?, rest: [String]) {
    var rest: [String] = []
    var value: String?
    var iterator = words.makeIterator()
    while let word = iterator.next() {
      if word == "--\(name)" {
        guard let next = iterator.next() else { throw CommandError("--\(name) needs a value") }
        value = next
      } else if word.hasPrefix("--\(name)=") {
        value = String(word.dropFirst(name.count + 3))
      } else {
        rest.append(word)
      }
    }
    return (value, rest)
  }

  /// Fails unless there are no arguments.
  func none() throws {
    guard raw.isEmpty else { throw CommandError("\(command) takes no arguments (got '\(raw)')") }
  }

  /// The largest count a command takes (`step N`, `train N`, `history N`).
  static let maximumCount = 1_000_000

  /// An optional count (`step 3`), 1 when absent.
  func count(upTo maximum: Int = Arguments.maximumCount) throws -> Int {
    let w = words
    guard w.count <= 1 else { throw usageError() }
    guard let first = w.first else { return 1 }
    guard let n = Arguments.wholeNumber(first), n >= 1, n <= maximum else {
      if let n = Arguments.wholeNumber(first), n > maximum {
        throw CommandError("\(first) is more than the \(maximum) \(command) takes")
      }
      throw CommandError("'\(first)' is not a count: give a whole number from 1 to \(maximum)")
    }
    return n
  }

  /// A whole number as typed: digits, or a decimal number that is whole (1e3, 1000.0) as a
  /// count reads in Python's int(1e3); Int.max beyond Int's range. Nil for anything else
  /// (2.5, words, hexadecimal, inf).
  static func wholeNumber(_ text: String) -> Int? {
    if let n = Int(text) { return n }
    guard !text.lowercased().contains("x"), let x = Double(text), x.isFinite, x == x.rounded(.towardZero) else {
      return nil
    }
    return x >= 9.2e18 ? Int.max : x <= -9.2e18 ? Int.min : Int(x)
  }
}

/// All commands, in the order `help` shows them.
enum CommandTable {
  static let all: [CommandSpec] =
    steppingCommands + breakpointCommands + inspectingCommands + plotCommands + checkingCommands
    + modelCommands + numpyCommands + trainingCommands + lessonCommands + sessionCommands

  static let allNames: [String] = all.flatMap { [$0.name] + $0.aliases }

  private static let byName: [String: CommandSpec] = {
    var table: [String: CommandSpec] = [:]
    for spec in all {
      for name in [spec.name] + spec.aliases {
        precondition(table[name] == nil, "two commands are called \(name)")
        table[name] = spec
      }
    }
    return table
  }()

  static func find(_ name: String) -> CommandSpec? { byName[name] }
}
