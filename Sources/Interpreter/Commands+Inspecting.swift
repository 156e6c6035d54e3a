import Foundation
import RNNCore
import Stepper

extension CommandTable {
  static let inspectingCommands: [CommandSpec] = [
    CommandSpec(
      name: "print", aliases: [], group: .inspecting, usage: "print EXPRESSION",
      summary: "evaluate an expression over the recorded pass",
      details: """
        Names: x a h y p loss dy dh dh_raw dh_next (one value per time step: h[3] is step 3, h \
        alone the cursor's step, h[-1] the last; h[0] and h0 are the initial state; loss alone is \
        the total; dh_next alone is the one BPTT holds at the cursor: the one the step above \
        passed down, until this step computes its own for the step below), Wxh Whh Why bh by \
        (the parameters; h0 is min-char-rnn's hprev), dWxh \
        dWhh dWhy dbh dby (each gradient's running total at the cursor, as BPTT holds it), \
        dWxh_t … dby_t (what one step adds: dWhh_t[3]), hs (every h as a table, one row per step, \
        row 0 being h0), t (the cursor's step) and T (the number of steps). Elements: Whh[0,1], \
        h[3][1], h[3][-1] (from the end); slices as NumPy's: h[1][0:2], Whh[0:2, 1], Wxh[:, 0]. \
        Operators: + - * / elementwise (a number combines with every element), ** or ^ the \
        elementwise power, @ the matrix product, .T the transpose, comparisons < <= > >= == != \
        giving 1 or 0. Functions: norm sum max min mean shape tanh exp log abs sqrt softmax \
        (tanh, exp, log and softmax are the engine's own, so print recomputes what the pass \
        computed exactly), clip(x, c), and for gradients through time dL_dh(t, k) (∂L_t/∂h_k), \
        jacobian(t, k) (∂h_t/∂h_k) and svd(M) (its singular values). A value the cursor has not \
        reached yet is an error that says where it will be computed. A vector of more than 16 \
        numbers, or a matrix of more than 12 rows or columns, prints as its shape, min, max, mean \
        and norm: slice it to see its numbers (p[4][0:16], Whh[0:12, 0:12]), or export it.
        """,
      examples: [
        "print h[1]", "print Whh[0,1]", "print (1 - h[3]*h[3]) * dh[3] - dh_raw[3]", "print dWhh_t[2] + dWhh_t[1]",
      ],
      completion: .expression,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        i.emit(.value(expression: args.raw, value: try i.evaluate(args.raw)))
        // A gradient read before the backward pass has added to it is BPTT's running total: zeros.
        if let gradient = i.gradientNotYetSummed(in: args.raw) {
          i.emit(
            .note(
              "\(gradient) is the running total BPTT holds at the cursor: nothing is added to it before the backward "
                + "pass (last shows the whole gradient)"))
        }
      }),
    CommandSpec(
      name: "explain", aliases: [], group: .inspecting, usage: "explain ELEMENT",
      summary: "show how one number was computed, with the values substituted",
      details: """
        ELEMENT is one element of a quantity or a gradient: a[1][0], h[1][0], y[2][1], p[2][1], \
        loss[3], dy[2][0], dh[2][1], dh_raw[2][1], dh_next[2][0], or dWxh[0,1], dWhh[0,1], \
        dWhy[1,2], dbh[0], dby[1] (a gradient as its sum of per-step contributions).
        """,
      examples: ["explain h[1][0]", "explain dWhh[0,1]"], completion: .expression,
      run: { i, args in try i.explain(args) }),
    CommandSpec(
      name: "info", aliases: ["i"], group: .inspecting, usage: "info model|data|step|breakpoints|watches|display",
      summary: "describe the model, the data, the cursor, the breakpoints or the displays",
      details: """
        info model: sizes, parameters, loss, BPTT variant, training and check settings. info \
        data: inputs and targets step by step. info step (or info cursor): where the cursor is and the equation \
        there. info breakpoints (or info watches): breakpoints and watches. info display: the \
        displays.
        """,
      examples: ["info model", "info step"],
      completion: .words(["model", "data", "step", "breakpoints", "watches", "display"]),
      run: { i, args in
        guard args.words.count <= 1 else { throw args.usageError() }
        switch args.words.first ?? "model" {
        case "model": i.infoModel()
        case "data": try i.infoData()
        case "step", "cursor":
          _ = try i.requireTrace()
          i.say(
            "at \(i.cursorDescription) of a pass over \(i.trace!.steps) steps (bptt \(i.session.variant.rawValue), loss \(i.session.loss.rawValue))"
          )
          i.showStop()
        case "breakpoints", "watches": i.infoBreakpoints()
        case "display", "displays":
          if i.session.displays.isEmpty { i.say("no displays (display EXPRESSION adds one)") }
          i.showDisplays()
        default: throw args.usageError()
        }
      }),
    CommandSpec(
      name: "set", aliases: [], group: .inspecting,
      usage: "set precision N | set eps X | set tol X | set exact on|off | set predict on|off | set ELEMENT VALUE",
      summary: "printed digits, check settings, or one parameter element (set Whh[0,1] 0.5)",
      details: """
        set precision N prints N significant digits (1–17). set eps and set tol change the \
        gradient check's ε (default 1e-5) and the relative tolerance that widens its error bar \
        (1e-6); set exact on makes every check also compute the exact derivative and judge by \
        it. set predict on makes each step ask you to predict the value it computes (its sign, its \
        largest element, or the number) before showing it, and say how close you came. set \
        Whh[0,1] 0.5 (or bh[2], h0[1]) changes one number of the model; the pass is recorded \
        again.
        """,
      examples: ["set precision 6", "set Whh[0,1] 0.5", "set eps 1e-6"],
      completion: .wordsAndNames(["precision", "eps", "tol", "exact", "predict"]),
      run: { i, args in try i.set(args) }),
  ]
}

