import Foundation
import Interop
import RNNCore
import Stepper

extension CommandTable {
  static let numpyCommands: [CommandSpec] = [
    CommandSpec(
      name: "export", aliases: [], group: .model, usage: "export FILE.npz",
      summary: "write the gradients, the loss and the whole trace as NumPy arrays",
      details: """
        Arrays: dWxh dWhh dWhy dbh dby (min-char-rnn's shapes), loss (a 0-d array), and the \
        trace one row per step: xs (T×Vin), hs ((T+1)×H, starting with h0), ys, ps (softmax \
        only), dy (T×V), dh, dh_raw, dh_next (T×H). np.load reads it.
        """,
      examples: ["export run.npz"], completion: .file,
      run: { i, args in
        guard args.raw.lowercased().hasSuffix(".npz") else { throw args.usageError() }
        let (trace, _) = try i.requireTrace()
        let arrays = i.exportArrays(trace)
        try NPZ.write(arrays.map { (name: $0.0, array: $0.1) }, to: i.expandPath(args.raw))
        i.emit(.fileWritten(path: args.raw, contents: .arrays(arrays.map(\.0))))
      }),
    CommandSpec(
      name: "compare", aliases: [], group: .checking, usage: "compare FILE.npz",
      summary: "compare your own NumPy gradients (and trace arrays) with rnnstep's",
      details: """
        Reads the arrays of FILE.npz named like export's (dWxh dWhh dWhy dbh dby, loss, xs hs ys \
        ps dy dh dh_raw dh_next; biases may be (n,) or (n, 1); hs may leave out h0) and reports \
        for each the largest absolute and relative difference and where, in rnnstep's names \
        (dh[2][0], dWhh[0,1]). Two analytic results differ only by rounding, so an array agrees \
        when every difference is at most 1e-10 of its largest element; where the pass amplifies \
        rounding (exploding gradients), up to 1000 times what a one-ulp change of every weight \
        moves it by, and an array rounding may move by over 1e-3 of its size is INCONCLUSIVE, as \
        is every array that differs where that change moves even the loss by over 1e-8 of itself \
        (a chaotic pass). \
        The first divergence in \
        backward order (dy, dh, dh_raw, dh_next from t = T down) names where your BPTT first \
        goes wrong. A FAIL makes a script exit non-zero.
        """,
      examples: ["compare mine.npz"], completion: .file,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        guard args.raw.lowercased().hasSuffix(".npz") else {
          throw CommandError(
            "compare reads arrays from a .npz file (np.savez(\"mine.npz\", dWhh=…)), not '\(args.raw)'")
        }
        let (trace, _) = try i.requireTrace()
        let theirs = try NPZ.read(path: i.expandPath(args.raw))
        try i.compare(theirs, with: i.exportArrays(trace), trace: trace, file: args.raw)
      }),
  ]
}

extension Interpreter {
  /// The arrays `export` writes and `compare` reads, in order.
  func exportArrays(_ trace: Trace) -> [(String, NumPyArray)] {
    let g = trace.gradients
    var arrays: [(String, NumPyArray)] = Parameter.allCases.map { ($0.gradientName, NumPyModelFormat.array(g[$0])) }
    arrays.append(("loss", NumPyArray(shape: [], values: [trace.loss])))
    arrays.append(("xs", NumPyModelFormat.array(trace.xs)))
    arrays.append(("hs", NumPyModelFormat.array(trace.hs)))
    arrays.append(("ys", NumPyModelFormat.array(trace.ys)))
    if let ps = trace.ps { arrays.append(("ps", NumPyModelFormat.array(ps))) }
    arrays.append(("dy", NumPyModelFormat.array(trace.dy)))
    arrays.append(("dh", NumPyModelFormat.array(trace.dh)))
    arrays.append(("dh_raw", NumPyModelFormat.array(trace.dhRaw)))
    arrays.append(("dh_next", NumPyModelFormat.array(trace.dhNext)))
    return arrays
  }

  /// How far each of `ours` (the arrays of `trace`) moves when every weight and h0 moves by one
  /// ulp, up or down by a seeded draw: what rounding alone can do to it in this pass. Zeros stay
  /// (rounding never makes an exact 0 anything else).
  func roundingSensitivity(of trace: Trace, _ ours: [(String, NumPyArray)]) -> [String: Double] {
    let saved = session.model
    defer { session.model = saved }
    var rng = SeededGenerator(seed: 1)
    func jitter(_ x: Double) -> Double { x == 0 ? x : rng.next() & 1 == 0 ? x.nextUp : x.nextDown }
    var model = saved
    for p in Parameter.allCases { model.parameters[p] = model.parameters[p].map(jitter) }
    try? model.setH0(model.h0.map(jitter))
    session.model = model
    guard let moved = try? exportArrays(recordPass(trace.data)) else { return [:] }
    var sensitivity: [String: Double] = [:]
    for ((name, a), (_, b)) in zip(ours, moved) {
      sensitivity[name] = zip(a.values, b.values).reduce(0) { max($0, difference($1.0, $1.1)) }
    }
    return sensitivity
  }

