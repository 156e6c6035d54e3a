import Foundation
import RNNCore
import Stepper

extension CommandTable {
  static let checkingCommands: [CommandSpec] = [
    CommandSpec(
      name: "gradcheck", aliases: ["gc"], group: .checking,
      usage:
        "gradcheck [PARAM | ELEMENT | dWhh_t[t] | sample K [seed S] | direction [seed S] | dy|dh|dh_raw|dh_next [t] | sweep ELEMENT] [--eps X] [--tol X] [--exact] [--all] [--heatmap]",
      summary: "compare BPTT's gradients with centered finite differences, each with its error bar",
      details: """
        Without arguments, every element of every parameter (on all cores; Ctrl-C stops it). \
        gradcheck Whh checks every element of Whh (--all lists them, --heatmap draws analytic − \
        numeric); gradcheck Whh[0,1] one element in detail; gradcheck dWhh_t[3] what step 3 adds, \
        by changing only the copy of Whh that step 3 uses; sample K checks K seeded elements of \
        each parameter whose analytic derivative is not 0 (min-char-rnn's gradCheck); direction \
        checks ∇L·v along a seeded unit vector v; dy, dh, dh_raw and dh_next check that quantity \
        of step t (the cursor's step by default, or dh_raw[3]) by perturbing the forward pass \
        from inside; sweep ELEMENT checks one element at ε = 1e-1 … 1e-10. The numeric \
        derivative is Σ_t (L_t(θ+ε) − L_t(θ−ε)) / 2ε with ε = 1e-5 (--eps, from 1e-15 to 1). Its \
        error bar is 2 × (rounding + truncation): rounding is 2u × (Σ_t (|L_t| + max|y_t|) on \
        both sides + 2 Σ |dh| and |a·dh_raw| of the correct backward) / 2ε, truncation is measured \
        at 2ε and ε/2 when the first difference is beyond the rounding. PASS: |a−n| within the \
        bar (or relative error within the tolerance 1e-6, --tol); FAIL: beyond both; \
        INCONCLUSIVE: the bar is over 1e-4 of the values, or the loss is too bent over ±ε, or θ±ε \
        rounds back to θ (try --exact). --exact also computes the exact derivative forward in time (dual \
        numbers: no ε, no cancellation) and judges by it. A whole parameter also compares the \
        norm of a − n with its bar, which catches an error spread thinly. A FAIL makes a script \
        exit non-zero.
        """,
      examples: [
        "gradcheck", "gradcheck Whh[0,1]", "gradcheck dWhh_t[3]", "gradcheck sample 5 seed 1", "gradcheck dh_raw[2]",
        "gradcheck sweep Wxh[0,0]", "gradcheck bh --exact",
      ],
      completion: .wordsAndNames(
        ["sample", "direction", "sweep", "seed", "--eps", "--tol", "--exact", "--all", "--heatmap"]),
      run: { i, args in try i.gradcheck(args) }),
    CommandSpec(
      name: "bptt", aliases: [], group: .checking,
      usage: "bptt correct|seed|show|mystery [SEED]|guess NAME|reveal",
      summary: "choose the backward pass: correct, the seed tutorial's, a hidden mistake; show its equations",
      details: """
        bptt correct is min-char-rnn's backward, and it also drops equations you replaced with \
        let. bptt seed reproduces the seed tutorial's backward, mistakes and all; gradcheck and \
        blame find them (docs/seed-bptt.md explains each, once you have). bptt show lists the \
        equations in force, marking yours and the tutorial's. bptt mystery [SEED] installs one of \
        ten realistic mistakes, chosen by SEED (any ten seeds in a row give the ten; without \
        SEED, the seed after the last one), without saying which: find it with gradcheck, blame \
        and print, then bptt guess NAME with the name of the wrong equation (dh_raw, dWhh…; \
        guesses are counted); bptt reveal tells. bptt alone says which backward is in force. \
        Each choice records the pass again.
        """,
      examples: ["bptt seed", "bptt show", "bptt mystery 3", "bptt guess dh_raw", "bptt correct"],
      completion: .words(["correct", "seed", "show", "mystery", "guess", "reveal"] + BackwardEquations.names),
      run: { i, args in try i.bptt(args) }),
    CommandSpec(
      name: "let", aliases: [], group: .checking, usage: "let NAME = EXPRESSION",
      summary:
        "write one equation of the backward pass yourself; stepping, checks and update then use yours (train refuses)",
      details: """
        NAME is one of dy dWhy dby dh dh_raw dbh dWxh dWhh dh_next; EXPRESSION computes it at step \
        t from the recorded forward pass (x a h y p, alone for step t's, h[t-1] for another), \
        target (step t's target, one-hot for a class), this step's dy dh dh_raw once computed, \
        and dh_next, alone the one step t+1 passed down (zeros at t = T). For a gradient, write \
        what step t adds: let dWhh = dh_raw @ h[t-1].T (or +=, as bptt show writes it). The pass is recorded again with your \
        equation, and stepping, print, gradcheck, blame, export and compare all use it; an \
        equation that does not evaluate at some step is refused with the step. bptt show lists \
        the equations; bptt correct restores them all.
        """,
      examples: ["let dh_raw = (1 - h*h) * dh", "let dy = p - target", "bptt show"],
      completion: .wordsAndNames(BackwardEquations.names + ["="]),
      run: { i, args in try i.letEquation(args) }),
    CommandSpec(
      name: "blame", aliases: [], group: .checking, usage: "blame [seed S] [--exact]",
      summary: "find the first wrong quantity of the backward pass, in the order BPTT computes",
      details: """
        Checks each quantity of the backward pass in BPTT's order, from t = T down: dy, dWhy_t, \
        dby_t, dh, dh_raw, dbh_t, dWxh_t, dWhh_t, dh_next, then the step below; each along a \
        seeded unit direction u, by perturbing the forward pass where the quantity acts (for a \
        step's contribution, that step's copy of the parameter). It stops at the first FAIL and \
        names it, the equation that computes it, and what was right just before it. --exact \
        judges by exact derivatives instead of finite differences.
        """,
      examples: ["bptt seed", "blame"], completion: .words(["seed", "--exact"]),
      run: { i, args in
        var words = args.words
        var settings = i.session.check
        if let k = words.firstIndex(of: "--exact") {
          settings.exact = true
          words.remove(at: k)
        }
        var seed: UInt64 = 1
        if !words.isEmpty {
          guard words.count == 2, words[0] == "seed" else { throw args.usageError() }
          let s = try Arguments.seed(words[1])
          seed = s
        }
        let (trace, _) = try i.requireTrace()
        i.cancellation.reset()
        let checker = GradientChecker(trace: trace, settings: settings)
        let steps = try checker.blame(seed: seed, cancellation: i.cancellation)
        i.emit(
          .check(
            CheckReport(
              kind: .blame(steps.map { BlameStep(quantity: $0.0, check: $0.1) }, variant: i.session.variant),
              settings: settings, variant: i.session.variant)))
      }),
    CommandSpec(
      name: "update", aliases: [], group: .checking, usage: "update [LR] [clip C]",
      summary: "one gradient-descent step with the recorded gradients: θ ← θ − LR·dθ",
      details: """
        Moves every parameter against its gradient (SGD, learning rate LR, default 0.1), \
        optionally after clipping each gradient element to [−C, C] as min-char-rnn does with 5, \
        and records the pass again: the loss should fall. The gradients a check compares are \
        never clipped.
        """,
      examples: ["update", "update 0.5", "update 0.1 clip 5"], completion: .words(["clip"]),
      run: { i, args in
        let (trace, _) = try i.requireTrace()
        let words = args.words
        var rate = 0.1
        var clipping = Clipping.off
        var rest = words[...]
        if let first = rest.first, first != "clip" {
          guard let r = Double(first), r > 0, r.isFinite else {
            throw CommandError("'\(first)' is not a learning rate > 0")
          }
          rate = r
          rest = rest.dropFirst()
        }
        if !rest.isEmpty {
          guard rest.first == "clip" else {
            throw CommandError("update takes a learning rate, then clip C: '\(rest.first!)' is neither")
          }
          guard rest.count == 2 else {
            throw CommandError(
              rest.count < 2
                ? "clip needs C, the bound on each gradient element, as in update 0.1 clip 5"
                : "update takes nothing after clip C, not '\(rest.dropFirst(2).joined(separator: " "))'")
          }
          guard let c = Double(rest.last!), c > 0, c.isFinite else {
            throw CommandError("clip needs a positive number, not '\(rest.last!)'")
          }
          clipping = .value(c)
        }
        let before = trace.loss
        var optimizer = Optimizer.sgd(learningRate: rate)
        var parameters = i.session.model.parameters
        optimizer.update(&parameters, with: clipping.apply(to: trace.gradients))
        guard parameters.isFinite else {
          throw CommandError(
            "the step made a parameter NaN or infinite (lower the learning rate or clip); the model is as it was")
        }
        i.session.model.parameters = parameters
        let after = try i.requireTrace().0.loss
        i.say(
          "SGD step, learning rate \(i.style.number(rate))\(clipping == .off ? "" : ", gradients clipped to ±\(rest.last!)"): "
            + "loss \(i.style.number(before)) → \(i.style.number(after))")
      }),
  ]
}

