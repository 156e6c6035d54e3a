import RNNCore
import Stepper

/// What a command produced, as data. Commands return reports; ``Renderer`` alone turns them into
/// text (with the style's colour and precision). The REPL, scripts, lessons and tests all see
/// the same reports.
public enum Report: Sendable {
  /// A sentence: what a command did (`breakpoint 1 at dh_raw`, `learning rate 0.05`).
  case message(String)
  /// An aside shown dimmed (`(recorded the pass again: loss 5.79; the cursor stays at …)`).
  case note(String)
  /// Something done, but not as asked, or something to heed.
  case warning(String)
  /// The value of an expression (`print`).
  case value(expression: String, value: Matrix)
  /// The cursor at a place of the recorded pass, with the numbers of the equation there.
  case stop(Stop)
  /// Why `continue` stopped: breakpoints that matched, watches that changed.
  case stopReason([StopReason])
  /// The values of the displays.
  case displays([DisplayValue])
  /// A gradient check's results.
  case check(CheckReport)
  /// A learner's NumPy arrays against rnnstep's (`compare`).
  case comparison(ComparisonReport)
  /// What `train` did.
  case training(TrainingReport)
  /// A file written whole (`save`, `export`, `plot … --svg`).
  case fileWritten(path: String, contents: FileContents)
  /// Text laid out by the command itself: help, tables, explanations and pictures.
  case text([String])

  /// True for a report of a check that failed (a script then exits non-zero).
  var isFailedCheck: Bool {
    switch self {
    case .check(let c): c.failed
    case .comparison(let c): c.failed
    default: false
    }
  }
}

/// What a written file holds.
public enum FileContents: Equatable, Sendable {
  /// The model (and vocabulary and data): `save`.
  case model
  /// Named NumPy arrays: `export`.
  case arrays([String])
  /// A picture: `plot … --svg`.
  case picture
}

/// The cursor after a move: the recorded pass, where the cursor is, and what was computed on
/// the way there.
public struct Stop: Sendable {
  public let snapshot: Snapshot
  /// The vocabulary, to name characters.
  public let vocabulary: [Character]?
  /// The equations passed over on the way, before the one stopped at (forward moves only).
  public let passed: [Position]
  /// The learner's own equation for the quantity at the cursor, when theirs is in force.
  public var ownEquation: String? = nil

  /// Where the cursor is; nil at the start.
  public var position: Position? { snapshot.cursor.position }

  /// The value the equation at the cursor computed: a vector for a, h, y, p, dy, dh, dh_raw and
  /// dh_next; one number for loss; what step t added for a gradient. Nil at the start.
  public var value: Matrix? {
    guard let p = position else { return nil }
    if let parameter = p.equation.updatedGradient {
      return try? snapshot.contribution(parameter, t: p.t)
    }
    guard let quantity = StepQuantity.allCases.first(where: { $0.equation == p.equation }) else { return nil }
    return try? snapshot.value(quantity, t: p.t)
  }
}

/// One reason `continue` stopped.
public enum StopReason: Equatable, Sendable {
  case watch(number: Int, text: String, old: Matrix?, new: Matrix?)
  case breakpoint(number: Int, place: Place, condition: String?, temporary: Bool)
  case conditionFailed(number: Int, error: String)
}

/// A display's value at the cursor, or why it has none there.
public struct DisplayValue: Equatable, Sendable {
  public let number: Int
  public let text: String
  public let value: Result<Matrix, DisplayError>

  public struct DisplayError: Error, Equatable, Sendable {
    public let message: String
  }
}

/// The results of one `gradcheck` (or `blame`).
public struct CheckReport: Sendable {
  public enum Kind: Sendable {
    /// One element in detail (one parameter element, or a direction).
    case element(ElementCheck, analyticName: String)
    /// Many elements, one row each (an intermediate quantity).
    case elements([ElementCheck], title: String)
    /// Whole parameters (or one step's contributions), one row each; with `listAll`, every
    /// element of each too.
    case parameters([ParameterCheck], title: String?, listAll: Bool)
    /// One element at many ε.
    case sweep([ElementCheck])
    /// The backward pass checked quantity by quantity from t = T down, to the first that fails.
    case blame([BlameStep], variant: BPTTVariant)
  }

