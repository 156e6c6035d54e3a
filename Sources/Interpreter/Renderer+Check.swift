import Foundation
import RNNCore

extension Renderer {
  /// The lines of a gradient check: one element in detail, a table, an ε sweep, or blame.
  func checkLines(_ report: CheckReport) -> [String] {
    switch report.kind {
    case .element(let c, let analyticName): elementLines(c, analyticName: analyticName, report)
    case .elements(let checks, let title): elementTable(checks, title: title, report)
    case .parameters(let checks, let title, let listAll): parameterTable(checks, title: title, listAll: listAll, report)
    case .sweep(let rows): sweepLines(rows)
    case .blame(let steps, let variant): blameLines(steps, variant: variant, report)
    }
  }

  /// What a check perturbed, as the learner writes it: `Whh[0,1]`, `bh[2]`, `dh_raw[2][0]`,
  /// `dWhh_t[3][0,1]`.
  func label(_ element: CheckedElement) -> String {
    switch element {
    case .parameter(let p, let row, let column):
      [.bh, .by].contains(p) ? "\(p.name)[\(row)]" : "\(p.name)[\(row),\(column)]"
    case .contribution(let p, let t, let row, let column):
      [.bh, .by].contains(p) ? "\(p.gradientName)_t[\(t)][\(row)]" : "\(p.gradientName)_t[\(t)][\(row),\(column)]"
    case .intermediate(let q, let index): "\(name(q))[\(index)]"
    case .direction(let seed): "direction (seed \(seed))"
    case .quantityDirection(let q, let seed): "\(name(q))·u (seed \(seed))"
    }
  }

  /// `dy[3]`, `dh[3]`, `dh_raw[3]`, `dh_next[3]`.
  func name(_ q: IntermediateQuantity) -> String {
    switch q {
    case .dy(let t): "dy[\(t)]"
    case .dh(let t): "dh[\(t)]"
    case .dhRaw(let t): "dh_raw[\(t)]"
    case .dhNext(let t): "dh_next[\(t)]"
    }
  }

  /// `dh_raw[3]`, `dWhh_t[3]`.
  func name(_ q: BlameQuantity) -> String {
    switch q {
    case .intermediate(let i): name(i)
    case .contribution(let p, let t): "\(p.gradientName)_t[\(t)]"
    }
  }

  private func verdict(_ v: Verdict) -> String {
    switch v {
    case .pass: style.good("PASS")
    case .fail: style.bad("FAIL")
    case .inconclusive: style.bold("INCONCLUSIVE")
    }
  }

  private func e(_ x: Double, _ digits: Int = 2) -> String { style.scientific(x, digits: digits) }

  /// The verdict and what decided it, in one line.
  func verdictLine(_ c: ElementCheck) -> String {
    let v = verdict(c.verdict)
    switch c.reason {
    case .bothZero: return "\(v): analytic and numeric are both exactly 0"
    case .withinErrorBar:
      return "\(v): |a−n| = \(e(c.absoluteError)) is within the error bar \(e(c.errorBar)) (\(barParts(c)))"
    case .withinTolerance:
      return "\(v): relative error \(e(c.relativeError)) is within the tolerance"
    case .beyondErrorBar:
      return "\(v): |a−n| = \(e(c.absoluteError)) is beyond the error bar \(e(c.errorBar)) (\(barParts(c))) "
        + "and the relative error \(e(c.relativeError)) beyond the tolerance"
    case .belowRoundingNoise:
      return "\(v): both are within the rounding noise (error bar \(e(c.errorBar)) against |a| = "
        + "\(e(abs(c.analytic)))): try --exact, or a larger ε"
    case .truncationTooLarge:
      return "\(v): at ε = \(eps(c.epsilon)) the truncation error \(e(c.truncation)) is over 1e-4 of the values: "
        + "try a smaller ε (--eps \(eps(c.epsilon / 100))) or --exact"
    case .tooNonlinear:
      return
        "\(v): over ±ε the loss bends more than its slope, or a step of ε moves it far (it cannot tell at ε = \(eps(c.epsilon))): "
        + "try a smaller ε or --exact"
    case .notFinite: return "\(v): a loss or a derivative is not finite"
    case .stepLostInRounding:
      return "\(v): θ ± ε rounds back to θ (ε = \(eps(c.epsilon)) is below the spacing of doubles there): "
        + "nothing was measured; use a larger ε or --exact"
    case .exactAgrees:
      return "\(v): the exact derivative agrees with BPTT (|a−exact| = \(e(abs(c.analytic - (c.exact ?? 0)))))"
    case .exactDisagrees:
      let x = c.exact ?? 0
      return "\(v): the exact derivative \(style.scientific(x)) differs from BPTT's by \(e(abs(c.analytic - x))), "
        + "far beyond their rounding (relative \(e(RNNCore.relativeError(c.analytic, x))))"
    }
  }

