import Foundation
import Testing

@testable import RNNCore

/// The gradient check's verdicts over a grid of regimes, against the exact derivative
/// (``TangentPass``) as the truth: correct BPTT is never FAIL; an element the seed tutorial's
/// backward corrupts beyond the check's error bar is never PASS; the exact derivative agrees with
/// correct BPTT; blame names the first wrong quantity, which the math gives (below).
///
/// `make test` runs a part of the grid; `make verify` (RNNSTEP_VERIFY=1) all of it.
@Suite("Verdicts over regimes")
struct VerdictPropertyTests {
  struct Regime: CustomTestStringConvertible, Sendable {
    let h: Int
    let v: Int
    let t: Int
    let scale: Double
    let loss: LossKind
    let vectors: Bool
    /// Why, by and vector targets multiplied by this: the loss rescaled (squared error only).
    let outputScale: Double

    var testDescription: String {
      "H=\(h) V=\(v) T=\(t) scale=\(scale) \(loss.rawValue)\(vectors ? " vectors" : "") outputs×\(outputScale)"
    }
  }

  static let verify = ProcessInfo.processInfo.environment["RNNSTEP_VERIFY"] == "1"

  static var regimes: [Regime] {
    var all: [Regime] = []
    let sizes = verify ? [(3, 4), (8, 5), (100, 65)] : [(3, 4), (8, 5), (100, 65)]
    for (h, v) in sizes {
      let steps = verify ? [1, 4, 25, 100, 300] : (h == 100 ? [1, 25] : [1, 4, 25])
      for t in steps {
        let scales = verify ? [1e-3, 0.01, 0.1, 0.5, 1.5] : (h == 100 ? [0.01] : [1e-3, 0.5, 1.5])
        for scale in scales {
          if h == 100 && t >= 100 && scale > 0.1 { continue }
          for loss in LossKind.allCases {
            let vectorChoices = loss == .squared && h < 100 ? [false, true] : [false]
            for vectors in vectorChoices {
              let outputScales = loss == .squared && h < 100 && (verify || scale == 0.5) ? [1.0, 3e-5, 1e5] : [1.0]
              for outputScale in outputScales {
                all.append(
                  Regime(h: h, v: v, t: t, scale: scale, loss: loss, vectors: vectors, outputScale: outputScale))
              }
            }
          }
        }
      }
    }
    return all
  }

  static func problem(_ r: Regime) throws -> (RNN, SequenceData) {
    var (model, data) = try randomProblem(
      seed: UInt64(r.h * 1000 + r.t), hidden: r.h, input: r.v, output: r.v, steps: r.t, loss: r.loss,
      vectorInputs: r.vectors, scale: r.scale)
    if r.outputScale != 1 {
      model.parameters.why = model.parameters.why.map { $0 * r.outputScale }
      model.parameters.by = model.parameters.by.map { $0 * r.outputScale }
      if case .vectors(let m) = data.targets {
        data = try SequenceData(inputs: data.inputs, targets: .vectors(m.map { $0 * r.outputScale }))
      }
    }
    return (model, data)
  }

  @Test("correct BPTT is never FAIL, corrupted elements never PASS, --exact agrees", arguments: regimes)
  func verdicts(_ r: Regime) throws {
    let (model, data) = try Self.problem(r)
    let k = Self.verify ? 40 : (r.h == 100 ? 3 : 8)
    for variant in [BPTTVariant.correct, .seed] {
      let checker = try GradientChecker(model: model, data: data, lossKind: r.loss, variant: variant)
      let tangent = TangentPass(trace: checker.trace)
      for parameter in try checker.checkSample(k, seed: 5) {
        let scale = checker.trace.gradients[parameter.parameter].maxAbs
        for c in parameter.elements {
          guard case .parameter(let p, let row, let column) = c.element else { continue }
          let exact = tangent.derivative(.parameter(p, row: row, column: column, onlyAtStep: nil))
          switch variant {
          case .correct:
            #expect(c.verdict != .fail, "\(r.testDescription): \(c)")
            // Forward mode and BPTT round apart by about 1e-14 of the gradient's scale.
            #expect(abs(c.analytic - exact) <= 1e-12 * max(scale, abs(exact)), "\(c) exact \(exact)")
          default:
            let allowed = 2 * max(c.errorBar, 1e-6 * max(abs(c.analytic), abs(exact)))
            if abs(c.analytic - exact) > allowed {
              let exactVerdict = ErrorBar.judgeExact(analytic: c.analytic, exact: exact, scale: scale).0
              #expect(
                c.verdict == .fail || (c.verdict == .inconclusive && exactVerdict == .fail),
                "\(r.testDescription): a corrupted element was \(c.verdict): \(c) exact \(exact)")
            }
          }
        }
        if variant == .correct { #expect(parameter.verdict != .fail, "\(r.testDescription): \(parameter.parameter)") }
      }
    }
  }

