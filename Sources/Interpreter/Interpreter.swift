import Foundation
import Interop
import RNNCore
import Stepper

/// What one line did: the reports of its commands, their text, and how it ended.
public struct Outcome: Sendable {
  /// What the commands produced, as data.
  public var reports: [Report] = []
  /// The rendered output, one element per line.
  public var lines: [String] = []
  /// The error, if the line failed (already among `lines` too).
  public var error: String?
  /// True when a check failed (a gradcheck FAIL): scripts then exit non-zero.
  public var failedCheck = false
  /// True after `quit`.
  public var quit = false
  /// Ctrl-C stopped a command of the line (the commands after it did not run).
  public var interrupted = false
  /// Which command of a line of several failed: (its number from 1, how many, its text).
  public var failedCommand: (number: Int, of: Int, text: String)?

  public var text: String { lines.map { $0 + "\n" }.joined() }
}

/// An error a command reports to the learner: one line that says what and where.
struct CommandError: Error, CustomStringConvertible {
  let description: String

  init(_ message: String) { description = message }
}

/// The interpreter: parses lines into commands and runs them against the ``Session``; each
/// command returns reports, which the ``Renderer`` turns into text. It knows text; RNNCore and
/// Stepper do not.
public final class Interpreter {
  /// Everything the learner has set up.
  public var session: Session
  /// How reports become text: colour and precision.
  public var style: Style
  /// Polled by long work (a full gradient check, train); a Ctrl-C handler sets it.
  public let cancellation: CancellationFlag
  /// Supplies `history` (the line editor's); nil when there is none.
  public var historyProvider: (() -> [String])?
  /// Where `train` writes its progress line (a terminal); nil writes none.
  public var progress: ((String) -> Void)?
  /// The longest line ``execute(_:)`` runs.
  public static let maximumLineBytes = 1 << 20
  /// Where the lines of the commands before `train` on the same line go before its progress
  /// line starts (`corpus big.txt; new 100; train 600`), so that they show in order; the
  /// outcome's lines then leave them out. Nil keeps every line for the outcome.
  public var earlyLines: (([String]) -> Void)?
  /// How many of `reports` went to `earlyLines` already.
  private var reportsShown = 0
  /// How many of `reports` are rendered into `rendered`, and their lines not yet shown: each
  /// command's reports are rendered when it is done, so that `set precision` later on the same
  /// line changes only what comes after it.
  private var reportsRendered = 0
  private var rendered: [String] = []
  /// Guided lessons, when the program found them.
  public var lessonHost: LessonHost?
  /// How deep `source` files nest, to stop a file that sources itself.
  var sourceDepth = 0

  /// The recorded pass of the session's model on its data, and what it was recorded from.
  private var recorded: (key: PassKey, trace: Trace?)?
  /// Whether the last recording kept the cursor where it was (the new pass has the same places
  /// and no command sent the cursor back to the start).
  private var recordingKeptCursor = false
  /// Why the last recording failed (a learner's equation that does not evaluate), if it did.
  private var recordingError: String?
  /// Set by ``restore(_:)``: the next recording keeps the restored session's cursor.
  private var restoringSession = false
  /// Whether the pass was recorded during the command being run, and whether it sent the
  /// cursor back to the start.
  private var recordedDuringCommand = false
  private var droppedDuringCommand = false
  /// Set when a command sends the cursor back to the start (`cursor = nil`) before a change.
  private var cursorDropped = false
  /// The training loop, and what it was made from.
  var trainerCache: (key: TrainerKey, trainer: Trainer)?

  /// The reports of the line being run.
  var reports: [Report] = []
  /// A stop held back until the learner predicts its value (`set predict on`).
  var pendingPrediction: Prediction?
  /// Where the cursor was before the command whose stop is held: print and info, which may run
  /// while a prediction is open, look from there, so that they cannot show the value asked for.
  var cursorBeforePrediction = -1
  var quitRequested = false

