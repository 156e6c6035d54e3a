import RNNCore

/// Guided lessons, seen from the interpreter. The Lessons module implements it; the
/// interpreter's `lesson`, `lessons`, `hint` and `solution` commands call it, so those commands
/// live in the command table like every other.
public protocol LessonHost: AnyObject {
  /// The prompt while a lesson runs (nil otherwise).
  var prompt: String? { get }
  /// A line the lesson takes itself (Enter for the offered command, an answer); nil passes it on.
  func intercept(_ line: String, interpreter: Interpreter) -> [String]?
  func listLessons() -> [String]
  func lessonCommand(_ arguments: String, interpreter: Interpreter) throws -> [String]
  func hint() throws -> [String]
  func solution(interpreter: Interpreter) throws -> [String]
}

extension CommandTable {
  static let lessonCommands: [CommandSpec] = [
    CommandSpec(
      name: "lessons", aliases: [], group: .lessons, usage: "lessons",
      summary: "list the lessons and how far you got in each",
      details:
        "Lessons live in lessons/; progress is kept in $RNNSTEP_STATE, else $XDG_STATE_HOME/rnnstep/lessons.json, else ~/.rnnstep_lessons.json.",
      examples: ["lessons"], completion: .none,
      run: { i, args in
        try args.none()
        i.emit(.text(try i.requireLessons().listLessons()))
      }),
    CommandSpec(
      name: "lesson", aliases: [], group: .lessons, usage: "lesson [N [restart] | stop]",
      summary: "follow lesson N a section at a time (resume without N; stop to leave)",
      details: """
        Shows the lesson's prose, offers each command (Enter runs it, or type your own and \
        explore), and asks its exercises. lesson alone resumes where you left off; lesson N \
        restart starts N again; lesson stop leaves the lesson, keeping your place, and gives back \
        the session you had before it (a lesson works on a session of its own). A lesson you \
        finish leaves you in its session, to explore further.
        """,
      examples: ["lesson 1", "lesson", "lesson stop"], completion: .words(["stop", "restart"]),
      run: { i, args in i.emit(.text(try i.requireLessons().lessonCommand(args.raw, interpreter: i))) }),
    CommandSpec(
      name: "hint", aliases: [], group: .lessons, usage: "hint",
      summary: "the next hint for the open exercise",
      details: "Hints come one at a time; solution shows the answer.",
      examples: ["hint"], completion: .none,
      run: { i, args in
        try args.none()
        i.emit(.text(try i.requireLessons().hint()))
      }),
    CommandSpec(
      name: "solution", aliases: [], group: .lessons, usage: "solution",
      summary: "show the open exercise's solution and move on",
      details: "Runs the commands that show the answer.",
      examples: ["solution"], completion: .none,
      run: { i, args in
        try args.none()
        i.emit(.text(try i.requireLessons().solution(interpreter: i)))
      }),
  ]
}

extension Interpreter {
  func requireLessons() throws -> LessonHost {
    guard let lessonHost else { throw CommandError("lessons are not available here (no lessons folder was found)") }
    return lessonHost
  }

  /// The value of an expression that must be one number (an exercise's answer).
  public func number(_ expression: String) throws -> Double {
    let value = try evaluate(expression)
    guard value.count == 1 else { throw CommandError("'\(expression)' is \(value.shapeDescription), not one number") }
    return value.storage[0]
  }

  /// An answer's error in one line, as the prompt shows errors (control characters shown, cut
  /// at 200 characters).
  public func describeAnswerError(_ error: Error) -> String {
    let message = Renderer.visible(describeError(error))
    return message.count > 200 ? message.prefix(200) + "…" : message
  }

  /// Whether `candidate`, as the backward equation `name`, gives the same values as `reference`
  /// over the recorded pass (the other equations the correct ones): every step's value of that
  /// quantity, to 1e-12 of its largest. - Throws: the candidate's error when it does not evaluate.
  public func equationAgrees(_ name: String, _ candidate: String, reference: String) throws -> Bool {
    try firstDisagreement(name, candidate, reference: reference) == nil
  }

  /// The first step, in BPTT's order (t = T down to 1), where `candidate` as the backward
  /// equation `name` gives another value than `reference`; nil when they agree at every step.
  /// - Throws: the candidate's error when it does not evaluate.
  public func firstDisagreement(_ name: String, _ candidate: String, reference: String) throws -> Int? {
    guard BackwardEquations.names.contains(name) else { throw CommandError("'\(name)' is not a backward equation") }
    guard let data = session.data else { throw CommandError(dataProblem() ?? "there is no data") }
    let forward = try BPTTEngine().record(model: session.model, data: data, loss: session.loss)
    func run(_ text: String) throws -> Trace {
      var e = BackwardEquations.correct(session.loss)
      e.text[name] = text
      return try e.record(over: forward, variant: .equations)
    }
    let (mine, theirs) = (try run(candidate), try run(reference))
    // Each step's values, mine beside the reference's, and the scale they are compared at: the
    // whole quantity's largest for dy, dh, dh_raw and dh_next; each step's part of a gradient
    // at its own.
    let steps = 1...forward.steps
    let pairs: [(mine: [Double], theirs: [Double], scale: Double)]
    switch name {
    case "dy", "dh", "dh_raw", "dh_next":
      let (a, b) =
        switch name {
        case "dy": (mine.dy, theirs.dy)
        case "dh": (mine.dh, theirs.dh)
        case "dh_raw": (mine.dhRaw, theirs.dhRaw)
        default: (mine.dhNext, theirs.dhNext)
        }
      pairs = steps.map { t in (a.row(t - 1), b.row(t - 1), b.maxAbs) }
    default:
      let p = Parameter.allCases.first { $0.gradientName == name }!
      pairs = steps.map { t in
        let (a, b) = (mine.contribution(to: p, atStep: t), theirs.contribution(to: p, atStep: t))
        return (a.storage, b.storage, b.maxAbs)
      }
    }
    return steps.reversed().first { t in
      let q = pairs[t - 1]
      let s = max(q.scale, 1e-300)
      return !zip(q.mine, q.theirs).allSatisfy { abs($0 - $1) <= 1e-12 * s }
    }
  }

  /// Back to the built-in model and data, the cursor at the start, no breakpoints: where every
  /// lesson begins.
  public func restoreBuiltIn() {
    session = .builtIn()
    // Record now, so that what the lesson does first is measured against this pass.
    _ = trace
  }

  /// Whether `word` names a command (or an alias).
  public func isCommand(_ word: String) -> Bool { CommandTable.find(word) != nil }

  /// The prompt to show: the lesson's while one runs.
  public var prompt: String { lessonHost?.prompt ?? "(rnnstep) " }
}