  /// Under the seed's backward, step T is right up to dWhh_t[T]: dy_T, dWhy_t[T] (dy h_Tᵀ, h_T
  /// being its own), dby, dh_T = Whyᵀ dy_T, dh_raw_T = (1 − h_T²) ⊙ dh_T, dbh, dWxh; then
  /// dWhh_t[T] = dh_raw_T h_0ᵀ where h_{T−1} belongs. With T = 1, h_0 is h_{T−1}: nothing is wrong.
  @Test("blame names the first wrong quantity of the seed's backward: dWhh_t[T]", arguments: regimes)
  func blame(_ r: Regime) throws {
    let (model, data) = try Self.problem(r)
    let exact = CheckSettings(exact: true)
    let seed = try GradientChecker(model: model, data: data, lossKind: r.loss, variant: .seed, settings: exact)
    let steps = try seed.blame()
    if r.t == 1 {
      #expect(steps.allSatisfy { $0.1.verdict == .pass }, "\(r.testDescription)")
    } else {
      #expect(steps.last?.0 == .contribution(.whh, t: r.t), "\(r.testDescription): \(steps.map(\.0))")
      #expect(steps.last?.1.verdict == .fail)
    }
    let correct = try GradientChecker(model: model, data: data, lossKind: r.loss, variant: .correct, settings: exact)
    if !Self.verify && r.h == 100 { return }
    #expect(try correct.blame().allSatisfy { $0.1.verdict == .pass }, "\(r.testDescription)")
  }
}

@Suite("Verdicts where the loss is chaotic")
struct ChaoticVerdictTests {
  /// H = 40 with weights randn × 1 over 80 steps: BPTT's gradients reach 1e10 to 1e18 and are
  /// right (forward mode agrees), but the loss is smooth only over steps far below ε = 1e-5, so
  /// the differences at 2ε, ε and ε/2 measure no derivative.
  @Test("correct BPTT is never FAIL there (INCONCLUSIVE), and --exact passes it", arguments: LossKind.allCases)
  func chaotic(_ loss: LossKind) throws {
    let (model, data) = try randomProblem(
      seed: 1, hidden: 40, input: 10, output: 10, steps: 80, loss: loss, vectorInputs: false, scale: 1)
    let checker = try GradientChecker(model: model, data: data, lossKind: loss)
    // The regime is what this test is about: gradients that explode.
    #expect(checker.trace.gradients[.bh].maxAbs > 1e8)
    let reports = try checker.checkSample(6, seed: 3)
    for report in reports {
      #expect(report.verdict != .fail, "\(loss) \(report.parameter): \(report.worst)")
      #expect(report.elements.allSatisfy { $0.verdict != .fail }, "\(loss) \(report.parameter)")
    }
    #expect(reports.contains { $0.elements.contains { $0.verdict == .inconclusive } })
    let exact = try GradientChecker(model: model, data: data, lossKind: loss, settings: CheckSettings(exact: true))
    for report in try exact.checkSample(3, seed: 3) { #expect(report.verdict == .pass, "\(loss) \(report.parameter)") }
  }
}
