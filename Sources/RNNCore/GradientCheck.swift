import Foundation

/// Step size and tolerance of a finite-difference gradient check.
///
/// The numeric derivative is the centered difference, summed step by step:
/// n = Σ_t (L_t(θ+ε) − L_t(θ−ε)) / 2ε. Its error has two parts, and each check estimates both
/// (``ErrorBar``): rounding, about u·Σ_t |L_t| / ε (u = 2⁻⁵³), from the losses actually
/// differenced, and truncation, ∝ ε², from the same difference at 2ε and ε/2. The verdict
/// compares |analytic − numeric| with that error bar; `relativeTolerance` only widens it.
public struct CheckSettings: Equatable, Sendable {
  /// Default ε = 1e-5.
  public static let defaultEpsilon = 1e-5
  /// Default relative tolerance 1e-6.
  public static let defaultRelativeTolerance = 1e-6

  public var epsilon: Double
  /// Agreement within this fraction of max(|a|, |n|) passes even when the error bar is smaller.
  public var relativeTolerance: Double
  /// Also compute each derivative exactly (``TangentPass``) and let it decide.
  public var exact: Bool

  public init(
    epsilon: Double = CheckSettings.defaultEpsilon,
    relativeTolerance: Double = CheckSettings.defaultRelativeTolerance, exact: Bool = false
  ) {
    self.epsilon = epsilon
    self.relativeTolerance = relativeTolerance
    self.exact = exact
  }
}

/// |a − n| / max(|a| + |n|, tiny); 0 when both are 0, so 0/0 counts as agreement.
public func relativeError(_ a: Double, _ n: Double) -> Double {
  let difference = Swift.abs(a - n)
  if difference == 0 { return 0 }
  return difference / Swift.max(Swift.abs(a) + Swift.abs(n), Double.leastNormalMagnitude)
}

/// A check's verdict.
public enum Verdict: String, Equatable, Sendable {
  case pass = "PASS"
  case fail = "FAIL"
  /// The error bar is too wide to tell agreement from disagreement.
  case inconclusive = "INCONCLUSIVE"
}

/// What decided a verdict.
public enum VerdictReason: Equatable, Sendable {
  /// Analytic and numeric are both exactly 0.
  case bothZero
  /// |a − n| is within the error bar (rounding and truncation).
  case withinErrorBar
  /// |a − n| is within the relative tolerance.
  case withinTolerance
  /// |a − n| is this many times the error bar (or the tolerance, when larger).
  case beyondErrorBar(times: Double)
  /// The error bar, mostly rounding, is as large as the values: they are below the noise.
  case belowRoundingNoise
  /// The error bar, mostly truncation, is as large as the values: ε is too large here.
  case truncationTooLarge
  /// Over ±ε the slope changes by more than the slope itself ((L(θ+ε) − 2L(θ) + L(θ−ε)) / ε
  /// exceeds |a| and |n|): the loss is too far from linear at this ε to tell.
  case tooNonlinear
  /// A loss or a derivative is NaN or infinite.
  case notFinite
  /// θ ± ε rounds back to θ: ε is below the spacing of doubles near θ, and nothing was measured.
  case stepLostInRounding
  /// The exact derivative agrees with the analytic one (within rounding of both).
  case exactAgrees
  /// The exact derivative differs from the analytic one by this many times their rounding.
  case exactDisagrees(times: Double)
}

/// The error bar of a centered difference, and the rule that turns it into a verdict.
public enum ErrorBar {
  /// One loss L_t is computed with an error of a few ulp of |L_t| + max |y_t|: this many.
  public static let roundingUnits = 2.0
  /// Estimates are multiplied by this before they bound a difference.
  public static let margin = 2.0
  /// Agreement means something only while the bar is below this fraction of the values: a PASS
  /// confirms the analytic value to 1e-4 of its size at worst, or to the tolerance. (With bars of
  /// half, then 1%, of the values, gradients 0.1% and 0.5% wrong passed at ε = 0.1 and where the
  /// loss bends hard.)
  public static let resolution = 1e-4
  /// Analytic and exact derivatives agree when they differ by at most this fraction of the
  /// larger of them or of the largest derivative of the same array (their sums round apart).
  public static let exactTolerance = 1e-9

  /// The verdict for an analytic derivative `a` against a numeric `n` whose estimated errors
  /// are `rounding` and `truncation`.
  ///
  /// PASS when |a − n| ≤ max(bar, tolerance·(|a| + |n|)) with bar = margin·(rounding +
  /// truncation), provided the bar is at most `resolution`·max(|a|, |n|); INCONCLUSIVE when it
  /// agrees only within a bar that wide; FAIL when |a − n| exceeds it. Rescaling the loss
  /// rescales a, n and the bar alike, so the verdict stays.
  public static func judge(
    analytic a: Double, numeric n: Double, rounding: Double, truncation: Double, tolerance: Double
  ) -> (Verdict, VerdictReason) {
    guard a.isFinite && n.isFinite && rounding.isFinite && truncation.isFinite else {
      return (.inconclusive, .notFinite)
    }
    if a == 0 && n == 0 { return (.pass, .bothZero) }
    let difference = Swift.abs(a - n)
    let size = Swift.max(Swift.abs(a), Swift.abs(n))
    let bar = margin * (rounding + truncation)
    // The tolerance bounds the relative error as it is shown: |a − n| / (|a| + |n|).
    let tolerated = tolerance * (Swift.abs(a) + Swift.abs(n))
    let allowed = Swift.max(bar, tolerated)
    guard difference <= allowed else { return (.fail, .beyondErrorBar(times: difference / allowed)) }
    if bar <= resolution * size {
      return (.pass, difference <= bar ? .withinErrorBar : .withinTolerance)
    }
    return (.inconclusive, truncation > rounding ? .truncationTooLarge : .belowRoundingNoise)
  }

