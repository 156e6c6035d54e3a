import Foundation
import RNNCore
import Stepper

extension CommandTable {
  static let checkingCommands: [CommandSpec] = [
    CommandSpec(
      name: "gradcheck", aliases: ["gc"], group: .checking,
      usage:
        "gradcheck [PARAM | ELEMENT | sample K [seed S] | direction [seed S] | dh|dh_raw|dh_next [t] | sweep ELEMENT] [--eps X] [--tol X]",
      summary: "compare BPTT's gradients with centered finite differences",
      details: """
        Without arguments, every element of every parameter (on all cores; Ctrl-C stops it). \
        gradcheck Whh checks every element of Whh; gradcheck Whh[0,1] one element, showing \
        L(θ+ε), L(θ−ε), the numeric and analytic derivatives and their relative error; sample K \
        checks K seeded elements of each parameter (min-char-rnn's gradCheck); direction checks \
        ∇L·v against (L(θ+εv) − L(θ−εv))/2ε along a seeded unit vector v; dh, dh_raw and dh_next \
        check that intermediate quantity of step t (the cursor's step by default, or dh_raw[3]) \
        by perturbing the forward pass from inside; sweep ELEMENT checks one element at ε = 1e-1 \
        … 1e-10. Relative error is |a−n| / max(|a|+|n|, tiny); an element passes at relative \
        error ≤ 1e-6 (--tol) or |a−n| ≤ 1e-8 (set floor), with ε = 1e-5 (--eps). A FAIL makes a \
        script exit non-zero.
        """,
      examples: [
        "gradcheck", "gradcheck Whh[0,1]", "gradcheck sample 5 seed 1", "gradcheck dh_raw[2]",
        "gradcheck sweep Wxh[0,0]",
      ],
      completion: .wordsAndNames(["sample", "direction", "sweep", "seed", "--eps", "--tol"]),
      run: { i, args in try i.gradcheck(args) }),
    CommandSpec(
      name: "bptt", aliases: [], group: .checking, usage: "bptt seed|correct",
      summary: "switch between correct BPTT and the seed tutorial's mistaken backward",
      details: """
        bptt seed reproduces the tutorial's backward: the last hidden state h[T] stands for every \
        step's h[t] (in dWhy and in tanh's derivative) and the initial h[0] for every h[t-1] (in \
        dWhh). gradcheck then fails on Wxh, Whh, Why and bh; dby, which needs only dy, passes. \
        docs/seed-bptt.md explains each mistake. bptt correct switches back. Either way the pass \
        is recorded again.
        """,
      examples: ["bptt seed", "gradcheck", "bptt correct"], completion: .words(["seed", "correct"]),
      run: { i, args in
        guard args.words.count == 1, let v = BPTTVariant(rawValue: args.words[0]) else {
          throw args.usageError()
        }
        i.session.variant = v
        i.say(
          v == .seed
            ? "bptt seed: the tutorial's backward, with h[T] for every h[t] and h[0] for every h[t-1]"
            : "bptt correct: each step uses its own h[t] and h[t-1]")
        i.announcePass(" with bptt \(v.rawValue)")
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
          guard rest.count == 2, rest.first == "clip", let c = Double(rest.last!), c > 0 else {
            throw args.usageError()
          }
          clipping = .value(c)
        }
        let before = trace.loss
        var optimizer = Optimizer.sgd(learningRate: rate)
        var parameters = i.session.model.parameters
        optimizer.update(&parameters, with: clipping.apply(to: trace.gradients))
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
    let (trace, cursor) = try requireTrace()
    var settings = session.check
    let (eps, afterEps) = try args.option("eps")
    let (tol, words) = try Arguments(raw: afterEps.joined(separator: " "), spec: args.spec).option("tol")
    if let eps {
      guard let e = Double(eps), e > 0, e.isFinite else {
        throw CommandError("--eps needs a positive number, not '\(eps)'")
      }
      settings.epsilon = e
    }
    if let tol {
      guard let t = Double(tol), t > 0, t.isFinite else {
        throw CommandError("--tol needs a positive number, not '\(tol)'")
      }
      settings.relativeTolerance = t
    }
    let checker = GradientChecker(trace: trace, settings: settings)
    cancellation.reset()
    func seed(after index: Int) throws -> UInt64 {
      guard words.count > index else { return 1 }
      guard words[index] == "seed", words.count == index + 2, let s = UInt64(words[index + 1]) else {
        throw CommandError("expected 'seed S' after \(words[index - 1])")
      }
      return s
    }
    let first = words.first ?? ""
    switch first {
    case "":
      emitCheck(.parameters(try checker.checkAll(cancellation: cancellation)), settings)
    case "sample":
      guard words.count >= 2, let k = Int(words[1]), k >= 1 else {
        throw args.usageError()
      }
      emitCheck(.parameters(try checker.checkSample(k, seed: try seed(after: 2), cancellation: cancellation)), settings)
    case "direction":
      let d = checker.checkDirection(seed: try seed(after: 1))
      say(
        "direction v: seeded unit vector over all \(session.model.parameters.elementCount) parameters (seed \(d.seed))")
      emitCheck(.element(d.check, analyticName: "∇L·v"), settings)
    case "sweep":
      guard words.count == 2 else {
        throw args.usageError()
      }
      let (parameter, index) = try parameterElement(words[1])
      emitCheck(.sweep(checker.sweep(parameter, index: index)), settings)
    default:
      if let quantity = try intermediate(first, words, cursor) {
        let checks = try checker.checkIntermediate(quantity)
        emitCheck(
          .elements(checks, title: "\(renderer.name(quantity)) (perturbing the forward pass from inside)"), settings)
      } else if let parameter = Parameter(name: first), !first.hasPrefix("d"), words.count == 1 {
        emitCheck(.parameters(try checker.checkAll([parameter], cancellation: cancellation)), settings)
      } else if words.count == 1 && first.contains("[") {
        let (parameter, index) = try parameterElement(first)
        emitCheck(.element(checker.checkElement(parameter, index: index), analyticName: "analytic (BPTT)"), settings)
      } else {
        throw args.usageError()
      }
    }
  }

  /// dh, dh_raw, dh_next with an optional step: `dh_raw 3` or `dh_raw[3]`.
  private func intermediate(_ first: String, _ words: [String], _ cursor: Cursor) throws -> IntermediateQuantity? {
    var name = first
    var t: Int?
    if let open = first.firstIndex(of: "["), first.hasSuffix("]") {
      name = String(first[..<open])
      guard ["dh", "dh_raw", "dh_next"].contains(name) else { return nil }
      t = Int(first[first.index(after: open)..<first.index(before: first.endIndex)])
      guard t != nil else { throw CommandError("'\(first)': the step must be a whole number, as in dh_raw[3]") }
    } else if words.count == 2 {
      t = Int(words[1].hasPrefix("t=") ? String(words[1].dropFirst(2)) : words[1])
    }
    guard ["dh", "dh_raw", "dh_next"].contains(name) else { return nil }
    guard let step = t ?? cursor.position?.t else {
      throw CommandError("the cursor is at the start: name a step, as in gradcheck \(name)[1]")
    }
    switch name {
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
      guard case .number(let x) = e, x == x.rounded(), x >= 0 else {
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
}