  /// ε as the learner gave it, to three significant digits.
  func eps(_ x: Double) -> String { x.isNaN ? "nan" : String(format: "%.3g", x) }

  private func barParts(_ c: ElementCheck) -> String {
    "rounding \(e(c.rounding))" + (c.truncation > 0 ? ", truncation \(e(c.truncation))" : "")
  }

  private func elementLines(_ c: ElementCheck, analyticName: String, _ report: CheckReport) -> [String] {
    var lines = [
      "\(label(c.element))   ε = \(eps(c.epsilon)), bptt \(report.variant.rawValue)",
      "  L(θ+ε)             \(e(c.lossPlus, 12))",
      "  L(θ−ε)             \(e(c.lossMinus, 12))",
      "  numeric            \(e(c.numeric, 10))   = Σ_t (L_t(θ+ε) − L_t(θ−ε)) / 2ε",
      "  \(analyticName.padded(18)) \(e(c.analytic, 10))",
    ]
    if let x = c.exact { lines.append("  exact (forward)    \(e(x, 10))") }
    lines += [
      "  |a−n|              \(e(c.absoluteError))   relative error \(e(c.relativeError))",
      "  error bar          \(e(c.errorBar))   = \(Int(ErrorBar.margin)) × (\(barParts(c)))",
      verdictLine(c),
    ]
    return lines
  }

  private func header(_ first: String, _ width: Int, exact: Bool = false) -> String {
    "  " + first.padded(width) + "analytic".padded(16) + (exact ? "exact" : "numeric").padded(16)
      + (exact ? "|a−exact|" : "|a−n|").padded(10) + (exact ? "" : "error bar").padded(11) + "verdict"
  }

  /// One element's row: against the exact derivative when there is one, else the numeric.
  private func row(_ label: String, _ width: Int, _ c: ElementCheck) -> String {
    let reference = c.exact ?? c.numeric
    return "  " + label.padded(width) + style.scientific(c.analytic).padded(16)
      + style.scientific(reference).padded(16) + e(abs(c.analytic - reference)).padded(10)
      + (c.exact == nil ? e(c.errorBar) : "").padded(11) + verdict(c.verdict)
  }

  private func elementTable(_ checks: [ElementCheck], title: String, _ report: CheckReport) -> [String] {
    var lines = [title, header("element", 20, exact: report.settings.exact)]
    lines += checks.map { row(label($0.element), 20, $0) }
    let failed = checks.count { $0.verdict == .fail }
    let inconclusive = checks.count { $0.verdict == .inconclusive }
    lines.append(summary(failed: failed, inconclusive: inconclusive, of: checks.count, unit: "element", report))
    return lines
  }

  private func parameterTable(
    _ checks: [ParameterCheck], title: String?, listAll: Bool, _ report: CheckReport
  ) -> [String] {
    var lines = title.map { [$0] } ?? []
    let exact = report.settings.exact
    lines.append(
      "  " + "parameter".padded(10) + "checked".padded(9) + "worst element".padded(18) + "analytic".padded(16)
        + (exact ? "exact" : "numeric").padded(16) + (exact ? "|a−exact|" : "|a−n|").padded(10)
        + (exact ? "" : "error bar").padded(11) + "verdict")
    for r in checks {
      let w = r.worst
      var notes: [String] = []
      if r.failed > 0 { notes.append("\(r.failed) failed") }
      // Elements below the rounding noise alone are judged together by the norm; say so.
      let together = r.elements.count { $0.verdict == .inconclusive && $0.reason == .belowRoundingNoise }
      if r.inconclusive > together { notes.append("\(r.inconclusive - together) inconclusive") }
      if together > 0 {
        notes.append(
          r.verdict == .pass
            ? "\(together) too small to judge alone, judged together" : "\(together) too small to judge alone")
      }
      if r.failedByNorm {
        notes.append(
          "‖a−n‖ = \(e(r.differenceNorm)) exceeds its bar \(e(r.differenceBar)): an error spread over many elements")
      }
      if r.elements.allSatisfy({ $0.reason == .bothZero }) { notes.append("all 0 on both sides") }
      lines.append(
        "  " + r.parameter.name.padded(10) + String(r.checked).padded(9)
          + String(row(label(w.element), 18, w).dropFirst(2).dropLast(verdict(w.verdict).count)) + verdict(r.verdict)
          + (notes.isEmpty ? "" : "  (" + notes.joined(separator: "; ") + ")"))
      if listAll {
        lines += r.elements.map { "    " + row(label($0.element), 22, $0).dropFirst(2) }
      }
    }
    let failed = checks.count { $0.verdict == .fail }
    let inconclusive = checks.count { $0.verdict == .inconclusive }
    let unit = checks.count == 1 && title != nil ? "contribution" : "parameter"
    lines.append(summary(failed: failed, inconclusive: inconclusive, of: checks.count, unit: unit, report))
    if failed == 0, let worst = checks.flatMap(\.elements).filter({ $0.verdict == .fail }).first {
      lines.append(verdictLine(worst))
    }
    return lines
  }