  func compare(_ theirs: [String: NumPyArray], with ours: [(String, NumPyArray)], trace: Trace, file: String) throws {
    let known = ours.filter { theirs[$0.0] != nil }
    guard !known.isEmpty else {
      throw CommandError(
        "\(file) has none of the arrays compare knows (\(ours.map(\.0).joined(separator: " "))); it has \(theirs.keys.sorted().joined(separator: " "))"
      )
    }
    var rows: [ComparisonReport.Row] = []
    var matched: [String: [Double]] = [:]
    let sensitivity = roundingSensitivity(of: trace, ours)
    // A chaotic pass: its float64 values depend on every rounding; nothing can be told apart.
    let lossMoved = sensitivity["loss"] ?? 0
    let chaotic = !(lossMoved <= ComparisonReport.chaotic * abs(trace.loss))
    for (name, mine) in known {
      var their = theirs[name]!
      // Biases as (n,), hs without h0: the same numbers in another shape.
      if their.values.count == mine.values.count && their.shape != mine.shape
        && (mine.shape.last == 1 || their.shape.count == 1)
      {
        their.shape = mine.shape
      }
      if name == "hs", their.shape.count == 2, mine.shape.count == 2, their.shape[0] == mine.shape[0] - 1,
        their.shape[1] == mine.shape[1]
      {
        their = NumPyArray(shape: mine.shape, values: Array(mine.values.prefix(mine.shape[1])) + their.values)
      }
      guard their.shape == mine.shape else {
        rows.append(
          .init(
            name: name, shape: mine.shape, theirShape: their.shape, maxAbsolute: .nan, maxRelative: .nan, worstIndex: 0,
            tolerance: 0, sensitivity: 0, verdict: .fail))
        continue
      }
      // Two analytic results differ by rounding only: near u times the array's own scale, or,
      // where the pass amplifies rounding, up to many times what a one-ulp change moves it by.
      let scale = mine.values.reduce(0) { max($0, abs($1)) }
      let moved = sensitivity[name] ?? 0
      let tolerance = max(
        ComparisonReport.relativeTolerance * scale, ComparisonReport.roundingAmplification * moved)
      var worstAbs = 0.0
      var worstRel = 0.0
      var worstIndex = 0
      var passed = true
      for (k, (a, b)) in zip(mine.values, their.values).enumerated() {
        let d = difference(a, b)
        if !(d <= tolerance) { passed = false }
        if d > worstAbs || d.isNaN {
          worstAbs = d
          worstIndex = k
        }
        if d.isNaN {
          worstRel = .nan
        } else if d > 0 && !worstRel.isNaN {
          worstRel = max(worstRel, d / max(abs(a), abs(b)))
        }
      }
      matched[name] = their.values
      // Agreement within a tolerance that rounding has widened past the resolution says nothing.
      let verdict: Verdict =
        !passed
        ? (chaotic ? .inconclusive : .fail)
        : worstAbs > ComparisonReport.relativeTolerance * scale
          && (chaotic || tolerance > ComparisonReport.resolution * scale) ? .inconclusive : .pass
      rows.append(
        .init(
          name: name, shape: mine.shape, theirShape: their.shape, maxAbsolute: worstAbs, maxRelative: worstRel,
          worstIndex: worstIndex, tolerance: tolerance, sensitivity: moved, verdict: verdict))
    }
    // The first divergence in the order BPTT computes: step T's dy, dh, dh_raw, dh_next, then T−1's.
    var first: ComparisonReport.Divergence?
    let perStep = ["dy", "dh", "dh_raw", "dh_next"].compactMap { name in
      rows.first { $0.name == name && $0.shape == $0.theirShape }.map { row in (row, matched[name]!) }
    }
    if let steps = perStep.first?.0.shape.first {
      search: for t in stride(from: steps, through: 1, by: -1) {
        for (row, theirs) in perStep {
          let width = row.shape[1]
          let ours = known.first { $0.0 == row.name }!.1.values
          for i in 0..<width
          where !(difference(ours[(t - 1) * width + i], theirs[(t - 1) * width + i]) <= row.tolerance) {
            first = .init(array: row.name, t: t, index: i)
            break search
          }
        }
      }
    }
    let skipped = theirs.keys.filter { key in !ours.contains { $0.0 == key } }.sorted()
    var report = ComparisonReport(rows: rows, skipped: skipped, variant: session.variant, firstDivergence: first)
    if chaotic { report.chaos = (lossMoved, trace.loss) }
    emit(.comparison(report))
    // min-char-rnn's lossFun clips its gradients to ±5 before returning them: a failed gradient
    // whose file values stop at a bound that rnnstep's go beyond is most likely that.
    let clipped = rows.filter { row in
      guard row.verdict == .fail, Parameter.allCases.contains(where: { $0.gradientName == row.name }),
        let their = matched[row.name], let mine = known.first(where: { $0.0 == row.name })?.1.values
      else { return false }
      // Where rnnstep's go beyond the file's largest magnitude, the file's is that bound, with
      // rnnstep's sign: np.clip's mark.
      let bound = their.reduce(0) { max($0, abs($1)) }
      let beyond = mine.indices.filter { abs(mine[$0]) > bound }
      return bound > 0 && !beyond.isEmpty
        && beyond.allSatisfy { their[$0] == (mine[$0] < 0 ? -bound : bound) }
    }
    if !clipped.isEmpty {
      let names = clipped.map(\.name).joined(separator: ", ")
      say(
        "(\(file)'s \(names) stop at a bound that rnnstep's go beyond: clipped, as min-char-rnn's lossFun clips "
          + "its gradients with np.clip before returning them? compare the gradients from before the clipping)")
    }
  }
}

/// |a − b|, except that two NaNs, or two equal infinities, are the same value: 0.
private func difference(_ a: Double, _ b: Double) -> Double {
  if a.isNaN && b.isNaN || a == b { return 0 }
  return abs(a - b)
}