  /// The verdict for an analytic derivative against an exact one; `scale` is the largest
  /// magnitude among the derivatives of the same array.
  public static func judgeExact(analytic a: Double, exact x: Double, scale: Double) -> (Verdict, VerdictReason) {
    guard a.isFinite && x.isFinite else { return (.inconclusive, .notFinite) }
    let allowed = exactTolerance * Swift.max(Swift.abs(a), Swift.abs(x), scale) + Double.leastNormalMagnitude
    let difference = Swift.abs(a - x)
    if difference <= allowed { return (.pass, .exactAgrees) }
    return (.fail, .exactDisagrees(times: difference / allowed))
  }
}

/// What one check perturbed.
public enum CheckedElement: Equatable, Sendable {
  /// Element (row, column) of a parameter; a bias has column 0.
  case parameter(Parameter, row: Int, column: Int)
  /// Element (row, column) of what step t adds to a gradient (`dWhh_t[3]`): the copy of the
  /// parameter that step t uses, changed alone.
  case contribution(Parameter, t: Int, row: Int, column: Int)
  /// Element `index` of an intermediate quantity.
  case intermediate(IntermediateQuantity, index: Int)
  /// All parameters along a seeded unit direction.
  case direction(seed: UInt64)
  /// One quantity of one step along a seeded unit direction (what `blame` checks).
  case quantityDirection(BlameQuantity, seed: UInt64)
}

/// One derivative: analytic beside numeric, their error estimates, and the verdict.
public struct ElementCheck: Equatable, Sendable {
  /// What was perturbed.
  public let element: CheckedElement
  /// Σ_t L_t(θ+ε) and Σ_t L_t(θ−ε).
  public let lossPlus: Double
  public let lossMinus: Double
  public let epsilon: Double
  /// Σ_t (L_t(θ+ε) − L_t(θ−ε)) / 2ε.
  public let numeric: Double
  /// What backpropagation computed.
  public let analytic: Double
  /// The estimated rounding error of `numeric`.
  public let rounding: Double
  /// The estimated truncation error of `numeric` (0 when the verdict was clear without it).
  public let truncation: Double
  /// The exact derivative, when it was asked for.
  public let exact: Double?
  public let verdict: Verdict
  public let reason: VerdictReason

  /// margin × (rounding + truncation): what |a − n| is compared with.
  public var errorBar: Double { ErrorBar.margin * (rounding + truncation) }
  public var relativeError: Double { RNNCore.relativeError(analytic, numeric) }
  /// |analytic − numeric|.
  public var absoluteError: Double { Swift.abs(analytic - numeric) }
  public var passed: Bool { verdict == .pass }
}

/// The outcome of checking many elements of one parameter (or of one step's contribution).
public struct ParameterCheck: Equatable, Sendable {
  public let parameter: Parameter
  /// Every element checked, in order.
  public let elements: [ElementCheck]
  /// ‖a − n‖ over the elements, and the error bar of that norm, √Σ (rounding + margin · truncation)².
  public let differenceNorm: Double
  public let differenceBar: Double
  /// ‖a‖ over the elements.
  public let analyticNorm: Double
  public let verdict: Verdict
  /// Whether the norm comparison alone failed (an error spread thinly over many elements).
  public let failedByNorm: Bool

  public var checked: Int { elements.count }
  public var failed: Int { elements.count { $0.verdict == .fail } }
  public var inconclusive: Int { elements.count { $0.verdict == .inconclusive } }
  public var passed: Bool { verdict == .pass }
  /// The worst element: the failing one with the largest ratio to its bar, else the largest
  /// relative error.
  public var worst: ElementCheck {
    let failing = elements.filter { $0.verdict == .fail }
    if !failing.isEmpty {
      return failing.max {
        $0.absoluteError / Swift.max($0.errorBar, .leastNormalMagnitude) < $1.absoluteError
          / Swift.max($1.errorBar, .leastNormalMagnitude)
      }!
    }
    return elements.max { $0.relativeError < $1.relativeError }!
  }

  /// Groups element checks: FAIL if any element fails or the norms of the difference exceed
  /// their bar; INCONCLUSIVE if the whole gradient is below its bar; PASS otherwise (elements
  /// too small to judge one by one are then judged together, by the norm).
  init(parameter: Parameter, elements: [ElementCheck], tolerance: Double) {
    precondition(!elements.isEmpty, "a parameter check needs elements")
    self.parameter = parameter
    self.elements = elements
    let exact = elements.allSatisfy { $0.exact != nil }
    // The norm test pools elements whose error bars can be trusted: those judged, and those only
    // below the rounding noise. An element the loss is too bent or too coarse to judge stays out,
    // and then the parameter cannot PASS either.
    let judged = elements.filter { exact || $0.verdict != .inconclusive || $0.reason == .belowRoundingNoise }
    var difference = 0.0
    var bar = 0.0
    var norm = 0.0
    var numericNorm = 0.0
    for e in judged {
      let reference = exact ? e.exact! : e.numeric
      difference += (e.analytic - reference) * (e.analytic - reference)
      // Rounding is random noise, which does not add up the way a systematic error spread over
      // many elements does: over many elements, its estimate without the margin each element
      // gets (over a few, pooling proves nothing, and the margin stays). Truncation is systematic
      // itself (the loss bends the same way for neighbouring elements): with it.
      let estimate = (judged.count >= 10 ? 1 : ErrorBar.margin) * e.rounding + ErrorBar.margin * e.truncation
      bar += estimate * estimate
      norm += e.analytic * e.analytic
      numericNorm += reference * reference
    }
    differenceNorm = difference.squareRoot()
    differenceBar = exact ? 0 : bar.squareRoot()
    analyticNorm = norm.squareRoot()
    let size = analyticNorm + numericNorm.squareRoot()
    let allowed = Swift.max(differenceBar, (exact ? ErrorBar.exactTolerance : tolerance) * size)
    let anyFailed = elements.contains { $0.verdict == .fail }
    failedByNorm = !anyFailed && !judged.isEmpty && differenceNorm.isFinite && differenceNorm > allowed
    if anyFailed || failedByNorm {
      verdict = .fail
    } else if judged.count < elements.count || !differenceNorm.isFinite {
      verdict = .inconclusive
    } else if elements.allSatisfy({ $0.reason == .bothZero }) || differenceBar <= ErrorBar.resolution * size / 2 {
      verdict = .pass
    } else {
      verdict = .inconclusive
    }
  }
}