  /// A session on the built-in model: characters h e l o, H = 3, data "hello".
  public init(style: Style = Style(), cancellation: CancellationFlag = CancellationFlag()) {
    self.style = style
    self.cancellation = cancellation
    session = .builtIn()
    _ = trace
  }

  var renderer: Renderer { Renderer(style: style) }

  // MARK: Running lines

  /// Runs one line (which may hold several commands separated by `;`).
  @discardableResult
  public func execute(_ line: String) -> Outcome {
    // A byte-order mark (a script saved by some Windows editors starts with one) is not text.
    var line = line
    if line.unicodeScalars.first == "\u{FEFF}" { line = String(line.unicodeScalars.dropFirst()) }
    // However the line came (a file, -c, the terminal), one over 1 MiB is refused unread.
    guard line.utf8.count <= Interpreter.maximumLineBytes else {
      var outcome = Outcome()
      let message = "the line is \(line.utf8.count) bytes long; rnnstep reads lines of up to 1 MiB"
      outcome.error = message
      outcome.lines = [style.bad("error: ") + message]
      return outcome
    }
    // A lesson runs lines of its own from inside a command: keep the outer line's reports.
    let outer = (reports, reportsShown, reportsRendered, rendered)
    defer { (reports, reportsShown, reportsRendered, rendered) = outer }
    reports = []
    reportsShown = 0
    reportsRendered = 0
    rendered = []
    var outcome = Outcome()
    if let prediction = pendingPrediction {
      pendingPrediction = nil
      let word = String(line.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace })
      if CommandTable.find(word) == nil {
        // An answer: judged if it is a prediction; never run. A number may be written as an
        // expression (1/3, -2*0.1). Enter alone skips; anything else asks again.
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let answer =
          if case .number = prediction.question, Double(trimmed) == nil, let x = try? number(trimmed) { "\(x)" } else {
            trimmed
          }
        guard let verdict = prediction.judge(answer, style) else {
          if trimmed.isEmpty {
            outcome.reports = prediction.held + [.message("(no prediction taken)")]
          } else {
            pendingPrediction = prediction
            outcome.reports = [.message("\(prediction.expects): \(prediction.prompt.dropFirst("predict: ".count))")]
          }
          outcome.lines = outcome.reports.flatMap(renderer.lines)
          return outcome
        }
        outcome.reports = prediction.held + [.message(verdict)]
        outcome.lines = outcome.reports.flatMap(renderer.lines)
        return outcome
      }
      // print, info and help work the prediction out: they run, and the question stays open.
      if ["print", "info", "i", "help"].contains(word) && !line.contains(";") {
        let held = session.cursorIndex
        session.cursorIndex = cursorBeforePrediction
        do { try run(line) } catch {
          reports.append(.message(style.bad("error: ") + describeError(error)))
        }
        session.cursorIndex = held
        pendingPrediction = prediction
        outcome.reports = reports + [.message(prediction.prompt)]
        outcome.lines = outcome.reports.flatMap(renderer.lines)
        return outcome
      }
      // Not a prediction: show what was held, then run the line as usual.
      reports = prediction.held
    }
    let heldCount = reports.count
    let indexAtStart = session.cursorIndex
    if let lessonHost, let lines = lessonHost.intercept(line, interpreter: self) {
      outcome.reports = reports + [.text(lines)]
      outcome.lines = outcome.reports.flatMap(renderer.lines)
      return outcome
    }
    var errorLine: String?
    let commands = splitCommands(line)
    for (k, command) in commands.enumerated() {
      do {
        try run(command)
      } catch {
        if commands.count > 1 {
          outcome.failedCommand = (k + 1, commands.count, command.trimmingCharacters(in: .whitespaces))
        }
        // One line a person can read, whatever was typed: a message that echoes a huge input is cut.
        var message = Renderer.visible(describeError(error))
        if message.count > 400 { message = message.prefix(400) + "…" }
        // On the screen, say what of the line did not run (a script's error names the command).
        let skipped = commands.count - k - 1
        errorLine =
          style.bad("error: ") + message
          + (skipped > 0
            ? " (the \(skipped == 1 ? "command" : "\(skipped) commands") after it on the line did not run)" : "")
        outcome.error = message
        renderNewReports()
        break
      }
      renderNewReports()
      if quitRequested { break }
      // Ctrl-C stops the line, as a shell's does: what follows an interrupted command does not run.
      if cancellation.isCancelled {
        outcome.interrupted = true
        let skipped = commands.count - k - 1
        if skipped > 0 {
          let what = skipped == 1 ? "command" : "\(skipped) commands"
          reports.append(.message("(interrupted: the \(what) after it on the line did not run)"))
        }
        break
      }
    }
    if session.predict, errorLine == nil,
      let prediction = holdForPrediction(after: heldCount, from: indexAtStart)
    {
      pendingPrediction = prediction
      cursorBeforePrediction = indexAtStart
      reports.append(.message(prediction.prompt))
    }
    outcome.reports = reports
    renderNewReports()
    outcome.lines = rendered
    if let errorLine { outcome.lines.append(errorLine) }
    outcome.failedCheck = reports.contains { $0.isFailedCheck }
    outcome.quit = quitRequested
    return outcome
  }

  /// Hands the lines of this line's commands so far to ``earlyLines``, before a progress line.
  func showEarlierLines() {
    guard let earlyLines, reports.count > reportsShown else { return }
    renderNewReports()
    earlyLines(rendered)
    rendered = []
    reportsShown = reports.count
  }

  /// Renders the reports added since the last call, with the renderer as it is now.
  private func renderNewReports() {
    guard reports.count > reportsRendered else { return }
    rendered += reports[reportsRendered...].flatMap(renderer.lines)
    reportsRendered = reports.count
  }

  func describeError(_ error: Error) -> String {
    switch error {
    case let e as CommandError: e.description
    case let e as ExpressionError: e.description
    case let e as RNNError: e.description
    case let e as FileError: e.description
    case let e as BackwardEquations.Failure: e.description
    case let e as NotComputedYet:
      "\(passValueName(e.value)) is not computed yet:"
        + (e.computedAt.map { " it is computed at \(describe($0))," } ?? "")
        + (e.cursor.map { " the cursor is at \(describe($0))" } ?? " the cursor is before the first step")
    case let e as NoSuchStep:
      "\(passValueName(e.value)) does not exist: t runs from \(e.steps.lowerBound) to \(e.steps.upperBound)"
    case let e as Cancelled: "interrupted: \(e.done) of \(e.total) \(e.unit.rawValue); the session is as it was"
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
      // A typo, or the start of a command's name (p for print or plot).
      let starting = word.isEmpty ? [] : CommandTable.all.map(\.name).filter { $0.hasPrefix(word) }
      let prefixes =
        (1...3).contains(starting.count)
        ? "; did you mean " + starting.map { "'\($0)'" }.joined(separator: " or ") + "?" : ""
      let suggestion = closest(word, among: CommandTable.allNames).map { "; did you mean '\($0)'?" } ?? prefixes
      let shown = word.count > 40 ? word.prefix(40) + "…" : word
      throw CommandError("unknown command '\(shown)'\(suggestion) (type help for the list)")
    }
    // A command that takes nothing refuses what follows it rather than ignore it.
    if !rest.isEmpty && !spec.usage.contains(" ") {
      throw CommandError("\(spec.name) takes nothing after it, not '\(rest.prefix(40))'")
    }
    // A cursor sent back to the start matters only to the recording its own command causes.
    defer { cursorDropped = false }
    recordedDuringCommand = false
    droppedDuringCommand = false
    do {
      try spec.run(self, Arguments(raw: rest, spec: spec))
    } catch let error as ExpressionError {
      // Count the column in the command as typed, not in the expression alone.
      throw error.relative(to: trimmed, argumentsAt: word.count)
    }
  }

  /// Adds a report to the line's results.
  func emit(_ report: Report) { reports.append(report) }

  /// A sentence as a report.
  func say(_ line: String = "") { reports.append(.message(line)) }

  /// An aside as a report.
  func note(_ line: String) { reports.append(.note(line)) }

  /// With predict on: a line that ended on a stop one equation further on holds that stop (and
  /// what came with it) back, and asks for a prediction instead.
  private func holdForPrediction(after heldCount: Int, from indexAtStart: Int) -> Prediction? {
    // Only a stop of this line's own, one equation forward: going back shows nothing new.
    guard let index = reports.lastIndex(where: { if case .stop = $0 { true } else { false } }), index >= heldCount,
      case .stop(let stop) = reports[index], stop.passed.isEmpty, stop.snapshot.cursor.index == indexAtStart + 1,
      reports[index...].allSatisfy({ if case .stop = $0 { true } else if case .displays = $0 { true } else { false } })
    else { return nil }
    let held = Array(reports[index...])
    guard let prediction = Prediction.question(for: stop, held: held) else { return nil }
    reports.removeSubrange(index...)
    let p = stop.position!
    reports.append(
      .message(
        "\(p.phase.rawValue) t=\(p.t)/\(stop.snapshot.trace.steps)  \(p.equation.rawValue)  "
          + StopContext.formula(p.equation, trace: stop.snapshot.trace)))
    return prediction
  }

  // MARK: The recorded pass (derived from the session)

  /// What a recorded pass is computed from: when any of it changes, the pass is recorded again.
  struct PassKey: Equatable {
    let model: RNN
    let inputs: SequenceData.Inputs?
    let targets: SequenceData.Targets?
    let loss: LossKind
    let variant: BPTTVariant
    let equations: BackwardEquations?
  }

  private var passKey: PassKey {
    PassKey(
      model: session.model, inputs: session.inputs, targets: session.targets, loss: session.loss,
      variant: session.variant, equations: session.variant.isBuiltIn ? nil : equationsInForce)
  }

  /// The backward equations the session's pass uses.
  var equationsInForce: BackwardEquations {
    switch session.variant {
    case .correct, .seed: return .builtIn(session.variant, session.loss)
    case .equations:
      var e = BackwardEquations.builtIn(session.equationBase, session.loss)
      for (name, text) in session.equations { e.text[name] = text }
      return e
    case .mystery:
      var e = BackwardEquations.correct(session.loss)
      let catalogue = Mystery.catalogue(session.loss)
      for (name, text) in catalogue[(session.mystery ?? 0) % catalogue.count].changes { e.text[name] = text }
      return e
    }
  }

  /// The recorded pass with the session's backward: the engine's, or the equations evaluated.
  func recordPass(_ data: SequenceData) throws -> Trace {
    try Trace.checkSize(of: session.model, steps: data.count)
    if !session.variant.isBuiltIn {
      // Your equations' record keeps what each step adds to every gradient, and the running
      // totals: two copies of the parameters per step.
      let elements = session.model.parameters.elementCount
      let (bytes, overflow) = data.count.multipliedReportingOverflow(by: 16 * elements)
      guard !overflow, bytes <= Trace.maximumBytes else {
        throw CommandError(
          "your equations keep what each of the \(data.count) steps adds to all \(elements) parameters: "
            + "\(overflow ? "more than 8 EiB" : "\((bytes + (1 << 20) - 1) >> 20) MiB"), more than the "
            + "\(Trace.maximumBytes >> 20) MiB a pass may take: a shorter seqlen or a smaller model")
      }
    }
    let engine = BPTTEngine()
    let base: BPTTVariant = session.variant.isBuiltIn ? session.variant : .correct
    let forward = try engine.record(model: session.model, data: data, loss: session.loss, variant: base)
    if session.variant.isBuiltIn { return forward }
    return try equationsInForce.record(over: forward, variant: session.variant)
  }

  /// The recorded pass of the session's model on its data (nil without data that fit), recorded
  /// again whenever the model, the data, the loss or the BPTT variant changed. When the new pass
  /// has other places than the old, the cursor goes back to the start; watches take their values
  /// at the cursor anew.
  var trace: Trace? {
    let key = passKey
    if let recorded, recorded.key == key { return recorded.trace }
    let old = recorded?.trace.map { Timeline(steps: $0.steps, loss: $0.lossKind) }
    let new: Trace?
    if let data = session.data, (try? data.validate(for: session.model, loss: session.loss)) != nil {
      do {
        new = try recordPass(data)
        recordingError = nil
      } catch {
        new = nil
        recordingError = describeError(error)
      }
    } else {
      new = nil
    }
    recorded = (key, new)
    let timeline = new.map { Timeline(steps: $0.steps, loss: $0.lossKind) }
    if restoringSession, let timeline {
      // A session assigned whole (lesson stop) keeps its own cursor, wherever the pass before was.
      session.cursorIndex = min(session.cursorIndex, timeline.positions.count - 1)
      recordingKeptCursor = true
    } else {
      recordingKeptCursor = timeline != nil && timeline == old && !cursorDropped
      if !recordingKeptCursor { session.cursorIndex = -1 }
    }
    restoringSession = false
    cursorDropped = false
    recordedDuringCommand = true
    if new != nil {
      for k in session.watches.indices { session.watches[k].last = try? evaluate(session.watches[k].expression) }
    }
    return new
  }

  /// The cursor over the recorded pass (nil without one). Setting it moves the session's cursor.
  var cursor: Cursor? {
    get {
      guard let trace else { return nil }
      let timeline = Timeline(steps: trace.steps, loss: trace.lossKind)
      let index = min(max(session.cursorIndex, -1), timeline.positions.count - 1)
      return Cursor(timeline: timeline, index: index)
    }
    set {
      let index = newValue?.index ?? -1
      let moved = index != session.cursorIndex
      session.cursorIndex = index
      if newValue == nil {
        cursorDropped = true
        droppedDuringCommand = true
      }
      // Sent back to the start: watches see it there, so the next continue reports real
      // changes (continue itself moves the cursor step by step and compares as it goes).
      if moved, newValue == nil, recorded?.trace != nil {
        for k in session.watches.indices { session.watches[k].last = try? evaluate(session.watches[k].expression) }
      }
    }
  }

  /// Replaces the whole session (leaving a lesson), keeping the cursor it had.
  public func restore(_ saved: Session) {
    session = saved
    restoringSession = true
    _ = trace
  }

  /// Says that the pass was recorded again (after a change to the model or the data), and
  /// where the cursor is; or why there is no pass.
  func announcePass(_ reason: String = "") {
    guard let trace else {
      if let error = dataProblem() { note("(no recorded pass: \(error))") }
      return
    }
    // Nothing recorded during this command (the change changed nothing): the cursor did not move.
    let kept = recordedDuringCommand ? recordingKeptCursor : !droppedDuringCommand
    let at = kept ? "the cursor stays at \(cursorDescription)" : "the cursor is at the start"
    note("(recorded the pass again\(reason): loss \(style.number(trace.loss)); \(at))")
  }

  /// Why there is no recorded pass, or nil when there is one.
  func dataProblem() -> String? {
    guard session.inputs != nil, session.targets != nil else {
      return "there is no data: give inputs and targets, or text (e.g. text hello)"
    }
    guard let data = session.data else { return "inputs and targets differ in length: give both again" }
    do { try data.validate(for: session.model, loss: session.loss) } catch {
      return "the data do not fit the model: \(describeError(error))"
    }
    return recordingError
  }

  var cursorDescription: String {
    guard let cursor else { return "nowhere (no data)" }
    return cursor.position.map(describe) ?? "the start, before forward t=1"
  }

  func requireTrace() throws -> (Trace, Cursor) {
    guard let trace, let cursor else {
      throw CommandError(dataProblem() ?? "there is no recorded pass")
    }
    return (trace, cursor)
  }

  var snapshot: Snapshot? {
    guard let trace, let cursor else { return nil }
    return Snapshot(trace: trace, cursor: cursor)
  }

  func evaluate(_ expression: Expression) throws -> Matrix {
    var evaluator = Evaluator(model: session.model, snapshot: snapshot)
    if snapshot == nil, let problem = dataProblem() { evaluator.noPass = problem }
    return try evaluator.evaluate(expression)
  }

  public func evaluate(_ text: String) throws -> Matrix {
    do {
      return try evaluate(try ExpressionParser.parse(text))
    } catch var error as ExpressionError {
      error.text = text
      throw error
    }
  }

  // MARK: The trainer (derived from the session)

  /// What a trainer is made from; a change to any of it starts a new one (and a new Adagrad
  /// memory). The learning rate and clipping apply to the running trainer.
  struct TrainerKey: Equatable {
    let stream: TrainingStream
    let loss: LossKind
    let variant: BPTTVariant
    let sequenceLength: Int
    let optimizer: OptimizerKind
  }

  /// The training loop for the session, kept while the model is the one it trained.
  func trainerForSession() throws -> Trainer {
    try Trace.checkSize(of: session.model, steps: session.training.sequenceLength)
    // Characters numbered by a vocabulary the model is not sized for (corpus after another
    // model) would train rows that stand for no character.
    if let v = session.vocabulary, session.model.inputSize != v.count || session.model.outputSize != v.count {
      throw CommandError(
        "the model has input \(session.model.inputSize) and output \(session.model.outputSize), the vocabulary "
          + "\(v.count) characters: new H sizes a model for it (e.g. new 100)")
    }
    guard session.variant.isBuiltIn else {
      throw CommandError(
        "train runs the engine's backward (bptt correct or seed); your equations and mysteries are for checking, not training: bptt correct, then train"
      )
    }
    let source: TrainingStream
    if let stream = session.stream {
      source = stream
    } else {
      guard let data = session.data else {
        throw CommandError(
          "there is no data: corpus FILE, series FILE.csv, example NAME, text, or inputs and targets")
      }
      source = try TrainingStream(inputs: data.inputs, targets: data.targets)
    }
    let settings = session.training
    let key = TrainerKey(
      stream: source, loss: session.loss, variant: session.variant,
      sequenceLength: session.stream == nil ? source.count : settings.sequenceLength, optimizer: settings.optimizer)
    // Training does not read h0: a new h0 carries on with the same training.
    if let trainerCache, trainerCache.key == key, trainerCache.trainer.model.parameters == session.model.parameters {
      if trainerCache.trainer.model.h0 != session.model.h0 { try trainerCache.trainer.adoptH0(session.model.h0) }
      trainerCache.trainer.optimizer.learningRate = settings.learningRate
      trainerCache.trainer.clipping = settings.clipping
      return trainerCache.trainer
    }
    let optimizer: Optimizer =
      settings.optimizer == .adagrad
      ? .adagrad(learningRate: settings.learningRate, memory: nil) : .sgd(learningRate: settings.learningRate)
    let trainer = try Trainer(
      model: session.model, stream: source, loss: session.loss, variant: session.variant,
      sequenceLength: key.sequenceLength, optimizer: optimizer, clipping: settings.clipping)
    trainerCache = (key, trainer)
    return trainer
  }

  /// The trainer that made the current model, if any (for `plot loss`).
  var currentTrainer: Trainer? {
    guard let trainerCache, trainerCache.trainer.model == session.model else { return nil }
    return trainerCache.trainer
  }

  // MARK: Characters

  /// A label for index i of the input or output: the character when there is a vocabulary.
  func symbol(_ i: Int) -> String { renderer.symbol(i, session.vocabulary) }

  func printable(_ c: Character) -> String { Renderer.printable(c) }
}
