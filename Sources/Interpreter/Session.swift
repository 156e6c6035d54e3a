import RNNCore
import Stepper

/// Everything the learner has set up, as one value: the model and its data, how the pass is
/// computed, how `train` and `gradcheck` work, and what stops or shows at the cursor.
///
/// What derives from a session (the recorded pass, the trainer) is not kept here: the
/// interpreter caches it and records it again whenever what it derives from changes. So
/// starting afresh (`lesson stop`, `example hello`) is one assignment, `session = .builtIn()`.
public struct Session: Equatable {
  public var model: RNN
  /// The characters of a character model, index by index.
  public var vocabulary: [Character]?
  public var loss: LossKind = .softmax
  public var variant: BPTTVariant = .correct
  /// The learner's own backward equations (`let`), by name, over the correct or the seed's set
  /// (``equationBase``); in force when `variant` is `.equations`.
  public var equations: [String: String] = [:]
  public var equationBase: BPTTVariant = .correct
  /// The seed of the last `bptt mystery`: without a seed, the next one takes the seed after it.
  public var lastMysterySeed: UInt64?
  /// How many times `bptt guess` was tried on the mystery in force.
  public var mysteryGuesses = 0
  /// The guess that found the mystery, once one has.
  public var mysteryFoundAt: Int?
  /// The seed of the next `sample` that names none: 1, 2, 3, … in a session.
  public var nextSampleSeed: UInt64 = 1
  /// The mystery in force when `variant` is `.mystery`: its place in the catalogue.
  public var mystery: Int?
  /// Inputs and targets as given; the data exist once both are there with the same length.
  public var inputs: SequenceData.Inputs?
  public var targets: SequenceData.Targets?
  /// A long sequence to train on (corpus, series, example), shown seqlen steps at a time.
  public var stream: TrainingStream?
  public var training = TrainingSettings()
  public var check = CheckSettings()
  /// Breakpoints; watches take their numbers from the same sequence, as in gdb.
  public var breakpoints = Breakpoints()
  public var watches: [Watch] = []
  public var displays = Displays()
  /// Predict, then see: ask for a prediction before a step shows its value.
  public var predict = false
  /// The cursor: −1 before the first equation, else the index of the last equation computed
  /// in the recorded pass.
  public var cursorIndex = -1

  public init(model: RNN) {
    self.model = model
  }

  /// The seed of the built-in model.
  static let builtInSeed: UInt64 = 7

  /// The built-in session: characters h e l o, H = 3 (weights randn × 0.5, seed 7, so the first
  /// numbers are readable), data "hello", min-char-rnn's training settings.
  public static func builtIn() -> Session {
    // Sizes and scale are constants within RNN's limits: this cannot throw.
    var session = Session(
      model: try! RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: builtInSeed, scale: 0.5))
    session.vocabulary = Array("helo")
    session.inputs = .indices([0, 1, 2, 2])
    session.targets = .indices([1, 2, 2, 3])
    return session
  }

  /// The data, when inputs and targets are both given and agree in length.
  public var data: SequenceData? {
    guard let inputs, let targets else { return nil }
    return try? SequenceData(inputs: inputs, targets: targets)
  }
}

/// How `train` runs min-char-rnn's loop.
public struct TrainingSettings: Equatable, Sendable {
  /// Steps unrolled per pass and per training chunk (min-char-rnn's seq_length).
  public var sequenceLength = 25
  public var optimizer = OptimizerKind.adagrad
  public var learningRate = 0.1
  public var clipping = Clipping.value(5)

  public init() {}
}

/// The update rule `train` uses.
public enum OptimizerKind: String, CaseIterable, Equatable, Sendable {
  case adagrad, sgd
}

/// An expression whose value stops `continue` when it changes.
public struct Watch: Equatable {
  public let number: Int
  public let text: String
  let expression: Expression
  /// The value at the cursor when last looked at (nil: not computed there).
  var last: Matrix?

  /// Whether a watched value stayed the same: NaN stays NaN (NaN ≠ NaN would stop everywhere).
  static func same(_ a: Matrix?, _ b: Matrix?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.rows == b.rows && a.cols == b.cols
      && zip(a.storage, b.storage).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
  }
}

/// Expressions shown at every stop, numbered in the order they were added.
public struct Displays: Equatable, Sendable {
  public struct Display: Equatable, Sendable {
    public let number: Int
    public let text: String
  }

  public private(set) var all: [Display] = []
  private var nextNumber = 1

  public init() {}

  public var isEmpty: Bool { all.isEmpty }

  /// Adds a display and returns its number.
  @discardableResult
  public mutating func add(_ text: String) -> Int {
    all.append(Display(number: nextNumber, text: text))
    nextNumber += 1
    return nextNumber - 1
  }

  /// Removes display `number` (all of them when nil); false if there was none.
  @discardableResult
  public mutating func remove(_ number: Int?) -> Bool {
    guard let number else {
      defer { all.removeAll() }
      return !all.isEmpty
    }
    guard let index = all.firstIndex(where: { $0.number == number }) else { return false }
    all.remove(at: index)
    return true
  }
}