/// ∇L·v against (L(θ+εv) − L(θ−εv)) / 2ε for one unit direction v over all parameters.
public struct DirectionalCheck: Equatable, Sendable {
  public let seed: UInt64
  public let check: ElementCheck
}

/// An intermediate quantity checked by perturbing the forward pass from inside.
public enum IntermediateQuantity: Equatable, Sendable {
  /// dy_t = dL/dy_t: perturb y_t.
  case dy(t: Int)
  /// dh_t = dL/dh_t: perturb h_t.
  case dh(t: Int)
  /// dh_raw_t = dL/da_t: perturb a_t.
  case dhRaw(t: Int)
  /// dh_next of step t = Whh^T dh_raw_t, the part of dL/dh_{t−1} that flows back through a_t:
  /// perturb h_{t−1} where a_t reads it, and only there. At t = 1 it is all of dL/dh0.
  case dhNext(t: Int)

  public var step: Int {
    switch self {
    case .dy(let t), .dh(let t), .dhRaw(let t), .dhNext(let t): t
    }
  }
}

/// What `blame` checks at each step, in the order BPTT computes it.
public enum BlameQuantity: Equatable, Sendable {
  case intermediate(IntermediateQuantity)
  /// What step t adds to a gradient.
  case contribution(Parameter, t: Int)

  public var step: Int {
    switch self {
    case .intermediate(let q): q.step
    case .contribution(_, let t): t
    }
  }
}

/// Finite-difference checks of the gradients of one model on one sequence.
///
/// The analytic side comes from one recorded pass (``trace``) with the chosen BPTT variant; the
/// numeric side from forward passes alone, each with its error bar (``ErrorBar``); with
/// ``CheckSettings/exact`` the exact side from ``TangentPass``. Nothing here clips or changes the
/// model.
public struct GradientChecker: Sendable {
  public let model: RNN
  public let data: SequenceData
  public let lossKind: LossKind
  public let settings: CheckSettings
  /// The analytic pass: its gradients and intermediate quantities are what is checked.
  public let trace: Trace
  /// ``hiddenRounding``, once.
  private let hiddenNoise: Double

  /// Records the analytic pass. - Throws: ``RNNError`` when the data do not fit the model.
  public init(
    model: RNN, data: SequenceData, lossKind: LossKind, variant: BPTTVariant = .correct,
    settings: CheckSettings = CheckSettings()
  ) throws {
    self.model = model
    self.data = data
    self.lossKind = lossKind
    self.settings = settings
    let trace = try BPTTEngine().record(
      model: model, data: data, loss: lossKind, variant: variant, keepRunningTotals: false)
    self.trace = trace
    hiddenNoise = GradientChecker.hiddenRounding(trace)
  }

  /// A check built on an existing record (its model, data, loss and variant).
  public init(trace: Trace, settings: CheckSettings = CheckSettings()) {
    model = trace.model
    data = trace.data
    lossKind = trace.lossKind
    self.settings = settings
    self.trace = trace
    hiddenNoise = GradientChecker.hiddenRounding(trace)
  }

  /// The element at flat `index` of a parameter.
  public func element(_ parameter: Parameter, _ index: Int) -> CheckedElement {
    let cols = model.parameters[parameter].cols
    return .parameter(parameter, row: index / cols, column: index % cols)
  }

  // MARK: The difference and its error bar

  /// One centered difference: the losses of both sides, the derivative, its rounding error.
  private struct Difference {
    var plus = 0.0
    var minus = 0.0
    var numeric = 0.0
    var rounding = 0.0
    /// Σ_t of |L_t| + max |y_t| on both sides: the size of what was differenced.
    var size = 0.0
  }

  /// How much rounding inside the pass moves the loss: each h_t[i] is off by about u (it lies in
  /// [−1, 1]) and each a_t[i] by u·|a_t[i]|, which moves L by |dh_t[i]| and |dh_raw_t[i]| per unit.
  /// Small where gradients are small; large where they explode, and with them the noise.
  private static func hiddenRounding(_ given: Trace) -> Double {
    // From the correct backward, whatever the one under test: a wrong dh must not widen its own bar.
    let trace =
      given.variant == .correct
      ? given
      : (try? BPTTEngine().record(
        model: given.model, data: given.data, loss: given.lossKind, variant: .correct, keepRunningTotals: false))
        ?? given
    var sum = 0.0
    for (k, dh) in trace.dh.storage.enumerated() {
      sum += Swift.abs(dh) + Swift.abs(trace.a.storage[k] * trace.dhRaw.storage[k])
    }
    return sum
  }

