import Foundation
import Interop
import RNNCore
import Stepper

/// What one line did: the text to show, and how it ended.
public struct Outcome: Equatable, Sendable {
  /// The rendered output, one element per line.
  public var lines: [String] = []
  /// The error, if the line failed (already among `lines` too).
  public var error: String?
  /// True when a check failed (a gradcheck FAIL): scripts then exit non-zero.
  public var failedCheck = false
  /// True after `quit`.
  public var quit = false

  public var text: String { lines.map { $0 + "\n" }.joined() }
}

/// An error a command reports to the learner: one line that says what and where.
struct CommandError: Error, CustomStringConvertible {
  let description: String

  init(_ message: String) { description = message }
}

/// The interpreter: parses lines into commands and runs them against the session (model, data,
/// recorded pass, cursor, breakpoints). It knows text; RNNCore and Stepper do not.
public final class Interpreter {
  // MARK: Session state

  var model: RNN
  /// The characters of a character model, index by index.
  var vocabulary: [Character]?
  var loss: LossKind = .softmax
  var variant: BPTTVariant = .correct
  /// Inputs and targets as given; the data exist once both are given with the same length.
  var pendingInputs: SequenceData.Inputs?
  var pendingTargets: SequenceData.Targets?
  /// The recorded pass and the cursor over it (nil without data).
  var trace: Trace?
  var cursor: Cursor?
  var breakpoints = Breakpoints()
  var watches: [Watch] = []
  var displays: [(number: Int, text: String)] = []
  var nextDisplayNumber = 1
  var checkSettings = CheckSettings()
  public var style: Style
  /// Polled by long work (a full gradient check); a Ctrl-C handler sets it.
  public let cancellation: CancellationFlag
  /// Supplies `history` (the line editor's); nil when there is none.
  public var historyProvider: (() -> [String])?
  /// A long sequence to train on (corpus, series, example), shown seqlen steps at a time.
  var stream: TrainingStream?
  var sequenceLength = 25
  var useAdagrad = true
  var learningRate = 0.1
  var clipping = Clipping.value(5)
  /// The training loop, kept while the model is the one it trained.
  var trainer: Trainer?
  /// Where `train` writes its progress line (a terminal); nil writes none.
  public var progress: ((String) -> Void)?
  /// Guided lessons, when the program found them.
  public var lessonHost: LessonHost?
  /// How deep `source` files nest, to stop a file that sources itself.
  var sourceDepth = 0

  var output: [String] = []
  var failedCheck = false
  var quitRequested = false

  struct Watch {
    let number: Int
    let text: String
    let expression: Expression
    var last: Matrix?
  }

