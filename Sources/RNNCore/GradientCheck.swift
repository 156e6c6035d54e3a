import Foundation

/// Step size and tolerances of a finite-difference gradient check.
///
/// Numeric derivative: centered difference (L(θ+ε) − L(θ−ε)) / 2ε, error O(ε²) from truncation
/// plus about u·|L|/ε from rounding (u = 2⁻⁵³), smallest near ε = 1e-5 for these losses in Double.
/// An element passes when its relative error |a−n| / max(|a|+|n|, tiny) is at most
/// `relativeTolerance`, or when |a−n| is at most `absoluteTolerance`: the floor that keeps
/// gradients that are exactly or almost zero (a column of Wxh for a character absent from the
/// input) from raising false alarms, where rounding noise alone makes the relative error large.
public struct CheckSettings: Equatable, Sendable {
  /// Default ε = 1e-5.
  public static let defaultEpsilon = 1e-5
  /// Default relative tolerance 1e-6.
  public static let defaultRelativeTolerance = 1e-6
  /// Default absolute floor 1e-8.
  public static let defaultAbsoluteTolerance = 1e-8

  public var epsilon: Double
  public var relativeTolerance: Double
  public var absoluteTolerance: Double

  public init(
    epsilon: Double = CheckSettings.defaultEpsilon,
    relativeTolerance: Double = CheckSettings.defaultRelativeTolerance,
    absoluteTolerance: Double = CheckSettings.defaultAbsoluteTolerance
  ) {
    self.epsilon = epsilon
    self.relativeTolerance = relativeTolerance
    self.absoluteTolerance = absoluteTolerance
  }

  /// The verdict for one analytic/numeric pair.
  public func passes(analytic a: Double, numeric n: Double) -> Bool {
    guard a.isFinite && n.isFinite else { return false }
    return relativeError(a, n) <= relativeTolerance || Swift.abs(a - n) <= absoluteTolerance
  }
}

/// |a − n| / max(|a| + |n|, tiny); 0 when both are 0, so 0/0 counts as agreement.
public func relativeError(_ a: Double, _ n: Double) -> Double {
  let difference = Swift.abs(a - n)
  if difference == 0 { return 0 }
  return difference / Swift.max(Swift.abs(a) + Swift.abs(n), Double.leastNormalMagnitude)
}

/// What one check perturbed.
public enum CheckedElement: Equatable, Sendable {
  /// Element (row, column) of a parameter; a bias has column 0.
  case parameter(Parameter, row: Int, column: Int)
  /// Element `index` of an intermediate quantity.
  case intermediate(IntermediateQuantity, index: Int)
  /// All parameters along a seeded unit direction.
  case direction(seed: UInt64)
}

/// One element's analytic derivative beside its centered difference.
public struct ElementCheck: Equatable, Sendable {
  /// What was perturbed.
  public let element: CheckedElement
  /// L(θ+ε) and L(θ−ε).
  public let lossPlus: Double
  public let lossMinus: Double
  public let epsilon: Double
  /// (L(θ+ε) − L(θ−ε)) / 2ε.
  public let numeric: Double
  /// What backpropagation computed.
  public let analytic: Double
  public let relativeError: Double
  public let passed: Bool

  init(
    element: CheckedElement, plus: Double, minus: Double, epsilon: Double, analytic: Double, settings: CheckSettings
  ) {
    self.element = element
    lossPlus = plus
    lossMinus = minus
    self.epsilon = epsilon
    numeric = (plus - minus) / (2 * epsilon)
    self.analytic = analytic
    relativeError = RNNCore.relativeError(analytic, numeric)
    passed = settings.passes(analytic: analytic, numeric: numeric)
  }

  /// |analytic − numeric|.
  public var absoluteError: Double { Swift.abs(analytic - numeric) }
}

/// The outcome of checking many elements of one parameter.
public struct ParameterCheck: Equatable, Sendable {
  public let parameter: Parameter
  /// How many elements were checked and how many failed.
  public let checked: Int
  public let failed: Int
  /// The worst element: the failing one with the largest relative error, else the largest overall.
  public let worst: ElementCheck
  public var passed: Bool { failed == 0 }

  init(parameter: Parameter, elements: [ElementCheck]) {
    self.parameter = parameter
    checked = elements.count
    failed = elements.count(where: { !$0.passed })
    let pool = failed > 0 ? elements.filter { !$0.passed } : elements
    worst = pool.max(by: { $0.relativeError < $1.relativeError })!
  }
}

/// ∇L·v against (L(θ+εv) − L(θ−εv)) / 2ε for one unit direction v over all parameters.
public struct DirectionalCheck: Equatable, Sendable {
  public let seed: UInt64
  public let check: ElementCheck
}