  /// Σ_t (L_t(+h) − L_t(−h)) / 2h, where `losses(±h)` runs the pass changed by ±h.
  private func difference(_ h: Double, _ losses: (Double) -> (losses: [Double], scales: [Double])) -> Difference {
    let (plus, plusScales) = losses(h)
    let (minus, minusScales) = losses(-h)
    var d = Difference()
    var sum = 0.0
    var scale = 0.0
    for t in plus.indices {
      d.plus += plus[t]
      d.minus += minus[t]
      sum += plus[t] - minus[t]
      scale += plusScales[t] + minusScales[t]
    }
    d.numeric = sum / (2 * h)
    d.size = scale
    d.rounding = ErrorBar.roundingUnits * (Double.ulpOfOne / 2) * (scale + 2 * hiddenNoise) / (2 * h)
    return d
  }

  /// Whether the difference at ε leaves the verdict to the truncation estimate, which needs the
  /// differences at 2ε and ε/2: where it does not pass on rounding alone, and also where it is
  /// beyond the rounding estimate (even if within the bar or the tolerance), so that the bar
  /// shown is the whole of what the difference may be off by, and the norm test, which pools
  /// rounding without the margin, sees the truncation.
  private func needsTruncationEstimate(analytic: Double, _ d: Difference) -> Bool {
    let (verdict, _) = ErrorBar.judge(
      analytic: analytic, numeric: d.numeric, rounding: d.rounding, truncation: 0,
      tolerance: settings.relativeTolerance)
    let beyondRounding = Swift.abs(analytic - d.numeric) > d.rounding
    return (verdict != .pass || beyondRounding) && d.numeric.isFinite && analytic.isFinite
  }

  /// Checks one derivative: the difference at ε, and when that does not settle the verdict,
  /// again at 2ε and ε/2 to estimate the truncation error; the exact derivative when asked.
  private func check(
    _ element: CheckedElement, analytic: Double, epsilon: Double, scale: @autoclosure () -> Double,
    moved: Bool = true, exact: () -> Double,
    losses: (Double) -> (losses: [Double], scales: [Double])
  ) -> ElementCheck {
    let d = difference(epsilon, losses)
    // How much the slope changes over ±ε: (L(θ+ε) − 2L(θ) + L(θ−ε)) / ε.
    let bend = Swift.abs((d.plus - trace.loss) + (d.minus - trace.loss)) / epsilon
    var truncation = 0.0
    var (verdict, reason) = ErrorBar.judge(
      analytic: analytic, numeric: d.numeric, rounding: d.rounding, truncation: 0,
      tolerance: settings.relativeTolerance)
    if needsTruncationEstimate(analytic: analytic, d) {
      // D(h) = D + c h² + …: D(2ε) − D(ε) = 3cε², D(ε) − D(ε/2) = ¾cε², and D(ε)'s error is cε².
      let wide = difference(2 * epsilon, losses)
      let narrow = difference(epsilon / 2, losses)
      // Asymptotically cε² is a third of the first and four thirds of the second; far from the
      // asymptote (a strongly bent loss) higher terms make that an underestimate, so take the
      // first whole.
      truncation = Swift.max(
        Swift.abs(wide.numeric - d.numeric), Swift.abs(d.numeric - narrow.numeric) / 0.75)
      (verdict, reason) = ErrorBar.judge(
        analytic: analytic, numeric: d.numeric, rounding: d.rounding, truncation: truncation,
        tolerance: settings.relativeTolerance)
      // A loss that bends more over ±ε than the slope measured there cannot convict anything.
      let bendNoise =
        4 * Double.ulpOfOne * (Swift.abs(d.plus) + Swift.abs(d.minus) + 2 * Swift.abs(trace.loss)) / epsilon
      // So can a slope that would move the loss by more than 0.1% of its size over ε: the loss
      // is far from linear there (exploding gradients). Both judged from what was measured, never
      // from the analytic value under test (a wrong, huge analytic value must not excuse itself);
      // and a truncation measured far below the disagreement convicts regardless, unless the
      // differences fail the test of smoothness below.
      let steep =
        Swift.max(Swift.abs(d.numeric), Swift.abs(wide.numeric), Swift.abs(narrow.numeric)) * epsilon
        > 1e-3 * d.size / 2
      let disagreement = Swift.abs(analytic - d.numeric)
      let measuredClearly = truncation + d.rounding < 0.01 * disagreement
      // Before they convict, the three differences must also agree among themselves to 1%
      // where the loss is steep (measured), or where the spread among them is more than rounding
      // and the analytic slope would itself move the loss far over ε: otherwise the loss is not
      // smooth at this ε (chaotic, exploding), and the bar estimated from them bounds nothing,
      // however far the analytic value lies from them (correct BPTT there can be 1e11 times the
      // difference). On a smooth loss they agree, and a huge wrong value still fails.
      let largest = Swift.max(Swift.abs(d.numeric), Swift.abs(wide.numeric), Swift.abs(narrow.numeric))
      let unsettled = truncation + d.rounding >= 0.01 * largest
      let spread = truncation > Swift.max(0.01 * largest, ErrorBar.margin * d.rounding)
      let steepIfRight = Swift.abs(analytic) * epsilon > 1e-3 * d.size / 2
      // The truncation estimate assumes D(h) = D + c h² + …, so that D(2ε) − D(ε) is four times
      // D(ε) − D(ε/2), with the same sign. Where the differences spread beyond their rounding and
      // do not (a large ε, far from that asymptote: correct BPTT once failed at ε = 1 with a
      // truncation measured at a quarter of the disagreement), the bar bounds nothing.
      let (outer, inner) = (wide.numeric - d.numeric, d.numeric - narrow.numeric)
      let beyondItsRounding = Swift.abs(outer) > 2 * ErrorBar.margin * (wide.rounding + d.rounding)
      let quadratic =
        outer * inner > 0 && Swift.abs(outer) >= 2 * Swift.abs(inner) && Swift.abs(outer) <= 8 * Swift.abs(inner)
      if verdict == .fail
        && ((steep && unsettled) || (spread && steepIfRight) || (beyondItsRounding && !quadratic)
          || (!measuredClearly && (steep || !(bend <= Swift.abs(d.numeric) + bendNoise))))
      {
        (verdict, reason) = (.inconclusive, .tooNonlinear)
      }
    }
    if reason == .bothZero && reachesLoss(element) {
      // Exactly 0 on both sides, though a change of the element does reach the loss: the
      // difference was below the loss's rounding, and an analytic 0 may be wrong.
      (verdict, reason) = (.inconclusive, .belowRoundingNoise)
    }
    if !moved {
      // θ ± ε rounded back to θ: the difference measured nothing.
      (verdict, reason) = (.inconclusive, .stepLostInRounding)
    }
    var exactValue: Double?
    if settings.exact {
      let x = exact()
      exactValue = x
      // The array's largest derivative, looked at only here: computing it for every element of
      // a big matrix would cost as much as the check.
      (verdict, reason) = ErrorBar.judgeExact(analytic: analytic, exact: x, scale: scale())
    }
    return ElementCheck(
      element: element, lossPlus: d.plus, lossMinus: d.minus, epsilon: epsilon, numeric: d.numeric,
      analytic: analytic, rounding: d.rounding, truncation: truncation, exact: exactValue, verdict: verdict,
      reason: reason)
  }