  public let kind: Kind
  public let settings: CheckSettings
  public let variant: BPTTVariant

  /// Whether any check failed (a sweep only shows, it never fails; INCONCLUSIVE is no failure).
  public var failed: Bool {
    switch kind {
    case .element(let c, _): c.verdict == .fail
    case .elements(let cs, _): cs.contains { $0.verdict == .fail }
    case .parameters(let ps, _, _): ps.contains { $0.verdict == .fail }
    case .sweep: false
    case .blame(let steps, _): steps.contains { $0.check.verdict == .fail }
    }
  }
}

/// One quantity `blame` checked.
public struct BlameStep: Sendable {
  public let quantity: BlameQuantity
  public let check: ElementCheck
}

/// What one `train` did.
public struct TrainingReport: Equatable, Sendable {
  public let requested: Int
  public let done: Int
  /// The first and last iteration of this run (min-char-rnn's n, from 1).
  public let firstIteration: Int
  public let lastIteration: Int
  public let lastLoss: Double
  /// min-char-rnn's smooth_loss after the last update.
  public let smoothedLoss: Double
  public let updatesPerSecond: Double
  public let interrupted: Bool
  public let variant: BPTTVariant
}

/// A line of `train`'s progress on a terminal.
public struct TrainingProgress: Equatable, Sendable {
  public let iteration: Int
  public let loss: Double
  public let smoothedLoss: Double
  public let updatesPerSecond: Double
  public let secondsLeft: Double
  public let variant: BPTTVariant
}

/// A learner's arrays against rnnstep's, array by array.
public struct ComparisonReport: Sendable {
  /// Two analytic results agree when they differ by at most this fraction of the array's
  /// largest element: rounding apart, not an approximation apart.
  public static let relativeTolerance = 1e-10
  /// Where rounding is amplified (exploding, chaotic passes), two correct implementations differ
  /// by up to this many times what a one-ulp change of every weight moves an array by.
  public static let roundingAmplification = 1000.0
  /// An array that rounding alone may move by more than this fraction of its largest element
  /// cannot be judged by comparing two implementations.
  public static let resolution = 1e-3
  /// A pass whose loss a one-ulp change of the weights moves by more than this fraction is
  /// chaotic: two correct implementations need not agree on any of it.
  public static let chaotic = 1e-8

  public struct Row: Sendable {
    public let name: String
    /// rnnstep's shape, and the learner's (after reading (n,) as (n, 1)).
    public let shape: [Int]
    public let theirShape: [Int]
    public let maxAbsolute: Double
    /// The largest |a − b| / max(|a|, |b|) over every element.
    public let maxRelative: Double
    /// The flat index of the largest absolute difference.
    public let worstIndex: Int
    /// The largest difference allowed: ``relativeTolerance`` × the array's largest element, or
    /// ``roundingAmplification`` × `sensitivity` where that is more.
    public let tolerance: Double
    /// How far the array moves when every weight and h0 moves by one ulp.
    public let sensitivity: Double
    public let verdict: Verdict
    public var passed: Bool { verdict == .pass }
  }

  /// Where the learner's BPTT first goes wrong, in backward order: `dh_raw` of step 3, element 1.
  public struct Divergence: Equatable, Sendable {
    public let array: String
    public let t: Int
    public let index: Int
  }

  public let rows: [Row]
  /// Arrays in the learner's file that compare does not know.
  public let skipped: [String]
  public let variant: BPTTVariant
  public let firstDivergence: Divergence?
  /// What a one-ulp change of every weight moves the loss by, and the loss, when that makes the
  /// pass chaotic (``chaotic``).
  public var chaos: (moved: Double, loss: Double)?

  public var failed: Bool { rows.contains { $0.verdict == .fail } }
}
