import Foundation
import RNNCore

extension Renderer {
  /// The lines of a gradient check: one element in detail, a table, or an ε sweep.
  func checkLines(_ report: CheckReport) -> [String] {
    switch report.kind {
    case .element(let c, let analyticName): elementLines(c, analyticName: analyticName, report.settings)
    case .elements(let checks, let title): elementTable(checks, title: title, report)
    case .parameters(let checks): parameterTable(checks, report)
    case .sweep(let rows): sweepLines(rows)
    }
  }

  /// What a check perturbed, as the learner writes it: `Whh[0,1]`, `bh[2]`, `dh_raw[2][0]`.
  func label(_ element: CheckedElement) -> String {
    switch element {
    case .parameter(let p, let row, let column):
      [.bh, .by].contains(p) ? "\(p.name)[\(row)]" : "\(p.name)[\(row),\(column)]"
    case .intermediate(let q, let index): "\(name(q))[\(index)]"
    case .direction(let seed): "direction (seed \(seed))"
    }
  }

  /// `dh[3]`, `dh_raw[3]`, `dh_next[3]`.
  func name(_ q: IntermediateQuantity) -> String {
    switch q {
    case .dh(let t): "dh[\(t)]"
    case .dhRaw(let t): "dh_raw[\(t)]"
    case .dhNext(let t): "dh_next[\(t)]"
    }
  }

  private func verdict(_ passed: Bool) -> String { passed ? style.good("PASS") : style.bad("FAIL") }

  private func elementLines(_ c: ElementCheck, analyticName: String, _ settings: CheckSettings) -> [String] {
    let e = style.scientific
    return [
      "\(label(c.element))   ε = \(e(c.epsilon, 1))",
      "  L(θ+ε)             \(e(c.lossPlus, 12))",
      "  L(θ−ε)             \(e(c.lossMinus, 12))",
      "  numeric            \(e(c.numeric, 10))   = (L(θ+ε) − L(θ−ε)) / 2ε",
      "  \(analyticName.padded(18)) \(e(c.analytic, 10))",
      "  relative error     \(e(c.relativeError, 2))   |a−n| = \(e(c.absoluteError, 2))",
      "\(verdict(c.passed))  (relative error ≤ \(e(settings.relativeTolerance, 1)) or |a−n| ≤ \(e(settings.absoluteTolerance, 1)))",
    ]
  }

  private func elementTable(_ checks: [ElementCheck], title: String, _ report: CheckReport) -> [String] {
    var lines = [title]
    lines.append(
      "  element".padded(22) + "analytic".padded(16) + "numeric".padded(16) + "rel error".padded(11) + "verdict")
    for c in checks {
      lines.append(
        "  " + label(c.element).padded(20) + style.scientific(c.analytic).padded(16)
          + style.scientific(c.numeric).padded(16)
          + style.scientific(c.relativeError, digits: 2).padded(11) + verdict(c.passed))
    }
    let failed = checks.count { !$0.passed }
    lines.append(
      summary(failed: failed, of: checks.count, unit: "element", worst: checks.map(\.relativeError).max() ?? 0, report))
    return lines
  }

  private func parameterTable(_ reports: [ParameterCheck], _ report: CheckReport) -> [String] {
    var lines = [
      "  parameter".padded(12) + "checked".padded(9) + "worst element".padded(18) + "analytic".padded(16)
        + "numeric".padded(16) + "rel error".padded(11) + "verdict"
    ]
    for r in reports {
      let w = r.worst
      lines.append(
        "  " + r.parameter.name.padded(10) + String(r.checked).padded(9) + label(w.element).padded(18)
          + style.scientific(w.analytic).padded(16)
          + style.scientific(w.numeric).padded(16) + style.scientific(w.relativeError, digits: 2).padded(11)
          + verdict(r.passed)
          + (r.failed > 0 ? "  (\(r.failed) failed)" : ""))
    }
    let failed = reports.count { !$0.passed }
    lines.append(
      summary(
        failed: failed, of: reports.count, unit: "parameter", worst: reports.map(\.worst.relativeError).max() ?? 0,
        report))
    return lines
  }

  private func summary(failed: Int, of count: Int, unit: String, worst: Double, _ report: CheckReport) -> String {
    let e = style.scientific
    let s = report.settings
    let limits =
      "tolerance \(e(s.relativeTolerance, 1)), floor \(e(s.absoluteTolerance, 1)), ε \(e(s.epsilon, 1)), bptt \(report.variant.rawValue)"
    let units = count == 1 ? unit : unit + "s"
    if failed == 0 {
      return "\(verdict(true)): all \(count) \(units) agree (worst relative error \(e(worst, 2)); \(limits))"
    }
    return "\(verdict(false)): \(failed) of \(count) \(units) \(failed == 1 ? "disagrees" : "disagree") (\(limits))"
  }

  private func sweepLines(_ rows: [ElementCheck]) -> [String] {
    guard let first = rows.first, let best = rows.min(by: { $0.relativeError < $1.relativeError }) else { return [] }
    var lines = ["ε sweep for \(label(first.element)): analytic \(style.scientific(first.analytic))"]
    lines.append("  ε        numeric          rel error")
    for row in rows {
      let bar = String(
        repeating: "#", count: max(0, min(40, Int((log10(max(row.relativeError, 1e-17)) + 17) * 2.5))))
      lines.append(
        "  \(style.scientific(row.epsilon, digits: 1).padded(8)) \(style.scientific(row.numeric).padded(16)) \(style.scientific(row.relativeError, digits: 2).padded(9)) \(bar)"
      )
    }
    lines.append(
      "smallest error at ε = \(style.scientific(best.epsilon, digits: 1)): truncation error grows above it (∝ ε²), rounding below it (∝ 1/ε)"
    )
    return lines
  }

  func comparisonLines(_ report: ComparisonReport) -> [String] {
    var lines = [
      "  array".padded(11) + "shape".padded(12) + "max |diff|".padded(13) + "max rel diff".padded(14) + "at".padded(10)
        + "verdict"
    ]
    for row in report.rows {
      guard row.shape == row.theirShape else {
        lines.append(
          "  " + row.name.padded(9) + "\(row.theirShape)".padded(12) + style.bad("FAIL")
            + "  shape \(row.theirShape), rnnstep's is \(row.shape)")
        continue
      }
      let at =
        row.shape.count == 2
        ? "[\(row.worstIndex / row.shape[1]),\(row.worstIndex % row.shape[1])]"
        : row.shape.isEmpty ? "" : "[\(row.worstIndex)]"
      lines.append(
        "  " + row.name.padded(9) + row.shape.map(String.init).joined(separator: "×").padded(12)
          + style.scientific(row.maxAbsolute, digits: 2).padded(13)
          + style.scientific(row.maxRelative, digits: 2).padded(14)
          + at.padded(10) + verdict(row.passed))
    }
    if !report.skipped.isEmpty { lines.append(style.dim("  (not compared: \(report.skipped.joined(separator: " ")))")) }
    let failed = report.rows.count { !$0.passed }
    let bptt = "(bptt \(report.variant.rawValue))"
    lines.append(
      failed == 0
        ? verdict(true) + ": \(report.rows.count) arrays agree with rnnstep's \(bptt)"
        : verdict(false) + ": \(failed) of \(report.rows.count) arrays differ from rnnstep's \(bptt)")
    return lines
  }
}