  /// Whether a change of `element` can reach the loss at all. Not for a weight whose every use
  /// multiplies an exact 0: a column of Wxh for an input that is 0 at every step (a character
  /// that never occurs), a column of Whh or Why for a hidden unit that is 0 wherever it is read.
  /// There "both exactly 0" is the truth; elsewhere it is only a difference below rounding.
  private func reachesLoss(_ element: CheckedElement) -> Bool {
    let steps = trace.steps
    switch element {
    case .parameter(.wxh, _, let j): return (0..<steps).contains { trace.xs[$0, j] != 0 }
    case .parameter(.whh, _, let j): return (0..<steps).contains { trace.hs[$0, j] != 0 }
    case .parameter(.why, _, let j): return (1...steps).contains { trace.hs[$0, j] != 0 }
    case .contribution(.wxh, let t, _, let j): return trace.xs[t - 1, j] != 0
    case .contribution(.whh, let t, _, let j): return trace.hs[t - 1, j] != 0
    case .contribution(.why, let t, _, let j): return trace.hs[t, j] != 0
    // Along a direction, step t's copy reaches the loss through any element of what it reads.
    case .quantityDirection(.contribution(.wxh, let t), _):
      return (0..<trace.xs.cols).contains { trace.xs[t - 1, $0] != 0 }
    case .quantityDirection(.contribution(.whh, let t), _):
      return (0..<trace.hs.cols).contains { trace.hs[t - 1, $0] != 0 }
    case .quantityDirection(.contribution(.why, let t), _): return (0..<trace.hs.cols).contains { trace.hs[t, $0] != 0 }
    default: return true
    }
  }

  private func stepLosses(_ m: RNN, _ engine: BPTTEngine, _ perturbation: Perturbation? = nil) -> (
    losses: [Double], scales: [Double]
  ) {
    // The data were validated when the trace was recorded; a failure here is a programming error.
    do { return try engine.stepLosses(of: m, on: data, loss: lossKind, perturbing: perturbation) } catch {
      preconditionFailure("validated data failed: \(error)")
    }
  }

  // MARK: Parameters

  /// One element: L(θ±ε), numeric, analytic, the error bar and the verdict.
  /// - Parameter epsilon: ε for this check; ``settings``' when nil.
  public func checkElement(_ parameter: Parameter, index: Int, epsilon: Double? = nil) -> ElementCheck {
    precondition(index >= 0 && index < model.parameters[parameter].count, "index \(index) outside \(parameter.name)")
    return checkElement(parameter, index: index, epsilon: epsilon ?? settings.epsilon, engine: BPTTEngine())
  }

  /// - Parameter precomputed: the step losses (and sizes) at θ + h for the changes h whose passes
  ///   a batch already ran (±ε, and ±2ε and ±ε/2 where the truncation estimate needs them).
  private func checkElement(
    _ parameter: Parameter, index: Int, epsilon: Double, engine: BPTTEngine,
    precomputed: [Double: (losses: [Double], scales: [Double])] = [:]
  ) -> ElementCheck {
    let original = model.parameters[parameter, index]
    let cols = model.parameters[parameter].cols
    return check(
      element(parameter, index), analytic: trace.gradients[parameter, index], epsilon: epsilon,
      scale: trace.gradients[parameter].maxAbs, moved: original + epsilon != original && original - epsilon != original,
      exact: {
        TangentPass(trace: trace).derivative(
          .parameter(parameter, row: index / cols, column: index % cols, onlyAtStep: nil))
      },
      losses: { h in
        precomputed[h] ?? engine.stepLosses(of: trace, changing: parameter, index: index, to: original + h)
      })
  }