/// An intermediate quantity checked by perturbing the forward pass from inside.
public enum IntermediateQuantity: Equatable, Sendable {
  /// dh_t = dL/dh_t: perturb h_t.
  case dh(t: Int)
  /// dh_raw_t = dL/da_t: perturb a_t.
  case dhRaw(t: Int)
  /// dh_next of step t = Whh^T dh_raw_t, the part of dL/dh_{t−1} that flows back through a_t:
  /// perturb h_{t−1} where a_t reads it, and only there. At t = 1 it is all of dL/dh0.
  case dhNext(t: Int)
}

/// Finite-difference checks of the gradients of one model on one sequence.
///
/// The analytic side comes from one recorded pass (``trace``) with the chosen BPTT variant; the
/// numeric side from forward passes alone. Nothing here clips or changes the model.
public struct GradientChecker: Sendable {
  public let model: RNN
  public let data: SequenceData
  public let lossKind: LossKind
  public let settings: CheckSettings
  /// The analytic pass: its gradients and intermediate quantities are what is checked.
  public let trace: Trace

  /// Records the analytic pass. - Throws: ``RNNError`` when the data do not fit the model.
  public init(
    model: RNN, data: SequenceData, lossKind: LossKind, variant: BPTTVariant = .correct,
    settings: CheckSettings = CheckSettings()
  ) throws {
    self.model = model
    self.data = data
    self.lossKind = lossKind
    self.settings = settings
    trace = try BPTTEngine().record(
      model: model, data: data, loss: lossKind, variant: variant, keepRunningTotals: false)
  }

  /// A check built on an existing record (its model, data, loss and variant).
  public init(trace: Trace, settings: CheckSettings = CheckSettings()) {
    model = trace.model
    data = trace.data
    lossKind = trace.lossKind
    self.settings = settings
    self.trace = trace
  }

  /// The element at flat `index` of a parameter.
  public func element(_ parameter: Parameter, _ index: Int) -> CheckedElement {
    let cols = model.parameters[parameter].cols
    return .parameter(parameter, row: index / cols, column: index % cols)
  }

  // MARK: Parameters

  /// One element: L(θ±ε), numeric, analytic, relative error.
  /// - Parameter epsilon: ε for this check; ``settings``' when nil.
  public func checkElement(_ parameter: Parameter, index: Int, epsilon: Double? = nil) -> ElementCheck {
    precondition(index >= 0 && index < model.parameters[parameter].count, "index \(index) outside \(parameter.name)")
    return checkElement(parameter, index: index, epsilon: epsilon ?? settings.epsilon, engine: BPTTEngine())
  }

  private func checkElement(_ parameter: Parameter, index: Int, epsilon: Double, engine: BPTTEngine) -> ElementCheck {
    var shifted = model
    let original = model.parameters[parameter, index]
    shifted.parameters[parameter, index] = original + epsilon
    let plus = lossOrNaN(shifted, engine)
    shifted.parameters[parameter, index] = original - epsilon
    let minus = lossOrNaN(shifted, engine)
    return ElementCheck(
      element: element(parameter, index), plus: plus, minus: minus, epsilon: epsilon,
      analytic: trace.gradients[parameter, index], settings: settings)
  }

  private func lossOrNaN(_ m: RNN, _ engine: BPTTEngine, _ perturbation: Perturbation? = nil) -> Double {
    // The data were validated when the trace was recorded; a failure here is a programming error.
    do { return try engine.loss(of: m, on: data, loss: lossKind, perturbing: perturbation) } catch {
      preconditionFailure("validated data failed: \(error)")
    }
  }

  /// Every element of the given parameters, spread over all cores.
  /// - Parameter cancellation: polled between elements; when set, throws ``Cancelled``.
  /// - Complexity: 2 forward passes per element.
  public func checkAll(
    _ parameters: [Parameter] = Parameter.allCases, cancellation: CancellationFlag? = nil
  ) throws -> [ParameterCheck] {
    let elements = parameters.flatMap { p in (0..<model.parameters[p].count).map { (p, $0) } }
    let results = try checkElements(elements, cancellation: cancellation)
    return group(results, parameters)
  }

  /// `k` distinct elements of each parameter drawn with `seed` (all of them when it has no more
  /// than k), like min-char-rnn's gradCheck.
  public func checkSample(
    _ k: Int, seed: UInt64, parameters: [Parameter] = Parameter.allCases, cancellation: CancellationFlag? = nil
  ) throws -> [ParameterCheck] {
    precondition(k > 0, "a sample needs at least one element")
    var rng = SeededGenerator(seed: seed)
    var elements: [(Parameter, Int)] = []
    for p in parameters {
      // A partial Fisher–Yates shuffle: the first k of a seeded permutation.
      var indices = Array(0..<model.parameters[p].count)
      let n = Swift.min(k, indices.count)
      for i in 0..<n { indices.swapAt(i, i + rng.nextIndex(below: indices.count - i)) }
      elements += indices[0..<n].sorted().map { (p, $0) }
    }
    return group(try checkElements(elements, cancellation: cancellation), parameters)
  }

