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
        guard args.raw.hasSuffix(".npz") else { throw args.usageError() }
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
        for each the largest absolute and relative difference and where, with PASS or FAIL \
        (relative difference ≤ 1e-6 or absolute ≤ 1e-8, as gradcheck). A FAIL makes a script \
        exit non-zero.
        """,
      examples: ["compare mine.npz"], completion: .file,
      run: { i, args in
        guard args.raw.hasSuffix(".npz") else { throw args.usageError() }
        let (trace, _) = try i.requireTrace()
        let theirs = try NPZ.read(path: i.expandPath(args.raw))
        try i.compare(theirs, with: i.exportArrays(trace), file: args.raw)
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

  func compare(_ theirs: [String: NumPyArray], with ours: [(String, NumPyArray)], file: String) throws {
    let known = ours.filter { theirs[$0.0] != nil }
    guard !known.isEmpty else {
      throw CommandError(
        "\(file) has none of the arrays compare knows (\(ours.map(\.0).joined(separator: " "))); it has \(theirs.keys.sorted().joined(separator: " "))"
      )
    }
    var rows: [ComparisonReport.Row] = []
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
            passed: false))
        continue
      }
      var worstAbs = 0.0
      var worstRel = 0.0
      var worstIndex = 0
      var passed = true
      for (k, (a, b)) in zip(mine.values, their.values).enumerated() {
        let d = abs(a - b)
        let r = relativeError(a, b)
        // The same verdict as gradcheck's.
        if !session.check.passes(analytic: a, numeric: b) { passed = false }
        if d > worstAbs || d.isNaN {
          worstAbs = d
          worstIndex = k
        }
        worstRel = max(worstRel, d <= session.check.absoluteTolerance ? 0 : r)
      }
      rows.append(
        .init(
          name: name, shape: mine.shape, theirShape: their.shape, maxAbsolute: worstAbs, maxRelative: worstRel,
          worstIndex: worstIndex, passed: passed))
    }
    let skipped = theirs.keys.filter { key in !ours.contains { $0.0 == key } }.sorted()
    emit(.comparison(ComparisonReport(rows: rows, skipped: skipped, variant: session.variant)))
  }
}