  private func summary(failed: Int, inconclusive: Int, of count: Int, unit: String, _ report: CheckReport) -> String {
    let s = report.settings
    let how =
      "ε \(e(s.epsilon, 1)), tolerance \(e(s.relativeTolerance, 1))\(s.exact ? ", exact" : ""), bptt \(report.variant.rawValue)"
    if failed > 0 {
      return
        "\(verdict(.fail)): \(failed) of \(counted(count, unit)) \(failed == 1 ? "disagrees" : "disagree") (\(how))"
    }
    if inconclusive > 0 {
      return "\(verdict(.inconclusive)): none disagrees, but \(inconclusive) of \(counted(count, unit)) "
        + "could not be judged at this ε (\(how)); try --exact"
    }
    return
      "\(verdict(.pass)): \(count == 1 ? "the \(unit) agrees" : "all \(count) \(unit)s agree") within the error bar (\(how))"
  }

  private func sweepLines(_ rows: [ElementCheck]) -> [String] {
    guard let first = rows.first, let best = rows.min(by: { $0.relativeError < $1.relativeError }) else { return [] }
    var lines = ["ε sweep for \(label(first.element)): analytic \(style.scientific(first.analytic))"]
    lines.append("  ε        numeric          rel error  verdict")
    for row in rows {
      let error = row.relativeError.isFinite ? max(row.relativeError, 1e-17) : 1
      let bar = String(repeating: "#", count: max(0, min(40, Int((log10(error) + 17) * 2.5))))
      lines.append(
        "  \(style.scientific(row.epsilon, digits: 1).padded(8)) \(style.scientific(row.numeric).padded(16)) "
          + "\(style.scientific(row.relativeError, digits: 2).padded(10)) \(row.verdict.rawValue.padded(13)) \(bar)")
    }
    if !rows.contains(where: { $0.verdict == .pass }) && rows.contains(where: { $0.verdict == .fail }) {
      // No ε agrees: the V of truncation and rounding does not explain that.
      lines.append(
        "no ε agrees: the analytic value is wrong, or the loss is not smooth enough here for differences (try --exact)")
    } else if rows.contains(where: { $0.verdict != .inconclusive }) {
      lines.append(
        "smallest error at ε = \(style.scientific(best.epsilon, digits: 1)): truncation error grows above it (∝ ε²), rounding below it (∝ 1/ε)"
      )
    }
    return lines
  }

  private func blameLines(_ steps: [BlameStep], variant: BPTTVariant, _ report: CheckReport) -> [String] {
    var lines = [
      "checking the backward pass quantity by quantity, from t = T down (each along a seeded direction u):",
      "  " + "quantity".padded(14) + "analytic".padded(16) + (report.settings.exact ? "exact" : "numeric").padded(16)
        + "verdict",
    ]
    for s in steps {
      lines.append(
        "  " + name(s.quantity).padded(14) + style.scientific(s.check.analytic).padded(16)
          + style.scientific(s.check.exact ?? s.check.numeric).padded(16) + verdict(s.check.verdict))
    }
    guard let last = steps.last else { return lines }
    if last.check.verdict != .fail {
      let unjudged = steps.filter { $0.check.verdict == .inconclusive }
      if !unjudged.isEmpty {
        lines.append(
          verdict(.inconclusive) + ": nothing failed, but \(unjudged.count) of \(steps.count) quantities could not be "
            + "judged at this ε (first: \(name(unjudged[0].quantity))); try blame --exact")
        return lines
      }
      lines.append(
        verdict(.pass) + ": every quantity of the backward pass agrees (bptt \(variant.rawValue)); "
          + "no step is to blame")
      return lines
    }
    let passedBefore = steps.dropLast().last { $0.check.verdict == .pass }
    let unjudged = steps.dropLast().filter { $0.check.verdict == .inconclusive }.map { name($0.quantity) }
    let before =
      (passedBefore.map {
        "; \(name($0.quantity)) \(unjudged.isEmpty || steps.dropLast().last?.check.verdict == .pass ? "just " : "")before it is right"
      } ?? "")
      + (unjudged.isEmpty
        ? ""
        : unjudged.count <= 6
          ? " (not judged: \(unjudged.joined(separator: ", ")))"
          : " (\(unjudged.count) not judged, \(unjudged.prefix(3).joined(separator: ", ")) … \(unjudged.suffix(2).joined(separator: ", ")))")
    lines.append(verdictLine(last.check))
    lines.append(
      style.bad("first wrong: \(name(last.quantity))") + before)
    return lines
  }