extension Interpreter {
  func infoModel() {
    let p = session.model.parameters
    say(
      "vanilla RNN: input size \(session.model.inputSize), hidden size H = \(session.model.hiddenSize), output size \(session.model.outputSize); "
        + "loss \(session.loss.rawValue); bptt \(session.variant.rawValue)")
    if let vocabulary = session.vocabulary {
      say(
        "vocabulary (\(vocabulary.count)): " + vocabulary.indices.map { "\($0)=\(symbol($0))" }.joined(separator: " "))
    }
    // The shape once: a summary starts with it, and the column already shows it.
    func row(_ name: String, _ m: Matrix) {
      let value = style.inline(m)
      let shown =
        value.hasPrefix(m.shapeDescription + " ") ? String(value.dropFirst(m.shapeDescription.count + 1)) : value
      say("  \(name.padded(4)) \(m.shapeDescription.padded(8)) " + shown)
    }
    for parameter in Parameter.allCases { row(parameter.name, p[parameter]) }
    row("h0", Matrix(column: session.model.h0))
    say("  \(p.elementCount) parameters")
    let t = session.training
    let clip =
      switch t.clipping {
      case .off: "off"
      case .value(let c): "each element to ±\(style.number(c))"
      case .norm(let c): "global norm to \(style.number(c))"
      }
    say(
      "train: optimizer \(t.optimizer.rawValue), learning rate \(style.number(t.learningRate)), clip \(clip), "
        + "seqlen \(t.sequenceLength)")
    let c = session.check
    say(
      "gradcheck: ε \(style.number(c.epsilon)), tolerance \(style.number(c.relativeTolerance)), "
        + "exact \(c.exact ? "on" : "off")")
  }

  func infoData() throws {
    guard let inputs = session.inputs else {
      throw CommandError("there is no data: give inputs and targets, or text (e.g. text hello)")
    }
    let steps: Int
    switch inputs {
    case .indices(let i): steps = i.count
    case .vectors(let m): steps = m.rows
    }
    say(
      "\(steps) input steps; loss \(session.loss.rawValue)"
        + (session.data == nil ? style.bad("  (targets missing or of another length)") : ""))
    for r in 0..<steps {
      var line = "  t=\(r + 1)  x: "
      switch inputs {
      case .indices(let i): line += "\(symbol(i[r])) (\(i[r]))"
      case .vectors(let m): line += style.inline(Matrix(rows: 1, cols: m.cols, m.row(r)))
      }
      if let targets = session.targets {
        switch targets {
        case .indices(let i) where r < i.count:
          line += "  target: \(session.vocabulary == nil ? "" : symbol(i[r]) + " ")(\(i[r]))"
        case .vectors(let m) where r < m.rows:
          line += "  target: " + style.inline(Matrix(rows: 1, cols: m.cols, m.row(r)))
        default: break
        }
      }
      say(line)
    }
  }

  func infoBreakpoints() {
    if session.breakpoints.all.isEmpty && session.watches.isEmpty {
      say("no breakpoints or watches")
      return
    }
    say("Num  Type        On   Hits  Where")
    var rows: [(Int, String)] = session.breakpoints.all.map { b in
      let kind = b.temporary ? "tbreak" : "breakpoint"
      let at = (b.place.text.isEmpty ? "end of every step" : b.place.text) + (b.condition.map { " if \($0)" } ?? "")
      return (
        b.number,
        "\(String(b.number).padded(4)) \(kind.padded(11)) \((b.enabled ? "y" : "n").padded(4)) \(String(b.hits).padded(5)) \(at)"
      )
    }
    rows += session.watches.map { w in
      (w.number, "\(String(w.number).padded(4)) \("watch".padded(11)) \("y".padded(4)) \("".padded(5)) \(w.text)")
    }
    for (_, line) in rows.sorted(by: { $0.0 < $1.0 }) { say(line) }
  }