  /// Every element of the given parameters, spread over all cores.
  /// - Parameter cancellation: polled between elements; when set, throws ``Cancelled``.
  /// - Complexity: 2 forward passes per element (6 where the first difference is not conclusive).
  public func checkAll(
    _ parameters: [Parameter] = Parameter.allCases, cancellation: CancellationFlag? = nil
  ) throws -> [ParameterCheck] {
    let elements = parameters.flatMap { p in (0..<model.parameters[p].count).map { (p, $0) } }
    let results = try checkElements(elements, cancellation: cancellation)
    return group(results, parameters)
  }

  /// `k` distinct elements of each parameter drawn with `seed`, like min-char-rnn's gradCheck,
  /// but only from elements whose analytic derivative is not exactly 0 while there are k such
  /// (a column of Wxh for a character that never occurs is 0 on both sides and cannot judge).
  public func checkSample(
    _ k: Int, seed: UInt64, parameters: [Parameter] = Parameter.allCases, cancellation: CancellationFlag? = nil
  ) throws -> [ParameterCheck] {
    precondition(k > 0, "a sample needs at least one element")
    var rng = SeededGenerator(seed: seed)
    var elements: [(Parameter, Int)] = []
    for p in parameters {
      let g = trace.gradients[p].storage
      let nonzero = g.indices.filter { g[$0] != 0 }
      let zero = g.indices.filter { g[$0] == 0 }
      // A partial Fisher–Yates shuffle: the first n of a seeded permutation, nonzero ones first.
      func draw(_ pool: [Int], _ n: Int) -> [Int] {
        var indices = pool
        for i in 0..<n { indices.swapAt(i, i + rng.nextIndex(below: indices.count - i)) }
        return Array(indices[0..<n])
      }
      let fromNonzero = draw(nonzero, Swift.min(k, nonzero.count))
      let fromZero = draw(zero, Swift.min(k - fromNonzero.count, zero.count))
      elements += (fromNonzero + fromZero).sorted().map { (p, $0) }
    }
    return group(try checkElements(elements, cancellation: cancellation), parameters)
  }

  private func group(_ results: [(Parameter, ElementCheck)], _ parameters: [Parameter]) -> [ParameterCheck] {
    parameters.map { p in
      ParameterCheck(
        parameter: p, elements: results.filter { $0.0 == p }.map(\.1), tolerance: settings.relativeTolerance)
    }
  }