  private func group(_ results: [(Parameter, ElementCheck)], _ parameters: [Parameter]) -> [ParameterCheck] {
    parameters.map { p in ParameterCheck(parameter: p, elements: results.filter { $0.0 == p }.map(\.1)) }
  }

  /// Checks the listed elements on every core; results keep the input order.
  private func checkElements(
    _ elements: [(Parameter, Int)], cancellation: CancellationFlag?
  ) throws -> [(Parameter, ElementCheck)] {
    let workers = Swift.max(1, Swift.min(ProcessInfo.processInfo.activeProcessorCount, elements.count))
    let slots = Slots<ElementCheck>(count: elements.count)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let engine = BPTTEngine()
      // Worker w takes elements w, w + workers, …: each slot is written by one thread only.
      var i = worker
      while i < elements.count {
        if cancellation?.isCancelled == true { return }
        slots.buffer[i] = checkElement(elements[i].0, index: elements[i].1, epsilon: settings.epsilon, engine: engine)
        i += workers
      }
    }
    let done = slots.buffer.compactMap { $0 }
    if done.count < elements.count {
      throw Cancelled(done: done.count, total: elements.count, unit: .elements)
    }
    return zip(elements, done).map { ($0.0, $1) }
  }

  // MARK: Direction

  /// ∇L·v against (L(θ+εv) − L(θ−εv)) / 2ε for a unit direction v drawn with `seed`: one check
  /// of every parameter at once, with two forward passes.
  public func checkDirection(seed: UInt64) -> DirectionalCheck {
    var rng = SeededGenerator(seed: seed)
    var v = model.parameters.map { _ in rng.nextGaussian() }
    let length = v.globalNorm
    v = v.map { $0 / length }
    let engine = BPTTEngine()
    var shifted = model
    shifted.parameters.add(v, scaledBy: settings.epsilon)
    let plus = lossOrNaN(shifted, engine)
    shifted = model
    shifted.parameters.add(v, scaledBy: -settings.epsilon)
    let minus = lossOrNaN(shifted, engine)
    let check = ElementCheck(
      element: .direction(seed: seed), plus: plus, minus: minus, epsilon: settings.epsilon,
      analytic: trace.gradients.dot(v), settings: settings)
    return DirectionalCheck(seed: seed, check: check)
  }

  // MARK: Intermediate quantities

  /// Every element of dh_t, dh_raw_t or dh_next of step t, each by perturbing the forward pass.
  /// - Throws: ``RNNError/outOfRange(_:)`` when t is not a step.
  public func checkIntermediate(_ quantity: IntermediateQuantity) throws -> [ElementCheck] {
    let (t, analytic, target): (Int, Matrix, (Int) -> Perturbation.Quantity) =
      switch quantity {
      case .dh(let t): (t, trace.dh, { _ in .h(t: t) })
      case .dhRaw(let t): (t, trace.dhRaw, { _ in .a(t: t) })
      case .dhNext(let t): (t, trace.dhNext, { _ in .hIntoStep(t: t) })
      }
    guard t >= 1 && t <= trace.steps else {
      throw RNNError.outOfRange("\(quantity) does not exist: t runs over 1...\(trace.steps)")
    }
    let engine = BPTTEngine()
    let e = settings.epsilon
    return (0..<model.hiddenSize).map { i in
      let plus = lossOrNaN(model, engine, Perturbation(target(i), index: i, delta: e))
      let minus = lossOrNaN(model, engine, Perturbation(target(i), index: i, delta: -e))
      return ElementCheck(
        element: .intermediate(quantity, index: i), plus: plus, minus: minus, epsilon: e, analytic: analytic[t - 1, i],
        settings: settings)
    }
  }

  // MARK: ε sweep

  /// The exponents of the default sweep: ε = 1e-1 … 1e-10.
  public static let sweepEpsilons: [Double] = (1...10).map { pow10(-$0) }

  /// One element checked at each ε: truncation error falls as ε², rounding error grows as 1/ε,
  /// and the relative error against ε draws a V.
  public func sweep(_ parameter: Parameter, index: Int, epsilons: [Double] = sweepEpsilons) -> [ElementCheck] {
    let engine = BPTTEngine()
    return epsilons.map { checkElement(parameter, index: index, epsilon: $0, engine: engine) }
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