extension Interpreter {
  func gradcheck(_ args: Arguments) throws {
    // A long check: what the commands before it on the line printed shows first.
    showEarlierLines()
    let (trace, cursor) = try requireTrace()
    var settings = session.check
    var words = args.words
    func flag(_ name: String) -> Bool {
      guard let k = words.firstIndex(of: name) else { return false }
      words.remove(at: k)
      return true
    }
    func value(_ name: String) throws -> Double? {
      guard let k = words.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) else { return nil }
      let text: String
      if words[k] == name {
        guard k + 1 < words.count else { throw CommandError("\(name) needs a value") }
        text = words[k + 1]
        words.removeSubrange(k...(k + 1))
      } else {
        text = String(words[k].dropFirst(name.count + 1))
        words.remove(at: k)
      }
      guard let x = Double(text), x > 0, x.isFinite else {
        throw CommandError("\(name) needs a positive number, not '\(text)'")
      }
      guard !words.contains(where: { $0 == name || $0.hasPrefix(name + "=") }) else {
        throw CommandError("\(name) is given twice")
      }
      return x
    }
    if let e = try value("--eps") {
      guard e >= 1e-15 && e <= 1 else { throw CommandError("--eps must be from 1e-15 to 1, not \(style.number(e))") }
      settings.epsilon = e
    }
    if let t = try value("--tol") {
      guard t < 1 else {
        throw CommandError("--tol must be below 1 (a relative error is at most 1), not \(style.number(t))")
      }
      settings.relativeTolerance = t
    }
    if flag("--exact") { settings.exact = true }
    let listAll = flag("--all")
    let heatmap = flag("--heatmap")
    if let unknown = words.first(where: { $0.hasPrefix("--") }) {
      throw args.usageError("'\(unknown)' is not an option of gradcheck")
    }
    let checker = GradientChecker(trace: trace, settings: settings)
    cancellation.reset()
    func seed(after index: Int) throws -> UInt64 {
      guard words.count > index else { return 1 }
      guard words[index] == "seed", words.count == index + 2 else {
        throw CommandError("expected 'seed S' after \(words[index - 1])")
      }
      return try Arguments.seed(words[index + 1])
    }
    let first = words.first ?? ""
    switch first {
    case "":
      emitCheck(.parameters(try checker.checkAll(cancellation: cancellation), title: nil, listAll: listAll), settings)
    case "sample":
      guard words.count >= 2 else { throw CommandError("gradcheck sample K needs K, the elements per parameter") }
      guard let k = Int(words[1]), k >= 1, k <= 1_000_000 else {
        throw CommandError("gradcheck sample K takes K from 1 to 1000000 elements per parameter, not \(words[1])")
      }
      let checks = try checker.checkSample(k, seed: try seed(after: 2), cancellation: cancellation)
      emitCheck(.parameters(checks, title: nil, listAll: listAll), settings)
    case "direction":
      let d = checker.checkDirection(seed: try seed(after: 1))
      say(
        "direction v: seeded unit vector over all \(session.model.parameters.elementCount) parameters (seed \(d.seed))")
      emitCheck(.element(d.check, analyticName: "∇L·v"), settings)
    case "sweep":
      guard words.count == 2 else {
        throw CommandError(
          words.count < 2
            ? "gradcheck sweep needs one element, as in gradcheck sweep Whh[0,1]"
            : "gradcheck sweep takes one element, not '\(words.dropFirst().joined(separator: " "))'")
      }
      let (parameter, index) = try parameterElement(words[1])
      emitCheck(.sweep(try checker.sweep(parameter, index: index, cancellation: cancellation)), settings)
    default:
      if let (parameter, t) = try contribution(first) {
        guard words.count == 1 else { throw args.usageError() }
        let check = try checker.checkContribution(parameter, t: t, cancellation: cancellation)
        emitCheck(
          .parameters(
            [check], title: "\(parameter.gradientName)_t[\(t)]: step \(t)'s copy of \(parameter.name) changed alone",
            listAll: listAll), settings)
        if heatmap { emitDifferenceHeatmap(check, title: "\(parameter.gradientName)_t[\(t)]") }
      } else if let quantity = try intermediate(first, words, cursor) {
        let checks = try checker.checkIntermediate(quantity, cancellation: cancellation)
        emitCheck(
          .elements(checks, title: "\(renderer.name(quantity)) (perturbing the forward pass from inside)"), settings)
      } else if let parameter = Parameter(name: first), !first.hasPrefix("d"), words.count == 1 {
        let checks = try checker.checkAll([parameter], cancellation: cancellation)
        emitCheck(.parameters(checks, title: nil, listAll: listAll), settings)
        if heatmap { emitDifferenceHeatmap(checks[0], title: parameter.name) }
      } else if words.count == 1 && first.contains("[") {
        let (parameter, index) = try parameterElement(first)
        emitCheck(.element(checker.checkElement(parameter, index: index), analyticName: "analytic (BPTT)"), settings)
      } else if words.count == 1 {
        // One word gradcheck does not know: say so, and what it knows.
        throw CommandError(
          "gradcheck knows no '\(first)': a parameter (Wxh Whh Why bh by), an element (Whh[0,1]), dWhh_t[t], "
            + "sample K, direction, dy|dh|dh_raw|dh_next [t] or sweep ELEMENT")
      } else {
        throw args.usageError()
      }
    }
  }

  /// analytic − numeric (or − exact) over a whole parameter, as a heatmap.
  private func emitDifferenceHeatmap(_ check: ParameterCheck, title: String) {
    let shape = session.model.parameters[check.parameter]
    let differences = check.elements.map { $0.analytic - ($0.exact ?? $0.numeric) }
    let m = Matrix(rows: shape.rows, cols: shape.cols, differences)
    emit(
      .text(
        heatmap(
          m, title: "analytic − \(check.elements.first?.exact == nil ? "numeric" : "exact") for \(title)",
          rowLabel: "row")))
  }

  /// `dWhh_t[3]`: what step t adds to a gradient.
  private func contribution(_ word: String) throws -> (Parameter, Int)? {
    guard let open = word.firstIndex(of: "["), word.hasSuffix("]"), word[..<open].hasSuffix("_t") else { return nil }
    let name = String(word[..<open].dropLast(2))
    guard let parameter = Parameter.allCases.first(where: { $0.gradientName == name }) else { return nil }
    guard let t = Int(word[word.index(after: open)..<word.index(before: word.endIndex)]) else {
      throw CommandError("'\(word)': the step must be a whole number, as in \(name)_t[3]")
    }
    return (parameter, t)
  }

  /// dy, dh, dh_raw, dh_next with an optional step: `dh_raw 3` or `dh_raw[3]`.
  private func intermediate(_ first: String, _ words: [String], _ cursor: Cursor) throws -> IntermediateQuantity? {
    let names = ["dy", "dh", "dh_raw", "dh_next"]
    var name = first
    var t: Int?
    if let open = first.firstIndex(of: "["), first.hasSuffix("]") {
      name = String(first[..<open])
      guard names.contains(name) else { return nil }
      t = Int(first[first.index(after: open)..<first.index(before: first.endIndex)])
      guard t != nil else { throw CommandError("'\(first)': the step must be a whole number, as in dh_raw[3]") }
    } else if words.count == 2 {
      t = Int(words[1].hasPrefix("t=") ? String(words[1].dropFirst(2)) : words[1])
      guard t != nil else { throw CommandError("'\(words[1])' is not a step: write gradcheck \(name) 3") }
    }
    guard names.contains(name) else { return nil }
    guard words.count <= 2 else { throw CommandError("usage: gradcheck \(name) [t]") }
    guard let step = t ?? cursor.position?.t else {
      throw CommandError("the cursor is at the start: name a step, as in gradcheck \(name)[1]")
    }
    switch name {
    case "dy": return .dy(t: step)
    case "dh": return .dh(t: step)
    case "dh_raw": return .dhRaw(t: step)
    default: return .dhNext(t: step)
    }
  }

  /// `Whh[0,1]` or `bh[2]` as (parameter, flat index).
  func parameterElement(_ text: String) throws -> (Parameter, Int) {
    guard case .index(.name(let name, _), let indices, _) = try ExpressionParser.parse(text),
      let parameter = Parameter.allCases.first(where: { $0.name == name })
    else { throw CommandError("'\(text)' is not a parameter element like Whh[0,1] or bh[2]") }
    let numbers = try indices.map { e -> Int in
      guard case .number(let x) = e, x == x.rounded(), x >= 0, x < 1e9 else {
        throw CommandError("indices must be whole numbers ≥ 0")
      }
      return Int(x)
    }
    let m = session.model.parameters[parameter]
    let (i, j) = numbers.count == 2 ? (numbers[0], numbers[1]) : (numbers[0], 0)
    guard i < m.rows && j < m.cols && (numbers.count == 2 || m.cols == 1) else {
      throw CommandError("\(text) is outside \(name), which is \(m.shapeDescription)")
    }
    return (parameter, i * m.cols + j)
  }

  private func emitCheck(_ kind: CheckReport.Kind, _ settings: CheckSettings) {
    emit(.check(CheckReport(kind: kind, settings: settings, variant: session.variant)))
  }

  // MARK: The backward equations

  func bptt(_ args: Arguments) throws {
    let words = args.words
    guard let first = words.first else {
      let which =
        switch session.variant {
        case .correct: "bptt correct (min-char-rnn's backward)"
        case .seed: "bptt seed (the seed tutorial's backward)"
        case .equations: "your equations (bptt show lists them)"
        case .mystery: "a mystery (bptt guess NAME when you have found it, bptt reveal to be told)"
        }
      let show = session.variant == .mystery ? "" : "bptt show lists the equations, "
      say("in force: \(which); \(show)bptt correct|seed|mystery [SEED] switches")
      return
    }
    switch first {
    case "correct", "seed":
      guard words.count == 1 else { throw args.usageError() }
      let dropped =
        switch session.variant {
        case .equations: " (your equations are dropped)"
        case .mystery: " (the mystery is dropped; bptt reveal would have named it)"
        case .correct, .seed: ""
        }
      session.variant = first == "seed" ? .seed : .correct
      session.equations = [:]
      session.mystery = nil
      say(
        (first == "seed"
          ? "bptt seed: the seed tutorial's backward, mistakes and all (gradcheck and blame find them)"
          : "bptt correct: min-char-rnn's backward, each step with its own h[t] and h[t-1]") + dropped)
      announcePass(" with bptt \(first)")
    case "show":
      guard words.count == 1 else { throw args.usageError() }
      if session.variant == .mystery {
        say("bptt mystery: its equations stay hidden; find the wrong one with gradcheck, blame and print,")
        say("then bptt guess NAME (bptt reveal tells)")
        return
      }
      let inForce = equationsInForce
      let correct = BackwardEquations.correct(session.loss)
      say("the backward pass (bptt \(session.variant.rawValue)), at each step t from T down to 1:")
      for name in BackwardEquations.names {
        let text = inForce.text[name]!
        let mark =
          session.variant == .equations && session.equations[name] != nil
          ? "   (yours)" : text != correct.text[name]! ? "   (the tutorial's)" : ""
        let op = ["dWhy", "dby", "dbh", "dWxh", "dWhh"].contains(name) ? "+=" : "="
        say("  " + name.padded(8) + op.padded(3) + text + mark)
      }
    case "mystery":
      guard words.count <= 2 else { throw args.usageError() }
      // Without a seed, the one after the last: bptt mystery again gives another mistake.
      var seed = session.lastMysterySeed.map { $0 &+ 1 } ?? 1
      if words.count == 2 {
        seed = try Arguments.seed(words[1])
      }
      session.lastMysterySeed = seed
      session.mysteryGuesses = 0
      session.mysteryFoundAt = nil
      session.mystery = Mystery.index(seed: seed, loss: session.loss)
      session.equations = [:]
      session.variant = .mystery
      say("bptt mystery (seed \(seed)): one mistake hides in this backward pass (in one equation, or two). Find it.")
      announcePass(" with a mystery")
    case "guess":
      guard session.variant == .mystery, let index = session.mystery else {
        throw CommandError("there is no mystery to guess: bptt mystery installs one")
      }
      guard words.count == 2, BackwardEquations.names.contains(words[1]) else {
        throw CommandError(
          "bptt guess NAME: the name of the equation you think is wrong (\(BackwardEquations.names.joined(separator: " ")))"
        )
      }
      let changed = Mystery.catalogue(session.loss)[index].changes.keys
      func at(_ guess: Int) -> String { guess == 1 ? "at the first guess" : "at guess \(guess)" }
      if let found = session.mysteryFoundAt {
        // Found already: more guesses count for nothing.
        let names = changed.sorted().joined(separator: " and ")
        say(
          "already found \(at(found)): \(names) \(changed.count > 1 ? "are" : "is") wrong. bptt reveal shows how; bptt mystery gives another."
        )
        return
      }
      // Guessing every name in turn would always find it: the count says how it was found.
      session.mysteryGuesses += 1
      let count = at(session.mysteryGuesses)
      if changed.contains(words[1]) {
        session.mysteryFoundAt = session.mysteryGuesses
        say(
          "right: \(words[1]) is wrong"
            + (changed.count > 1
              ? " (and so is \(changed.filter { $0 != words[1] }.sorted().joined(separator: ", ")))" : "")
            + ", found \(count). bptt reveal shows how.")
      } else {
        say(
          "not \(words[1]) (guess \(session.mysteryGuesses)): its equation is correct here. blame names the first "
            + "quantity that goes wrong, and print compares it with what its equation should give.")
      }
    case "reveal":
      guard session.variant == .mystery, let index = session.mystery else {
        throw CommandError("there is no mystery to reveal: bptt mystery installs one")
      }
      let mystery = Mystery.catalogue(session.loss)[index]
      let correct = BackwardEquations.correct(session.loss)
      say("the mystery: \(mystery.story)")
      for name in BackwardEquations.names where mystery.changes[name] != nil {
        say("  \(name.padded(8)) = \(mystery.changes[name]!)   where correct BPTT has \(correct.text[name]!)")
      }
    default:
      throw args.usageError()
    }
  }

  /// `let NAME = EXPRESSION`: one backward equation replaced, and the pass recorded again.
  func letEquation(_ args: Arguments) throws {
    guard let equals = args.raw.firstIndex(of: "=") else { throw args.usageError() }
    var name = args.raw[..<equals].trimmingCharacters(in: .whitespaces)
    let text = args.raw[args.raw.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    // `let dWhh += …`, as bptt show writes a gradient: still what step t adds.
    let accumulated = ["dWhy", "dby", "dbh", "dWxh", "dWhh"]
    if name.hasSuffix("+") {
      name = name.dropLast().trimmingCharacters(in: .whitespaces)
      guard accumulated.contains(name) || !BackwardEquations.names.contains(name) else {
        throw CommandError("\(name) is not accumulated over the steps: write let \(name) = …")
      }
    }
    guard BackwardEquations.names.contains(name) else {
      throw CommandError(
        "'\(name)' is not an equation of the backward pass: one of \(BackwardEquations.names.joined(separator: " "))")
    }
    guard !text.isEmpty else { throw args.usageError() }
    guard session.variant != .mystery else {
      throw CommandError("a mystery is in force: bptt reveal or bptt correct first, then write your own")
    }
    _ = try ExpressionParser.parse(text)
    guard let data = session.data else { throw CommandError(dataProblem() ?? "there is no data") }
    var trial = session
    if trial.variant.isBuiltIn {
      trial.equationBase = trial.variant
      trial.equations = [:]
    }
    trial.variant = .equations
    trial.equations[name] = text
    // Evaluate before committing: an equation that fails at some step changes nothing.
    let before = session
    session = trial
    do {
      _ = try recordPass(data)
    } catch {
      session = before
      throw error
    }
    say("\(name) = \(text)   (yours; bptt show lists every equation, bptt correct restores them)")
    announcePass(" with your \(name)")
  }
}