  func comparisonLines(_ report: ComparisonReport) -> [String] {
    var lines = [
      "  array".padded(11) + "shape".padded(12) + "max |diff|".padded(13) + "max rel diff".padded(14)
        + "at".padded(16) + "verdict"
    ]
    for row in report.rows {
      func shape(_ s: [Int]) -> String { s.isEmpty ? "()" : s.map(String.init).joined(separator: "×") }
      guard row.shape == row.theirShape else {
        lines.append(
          "  " + row.name.padded(9) + shape(row.theirShape).padded(12) + verdict(.fail)
            + "  shape \(shape(row.theirShape)), rnnstep's is \(shape(row.shape))")
        continue
      }
      lines.append(
        "  " + row.name.padded(9) + (row.shape.isEmpty ? "" : shape(row.shape)).padded(12)
          + style.scientific(row.maxAbsolute, digits: 2).padded(13)
          + style.scientific(row.maxRelative, digits: 2).padded(14)
          + (row.maxAbsolute > 0 ? position(row.name, row.shape, row.worstIndex) : "").padded(16)
          + verdict(row.verdict))
    }
    if !report.skipped.isEmpty { lines.append(style.dim("  (not compared: \(report.skipped.joined(separator: " ")))")) }
    // Where rounding widened a tolerance: by how much, so that a PASS or an INCONCLUSIVE says why.
    let amplified = report.rows.filter { row in
      row.shape == row.theirShape && row.sensitivity > 0
        && row.tolerance == ComparisonReport.roundingAmplification * row.sensitivity
    }
    if let chaos = report.chaos {
      lines.append(
        style.dim(
          "  (this pass is chaotic: a one-ulp change of every weight moves the loss by \(e(chaos.moved)), of "
            + "\(style.number(chaos.loss)); two correct implementations need not agree on any of it)"))
    } else if !amplified.isEmpty {
      let moved = amplified.map { "\($0.name) \(e($0.sensitivity))" }.joined(separator: ", ")
      lines.append(
        style.dim(
          "  (this pass amplifies rounding: a one-ulp change of every weight moves \(moved); differences up to "
            + "\(Int(ComparisonReport.roundingAmplification)) times that count as rounding)"))
    }
    let failed = report.rows.count { $0.verdict == .fail }
    let unjudged = report.rows.count { $0.verdict == .inconclusive }
    let bptt =
      "(bptt \(report.variant.rawValue); tolerance \(e(ComparisonReport.relativeTolerance, 1)) of each array's largest element"
      + (amplified.isEmpty ? ")" : ", or the rounding above)")
    if failed > 0 {
      lines.append(
        verdict(.fail)
          + ": \(failed) of \(counted(report.rows.count, "array")) \(failed == 1 ? "differs" : "differ") from rnnstep's \(bptt)"
      )
    } else if unjudged > 0 {
      lines.append(
        verdict(.inconclusive)
          + ": \(unjudged) of \(counted(report.rows.count, "array")) cannot be told apart from rounding in this pass "
          + "(bptt \(report.variant.rawValue)): compare on a tamer one (smaller weights, fewer steps) to judge yours")
    } else {
      lines.append(
        verdict(.pass)
          + ": \(report.rows.count == 1 ? "the array agrees" : "\(report.rows.count) arrays agree") with rnnstep's \(bptt)"
      )
    }
    if let d = report.firstDivergence {
      let stepName = ["dy": "dy", "dh": "dh", "dh_raw": "dh_raw", "dh_next": "dh_next"][d.array] ?? d.array
      lines.append("first divergence in backward order: \(stepName)[\(d.t)][\(d.index)]")
    }
    return lines
  }

  /// An element of an exported array in rnnstep's names: `dh[2][0]` (row r is step r + 1),
  /// `h[2][0]` (hs starts at h0), `dWhh[0,1]`, `dbh[1]`.
  func position(_ array: String, _ shape: [Int], _ index: Int) -> String {
    guard shape.count == 2 else { return shape.isEmpty ? "" : "[\(index)]" }
    let (row, column) = (index / shape[1], index % shape[1])
    switch array {
    case "hs": return "h[\(row)][\(column)]"
    case "xs", "ys", "ps": return "\(array.dropLast())[\(row + 1)][\(column)]"
    case "dy", "dh", "dh_raw", "dh_next": return "\(array)[\(row + 1)][\(column)]"
    default: return shape[1] == 1 ? "\(array)[\(row)]" : "\(array)[\(row),\(column)]"
    }
  }
}