  func set(_ args: Arguments) throws {
    let words = args.words
    guard words.count == 2 else { throw args.usageError() }
    func positive(_ text: String) throws -> Double {
      guard let x = Double(text), x.isFinite, x > 0 else { throw CommandError("'\(text)' is not a positive number") }
      return x
    }
    switch words[0] {
    case "precision":
      guard let n = Int(words[1]), (1...17).contains(n) else {
        throw CommandError("precision must be a whole number from 1 to 17")
      }
      style.precision = n
      say("numbers now print with \(n) significant digits")
    case "eps":
      let e = try positive(words[1])
      guard e >= 1e-15 && e <= 1 else { throw CommandError("ε must be from 1e-15 to 1, not \(words[1])") }
      session.check.epsilon = e
      say("gradient checks now use ε = \(words[1])")
    case "tol":
      let t = try positive(words[1])
      guard t < 1 else { throw CommandError("the tolerance must be below 1 (a relative error is at most 1)") }
      session.check.relativeTolerance = t
      say("gradient checks now also pass at relative error ≤ \(words[1]) (beside the error bar)")
    case "predict":
      guard ["on", "off"].contains(words[1]) else { throw CommandError("set predict on|off") }
      session.predict = words[1] == "on"
      say(
        session.predict
          ? "predict on: each step asks you to predict its value (a sign, the largest element, a number) before it shows it"
          : "predict off")
    case "exact":
      guard ["on", "off"].contains(words[1]) else { throw CommandError("set exact on|off") }
      session.check.exact = words[1] == "on"
      say(
        session.check.exact
          ? "gradient checks now also compute exact derivatives (forward mode) and judge by them"
          : "gradient checks now judge by finite differences alone")
    default:
      try setElement(words[0], words[1])
    }
  }

  /// set Whh[0,1] 0.5, set bh[2] 0.1, set h0[1] 0.3.
  func setElement(_ target: String, _ valueText: String) throws {
    guard let value = Double(valueText), value.isFinite else {
      throw CommandError("'\(valueText)' is not a finite number")
    }
    let expression = try ExpressionParser.parse(target)
    guard case .index(.name(let name, _), let indexExpressions, _) = expression else {
      throw CommandError("set needs one element, like Whh[0,1] or bh[2] (or precision, eps, tol, exact, predict)")
    }
    let indices = try indexExpressions.map { e -> Int in
      guard case .number(let x) = e, x == x.rounded(), x >= 0, x < 1e9 else {
        throw CommandError("indices must be whole numbers ≥ 0")
      }
      return Int(x)
    }
    if name == "h0" {
      guard indices.count == 1, indices[0] < session.model.hiddenSize else {
        throw CommandError("h0 has elements 0 to \(session.model.hiddenSize - 1)")
      }
      var h0 = session.model.h0
      let old = h0[indices[0]]
      h0[indices[0]] = value
      try session.model.setH0(h0)
      say("h0[\(indices[0])]: \(style.number(old)) → \(style.number(value))")
      announcePass(" after set")
      return
    }
    guard let parameter = Parameter.allCases.first(where: { $0.name == name }) else {
      throw CommandError(
        "'\(name)' is not a parameter: set one of \(ExpressionNames.parameters.joined(separator: " ")) or h0")
    }
    var m = session.model.parameters[parameter]
    let (i, j) = indices.count == 2 ? (indices[0], indices[1]) : (indices[0], 0)
    guard indices.count == 2 || m.cols == 1 else {
      throw CommandError("\(name) is \(m.shapeDescription): give a row and a column, as \(name)[\(i),0]")
    }
    guard i < m.rows && j < m.cols else {
      throw CommandError("\(target) is outside \(name), which is \(m.shapeDescription)")
    }
    let old = m[i, j]
    m[i, j] = value
    session.model.parameters[parameter] = m
    say("\(target): \(style.number(old)) → \(style.number(value))")
    announcePass(" after set")
  }
}

extension Interpreter {
  /// The first whole gradient (dWxh … dby, not a step's dWhh_t) named in `text` while the cursor
  /// is still in the forward pass, where BPTT's running totals are all zero.
  func gradientNotYetSummed(in text: String) -> String? {
    guard let cursor, cursor.position.map({ $0.phase == .forward }) ?? true else { return nil }
    let range = NSRange(text.startIndex..., in: text)
    return Interpreter.wholeGradient.firstMatch(in: text, range: range).map {
      (text as NSString).substring(with: $0.range)
    }
  }

  /// A whole gradient's name, not a step's part of it (dWhh, not dWhh_t).
  private static let wholeGradient = try! NSRegularExpression(pattern: "\\b(dWxh|dWhh|dWhy|dbh|dby)\\b(?!_t)")
}