  /// A session on the built-in model: characters h e l o, H = 3, data "hello".
  public init(style: Style = Style(), cancellation: CancellationFlag = CancellationFlag()) {
    self.style = style
    self.cancellation = cancellation
    model = try! RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: Interpreter.defaultSeed, scale: 0.5)
    vocabulary = Array("helo")
    pendingInputs = .indices([0, 1, 2, 2])
    pendingTargets = .indices([1, 2, 2, 3])
    rebuild(announce: false)
  }

  /// The seed of the built-in model.
  static let defaultSeed: UInt64 = 7

  /// The data, when inputs and targets are both given and agree in length.
  var data: SequenceData? {
    guard let pendingInputs, let pendingTargets else { return nil }
    return try? SequenceData(inputs: pendingInputs, targets: pendingTargets)
  }

  // MARK: Running lines

  /// Runs one line (which may hold several commands separated by `;`).
  @discardableResult
  public func execute(_ line: String) -> Outcome {
    output = []
    failedCheck = false
    var outcome = Outcome()
    if let lessonHost, let lines = lessonHost.intercept(line, interpreter: self) {
      outcome.lines = lines
      return outcome
    }
    for command in splitCommands(line) {
      do {
        try run(command)
      } catch {
        let message = describeError(error)
        output.append(style.bad("error: ") + message)
        outcome.error = message
        break
      }
      if quitRequested { break }
    }
    outcome.lines = output
    outcome.failedCheck = failedCheck
    outcome.quit = quitRequested
    return outcome
  }

  func describeError(_ error: Error) -> String {
    switch error {
    case let e as CommandError: e.description
    case let e as ExpressionError: e.description
    case let e as RNNError: e.description
    case let e as FileError: e.description
    case let e as Cancelled: "interrupted: \(e.progress); the session is as it was"
    default: "\(error)"
    }
  }

  /// Splits at `;` outside quotes.
  func splitCommands(_ line: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var quote: Character?
    for c in line {
      if let q = quote {
        if c == q { quote = nil }
        current.append(c)
      } else if c == "\"" || c == "'" {
        quote = c
        current.append(c)
      } else if c == ";" {
        parts.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    parts.append(current)
    let commands = parts.map { $0.trimmingCharacters(in: .whitespaces) }
    // A command that starts with # is a comment to the end of the line.
    let end = commands.firstIndex { $0.hasPrefix("#") } ?? commands.count
    return commands[..<end].filter { !$0.isEmpty }
  }

  func run(_ command: String) throws {
    let trimmed = command.trimmingCharacters(in: .whitespaces)
    let word = String(trimmed.prefix { !$0.isWhitespace })
    let rest = String(trimmed.dropFirst(word.count)).trimmingCharacters(in: .whitespaces)
    guard let spec = CommandTable.find(word) else {
      let suggestion = closest(word, among: CommandTable.allNames).map { "; did you mean '\($0)'?" } ?? ""
      throw CommandError("unknown command '\(word)'\(suggestion) (type help for the list)")
    }
    do {
      try spec.run(self, Arguments(raw: rest, command: spec.name))
    } catch let error as ExpressionError {
      // Count the column in the command as typed, not in the expression alone.
      throw error.relative(to: trimmed, argumentsAt: word.count)
    }
  }

  func say(_ line: String = "") { output.append(line) }

  // MARK: The recorded pass

  /// Records the pass anew after a change to the model or the data, keeping the cursor where
  /// it was when the pass has the same places, and says so.
  func rebuild(announce: Bool = true, reason: String = "") {
    guard let data else {
      trace = nil
      cursor = nil
      return
    }
    do {
      try data.validate(for: model, loss: loss)
      let newTrace = try BPTTEngine().record(model: model, data: data, loss: loss, variant: variant)
      let timeline = Timeline(steps: data.count, loss: loss)
      let keep = cursor.map { $0.timeline == timeline } ?? false
      cursor = Cursor(timeline: timeline, index: keep ? cursor!.index : -1)
      trace = newTrace
      for i in watches.indices { watches[i].last = try? evaluate(watches[i].expression) }
      if announce {
        let at = keep ? "the cursor stays at \(cursorDescription)" : "the cursor is at the start"
        say(style.dim("(recorded the pass again\(reason): loss \(style.number(newTrace.loss)); \(at))"))
      }
    } catch {
      trace = nil
      cursor = nil
      if announce { say(style.dim("(no recorded pass: \(describeError(error)))")) }
    }
  }

  var cursorDescription: String {
    guard let cursor else { return "nowhere (no data)" }
    return cursor.position.map(describe) ?? "the start, before forward t=1"
  }

  func requireTrace() throws -> (Trace, Cursor) {
    guard let trace, let cursor else {
      if pendingInputs == nil || pendingTargets == nil {
        throw CommandError("there is no data: give inputs and targets, or text (e.g. text hello)")
      }
      if let data {
        do { try data.validate(for: model, loss: loss) } catch {
          throw CommandError("the data do not fit the model: \(describeError(error))")
        }
      }
      throw CommandError("inputs and targets differ in length: give both again")
    }
    return (trace, cursor)
  }

  var snapshot: Snapshot? {
    guard let trace, let cursor else { return nil }
    return Snapshot(trace: trace, cursor: cursor)
  }

  func evaluate(_ expression: Expression) throws -> Matrix {
    try Evaluator(model: model, snapshot: snapshot).evaluate(expression)
  }

  func evaluate(_ text: String) throws -> Matrix {
    do {
      return try evaluate(try ExpressionParser.parse(text))
    } catch var error as ExpressionError {
      error.text = text
      throw error
    }
  }

  // MARK: Characters

  /// A label for index i of the input or output: the character when there is a vocabulary.
  func symbol(_ i: Int) -> String {
    guard let vocabulary, i < vocabulary.count else { return "\(i)" }
    return "'\(printable(vocabulary[i]))'"
  }

  func printable(_ c: Character) -> String {
    switch c {
    case "\n": "\\n"
    case "\t": "\\t"
    case " ": "␣"
    default: String(c)
    }
  }
}