  /// Checks the listed elements on every core the process may use; results keep the input order.
  private func checkElements(
    _ elements: [(Parameter, Int)], cancellation: CancellationFlag?
  ) throws -> [(Parameter, ElementCheck)] {
    let workers = Swift.max(1, Swift.min(allowedCoreCount(), elements.count))
    let slots = Slots<ElementCheck>(count: elements.count)
    let epsilon = settings.epsilon
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let engine = BPTTEngine()
      // Whh's elements wait in `pending` until a batch of their passes can run together.
      var batch: PerturbedBatch?
      var pending: [Int] = []
      // The passes at θ ± h of each element, `PerturbedBatch.width` at a time, as tables h → losses.
      func batched(_ indices: [Int], _ hs: [Double]) -> [[Double: (losses: [Double], scales: [Double])]] {
        let whh = model.parameters.whh.storage
        if batch == nil { batch = PerturbedBatch(trace: trace) }
        var tables = [[Double: (losses: [Double], scales: [Double])]](repeating: [:], count: indices.count)
        let perBatch = PerturbedBatch.width / hs.count
        for first in stride(from: 0, to: indices.count, by: perBatch) {
          let part = first..<Swift.min(indices.count, first + perBatch)
          let changes = part.flatMap { k in hs.map { h in (index: indices[k], value: whh[indices[k]] + h) } }
          let losses = batch!.stepLosses(changes)
          for (n, k) in part.enumerated() {
            for (m, h) in hs.enumerated() { tables[k][h] = losses[n * hs.count + m] }
          }
        }
        return tables
      }
      func runPending() {
        guard !pending.isEmpty else { return }
        let indices = pending.map { elements[$0].1 }
        var tables = batched(indices, [epsilon, -epsilon])
        // The elements whose verdict needs the truncation estimate get their passes at ±2ε and
        // ±ε/2 batched too (one at a time, they took a third of Whh's check).
        let further = indices.indices.filter { k in
          let d = difference(epsilon) { tables[k][$0]! }
          return needsTruncationEstimate(analytic: trace.gradients[.whh, indices[k]], d)
        }
        let more = batched(further.map { indices[$0] }, [2 * epsilon, -2 * epsilon, epsilon / 2, -epsilon / 2])
        for (n, k) in further.enumerated() { tables[k].merge(more[n]) { $1 } }
        for (k, i) in pending.enumerated() {
          slots.buffer[i] = checkElement(
            .whh, index: indices[k], epsilon: epsilon, engine: engine, precomputed: tables[k])
        }
        pending.removeAll(keepingCapacity: true)
      }
      // Worker w takes elements w, w + workers, …: each slot is written by one thread only.
      var i = worker
      while i < elements.count {
        if cancellation?.isCancelled == true { return }
        if elements[i].0 == .whh {
          pending.append(i)
          if 2 * pending.count == PerturbedBatch.width { runPending() }
        } else {
          slots.buffer[i] = checkElement(elements[i].0, index: elements[i].1, epsilon: epsilon, engine: engine)
        }
        i += workers
      }
      runPending()
    }
    let done = slots.buffer.compactMap { $0 }
    if done.count < elements.count {
      throw Cancelled(done: done.count, total: elements.count, unit: .elements)
    }
    return zip(elements, done).map { ($0.0, $1) }
  }

  // MARK: What one step adds (the untied-weights view)

  /// Every element of what step t adds to a parameter's gradient (`dWhh_t[3]`), each by
  /// changing only the copy of the parameter that step t uses: Whh[i,j] at step t alone moves
  /// a_t[i] by ε·h_{t−1}[j], Wxh[i,j] by ε·x_t[j], bh[i] by ε; Why[k,i] moves y_t[k] by ε·h_t[i],
  /// by[k] by ε.
  /// - Throws: ``RNNError/outOfRange(_:)`` when t is not a step; ``Cancelled``.
  public func checkContribution(
    _ parameter: Parameter, t: Int, cancellation: CancellationFlag? = nil
  ) throws -> ParameterCheck {
    guard t >= 1 && t <= trace.steps else {
      throw RNNError.outOfRange("\(parameter.gradientName)_t[\(t)] does not exist: t runs from 1 to \(trace.steps)")
    }
    let analytic = trace.contribution(to: parameter, atStep: t)
    let engine = BPTTEngine()
    var checks: [ElementCheck] = []
    for index in 0..<analytic.count {
      if cancellation?.isCancelled == true {
        throw Cancelled(done: index, total: analytic.count, unit: .elements)
      }
      let (row, column) = (index / analytic.cols, index % analytic.cols)
      let (quantity, slot, factor) = stepChange(parameter, t: t, row: row, column: column)
      checks.append(
        check(
          .contribution(parameter, t: t, row: row, column: column), analytic: analytic.storage[index],
          epsilon: settings.epsilon, scale: analytic.maxAbs,
          exact: {
            TangentPass(trace: trace).derivative(.parameter(parameter, row: row, column: column, onlyAtStep: t))
          },
          losses: { h in stepLosses(model, engine, Perturbation(quantity, index: slot, delta: h * factor)) })
      )
    }
    return ParameterCheck(parameter: parameter, elements: checks, tolerance: settings.relativeTolerance)
  }

  /// Where changing element (row, column) of the copy of `parameter` that step t uses lands:
  /// the quantity, its element, and the factor on the change.
  private func stepChange(_ parameter: Parameter, t: Int, row: Int, column: Int) -> (
    Perturbation.Quantity, Int, Double
  ) {
    switch parameter {
    case .wxh: (.a(t: t), row, trace.xs[t - 1, column])
    case .whh: (.a(t: t), row, trace.hs[t - 1, column])
    case .bh: (.a(t: t), row, 1)
    case .why: (.y(t: t), row, trace.hs[t, column])
    case .by: (.y(t: t), row, 1)
    }
  }

  // MARK: Direction

  /// ∇L·v against (L(θ+εv) − L(θ−εv)) / 2ε for a unit direction v drawn with `seed`: one check
  /// of every parameter at once, with two forward passes.
  public func checkDirection(seed: UInt64) -> DirectionalCheck {
    let v = unitDirection(seed: seed)
    let engine = BPTTEngine()
    let check = check(
      .direction(seed: seed), analytic: trace.gradients.dot(v), epsilon: settings.epsilon,
      scale: trace.gradients.globalNorm,
      exact: { TangentPass(trace: trace).derivative(.direction(v, onlyAtStep: nil)) },
      losses: { h in
        var shifted = model
        shifted.parameters.add(v, scaledBy: h)
        return stepLosses(shifted, engine)
      })
    return DirectionalCheck(seed: seed, check: check)
  }

  private func unitDirection(seed: UInt64) -> ParameterSet {
    var rng = SeededGenerator(seed: seed)
    let v = model.parameters.map { _ in rng.nextGaussian() }
    let length = v.globalNorm
    return v.map { $0 / length }
  }

  // MARK: Intermediate quantities

  /// Every element of dy_t, dh_t, dh_raw_t or dh_next of step t, each by perturbing the forward pass.
  /// - Throws: ``RNNError/outOfRange(_:)`` when t is not a step.
  public func checkIntermediate(
    _ quantity: IntermediateQuantity, cancellation: CancellationFlag? = nil
  ) throws -> [ElementCheck] {
    let (analytic, target) = try intermediate(quantity)
    let engine = BPTTEngine()
    let scale = analytic.map { Swift.abs($0) }.max() ?? 0
    return try analytic.indices.map { i in
      if cancellation?.isCancelled == true { throw Cancelled(done: i, total: analytic.count, unit: .elements) }
      var unit = [Double](repeating: 0, count: analytic.count)
      unit[i] = 1
      return check(
        .intermediate(quantity, index: i), analytic: analytic[i], epsilon: settings.epsilon, scale: scale,
        exact: { TangentPass(trace: trace).derivative(.quantity(target, vector: unit)) },
        losses: { h in stepLosses(model, engine, Perturbation(target, index: i, delta: h)) }
      )
    }
  }

  /// The recorded values of an intermediate quantity, and the quantity to perturb for it.
  private func intermediate(_ quantity: IntermediateQuantity) throws -> ([Double], Perturbation.Quantity) {
    let t = quantity.step
    guard t >= 1 && t <= trace.steps else {
      throw RNNError.outOfRange("step \(t) does not exist: t runs from 1 to \(trace.steps)")
    }
    return switch quantity {
    case .dy: (trace.dy.row(t - 1), .y(t: t))
    case .dh: (trace.dh.row(t - 1), .h(t: t))
    case .dhRaw: (trace.dhRaw.row(t - 1), .a(t: t))
    case .dhNext: (trace.dhNext.row(t - 1), .hIntoStep(t: t))
    }
  }

  // MARK: Blame

  /// The quantities of the backward pass in the order BPTT computes them: from t = T down to 1,
  /// dy, dWhy_t, dby_t, dh, dh_raw, dbh_t, dWxh_t, dWhh_t, dh_next.
  public var backwardOrder: [BlameQuantity] {
    stride(from: trace.steps, through: 1, by: -1).flatMap { t -> [BlameQuantity] in
      [
        .intermediate(.dy(t: t)), .contribution(.why, t: t), .contribution(.by, t: t), .intermediate(.dh(t: t)),
        .intermediate(.dhRaw(t: t)), .contribution(.bh, t: t), .contribution(.wxh, t: t),
        .contribution(.whh, t: t), .intermediate(.dhNext(t: t)),
      ]
    }
  }

  /// One quantity of one step checked along a seeded unit direction u: the analytic ⟨q, u⟩
  /// against the difference of the pass changed by ±ε·u there (for a step's contribution, its
  /// copy of the parameter changed along u). Two forward passes; any error not orthogonal to u
  /// shows, so almost surely every error.
  public func checkAlongDirection(_ quantity: BlameQuantity, seed: UInt64) -> ElementCheck {
    var rng = SeededGenerator(seed: seed)
    let engine = BPTTEngine()
    let t = quantity.step
    switch quantity {
    case .intermediate(let q):
      // Validated steps only: backwardOrder lists existing ones.
      let (analytic, target) = try! intermediate(q)
      let u = unit(analytic.count, &rng)
      let a = zip(analytic, u).reduce(0) { $0 + $1.0 * $1.1 }
      return check(
        .quantityDirection(quantity, seed: seed), analytic: a, epsilon: settings.epsilon,
        scale: analytic.map { Swift.abs($0) }.max() ?? 0,
        exact: { TangentPass(trace: trace).derivative(.quantity(target, vector: u)) },
        losses: { h in stepLosses(model, engine, Perturbation(target, deltas: u.map { $0 * h })) }
      )
    case .contribution(let parameter, _):
      let analytic = trace.contribution(to: parameter, atStep: t)
      let u = unit(analytic.count, &rng)
      let a = zip(analytic.storage, u).reduce(0) { $0 + $1.0 * $1.1 }
      // The copy of the parameter at step t moved along U changes a_t by U·x_t (Wxh), U·h_{t−1}
      // (Whh), U (bh), or y_t by U·h_t (Why), U (by).
      let shape = (rows: analytic.rows, cols: analytic.cols)
      let input: [Double]? =
        switch parameter {
        case .wxh: trace.xs.row(t - 1)
        case .whh: trace.hs.row(t - 1)
        case .why: trace.hs.row(t)
        case .bh, .by: nil
        }
      let change = (0..<shape.rows).map { i in
        input.map { x in (0..<shape.cols).reduce(0.0) { $0 + u[i * shape.cols + $1] * x[$1] } } ?? u[i]
      }
      let target: Perturbation.Quantity = parameter == .why || parameter == .by ? .y(t: t) : .a(t: t)
      var direction = ParameterSet(
        inputSize: model.inputSize, hiddenSize: model.hiddenSize, outputSize: model.outputSize)
      direction[parameter] = Matrix(rows: shape.rows, cols: shape.cols, u)
      return check(
        .quantityDirection(quantity, seed: seed), analytic: a, epsilon: settings.epsilon, scale: analytic.maxAbs,
        exact: { TangentPass(trace: trace).derivative(.direction(direction, onlyAtStep: t)) },
        losses: { h in stepLosses(model, engine, Perturbation(target, deltas: change.map { $0 * h })) }
      )
    }
  }

  private func unit(_ n: Int, _ rng: inout SeededGenerator) -> [Double] {
    let v = (0..<n).map { _ in rng.nextGaussian() }
    let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / length }
  }

  /// The first quantity in backward order whose check fails, with the checks made up to it
  /// (all of them when none fails). Stops at the first FAIL.
  /// - Throws: ``Cancelled``.
  public func blame(seed: UInt64 = 1, cancellation: CancellationFlag? = nil) throws -> [(BlameQuantity, ElementCheck)] {
    var done: [(BlameQuantity, ElementCheck)] = []
    let order = backwardOrder
    for (k, q) in order.enumerated() {
      if cancellation?.isCancelled == true { throw Cancelled(done: k, total: order.count, unit: .quantities) }
      let c = checkAlongDirection(q, seed: seed &+ UInt64(k))
      done.append((q, c))
      if c.verdict == .fail { break }
    }
    return done
  }

  // MARK: ε sweep

  /// The exponents of the default sweep: ε = 1e-1 … 1e-10.
  public static let sweepEpsilons: [Double] = (1...10).map { pow10(-$0) }

  /// One element checked at each ε: truncation error falls as ε², rounding error grows as 1/ε,
  /// and the relative error against ε draws a V.
  /// - Throws: ``Cancelled`` when `cancellation` is set between two ε.
  public func sweep(
    _ parameter: Parameter, index: Int, epsilons: [Double] = sweepEpsilons, cancellation: CancellationFlag? = nil
  ) throws -> [ElementCheck] {
    let engine = BPTTEngine()
    return try epsilons.enumerated().map { k, epsilon in
      if cancellation?.isCancelled == true { throw Cancelled(done: k, total: epsilons.count, unit: .elements) }
      return checkElement(parameter, index: index, epsilon: epsilon, engine: engine)
    }
  }
}

/// 10^k for small integer k, exactly as the literal `1e<k>` reads.
func pow10(_ k: Int) -> Double {
  Double("1e\(k)")!
}

/// Result slots that parallel workers fill, each slot by exactly one worker.
private final class Slots<Element>: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Element?>

  init(count: Int) {
    buffer = .allocate(capacity: count)
    buffer.initialize(repeating: nil)
  }

  deinit {
    buffer.deinitialize()
    buffer.deallocate()
  }
}
