import RNNCore
import Stepper

extension CommandTable {
  static let steppingCommands: [CommandSpec] = [
    CommandSpec(
      name: "step", aliases: ["s"], group: .stepping, usage: "step [N]",
      summary: "compute the next equation (N of them)",
      details: """
        Moves the cursor one equation on and shows it with its numbers. Forward, each time step \
        computes a, h, y, p (softmax only) and loss; backward, each step computes dy, dWhy, dby, \
        dh, dh_raw, dbh, dWxh, dWhh and dh_next. Nothing is recomputed: the whole pass was \
        recorded, so stepping only moves through the record.
        """,
      examples: ["step", "step 5"], completion: .none,
      run: { i, args in try i.move(to: min(i.requireTrace().1.index + args.count(), Int.max), label: "step") }),
    CommandSpec(
      name: "next", aliases: ["n"], group: .stepping, usage: "next [N]",
      summary: "finish this time step (N time steps)",
      details: """
        Moves to the last equation of the current time step, or of the next one when the cursor \
        is already at the end of a step: forward that is loss, backward dh_next.
        """,
      examples: ["next", "next 2"], completion: .none,
      run: { i, args in
        var c = try i.requireTrace().1
        for _ in 0..<(try args.count()) { c.move(to: c.afterNext) }
        try i.move(to: c.index, label: "next")
      }),
    CommandSpec(
      name: "finish", aliases: ["fin"], group: .stepping, usage: "finish",
      summary: "go to the end of this phase (forward or backward)",
      details: "Moves to the last equation of the current phase; at the end of forward, to the end of backward.",
      examples: ["finish"], completion: .none,
      run: { i, args in
        try args.none()
        try i.move(to: i.requireTrace().1.afterFinish, label: "finish")
      }),
    CommandSpec(
      name: "continue", aliases: ["c"], group: .stepping, usage: "continue",
      summary: "run to the next breakpoint, changed watch, or the end",
      details: """
        Moves forward equation by equation until a breakpoint matches (and its condition holds), \
        a watched expression changes value, or the pass ends.
        """,
      examples: ["break dh_raw", "continue"], completion: .none,
      run: { i, args in
        try args.none()
        try i.runUntilStop(forward: true)
      }),
    CommandSpec(
      name: "until", aliases: ["u"], group: .stepping, usage: "until PLACE",
      summary: "run forward to a place, e.g. until backward t=2 dh_raw",
      details: """
        Moves forward to the first equation of PLACE: any of a phase (forward, backward), a time \
        step (t=N) and an equation (a h y p loss dy dWhy dby dh dh_raw dbh dWxh dWhh dh_next). \
        PLACE must lie ahead of the cursor; goto goes either way.
        """,
      examples: ["until backward t=2 dh_raw", "until dh_next"], completion: .words(placeWords),
      run: { i, args in
        let (_, cursor) = try i.requireTrace()
        let place = try i.parsePlace(args.words)
        guard
          let target = cursor.timeline.positions.indices.first(where: {
            $0 > cursor.index && place.matchesForJump(cursor.timeline.positions[$0], cursor.timeline)
          })
        else {
          throw CommandError("\(place.text) is not ahead of the cursor (\(i.cursorDescription)); use goto to go back")
        }
        try i.move(to: target, label: "until")
      }),
    CommandSpec(
      name: "goto", aliases: [], group: .stepping, usage: "goto PLACE",
      summary: "jump to a place, forwards or backwards in time",
      details: "Moves the cursor to the first equation of PLACE (see until), wherever it is.",
      examples: ["goto forward t=3 h", "goto backward t=1"], completion: .words(placeWords),
      run: { i, args in
        let (_, cursor) = try i.requireTrace()
        let place = try i.parsePlace(args.words)
        guard let target = place.firstIndex(in: cursor.timeline) else {
          throw CommandError("this pass has no place \(place.text)")
        }
        try i.move(to: target, label: "goto")
      }),
    CommandSpec(
      name: "reverse-step", aliases: ["rs"], group: .stepping, usage: "reverse-step [N]",
      summary: "go back one equation (N of them)",
      details: "Moves the cursor back; the values after it are as if not yet computed.",
      examples: ["reverse-step"], completion: .none,
      run: { i, args in try i.move(to: i.requireTrace().1.index - args.count(), label: "reverse-step") }),
    CommandSpec(
      name: "reverse-next", aliases: ["rn"], group: .stepping, usage: "reverse-next [N]",
      summary: "go back to the end of the previous time step",
      details: "Moves to the last equation of the time step before the current one (the start if there is none).",
      examples: ["reverse-next"], completion: .none,
      run: { i, args in
        var c = try i.requireTrace().1
        for _ in 0..<(try args.count()) { c.move(to: c.beforeNext) }
        try i.move(to: c.index, label: "reverse-next")
      }),
    CommandSpec(
      name: "reverse-continue", aliases: ["rc"], group: .stepping, usage: "reverse-continue",
      summary: "run backwards to the previous breakpoint, changed watch, or the start",
      details: "Like continue, backwards in time.",
      examples: ["reverse-continue"], completion: .none,
      run: { i, args in
        try args.none()
        try i.runUntilStop(forward: false)
      }),
    CommandSpec(
      name: "reverse-finish", aliases: ["rf"], group: .stepping, usage: "reverse-finish",
      summary: "go back to the start of this phase",
      details: "Moves to just before the first equation of the current phase.",
      examples: ["reverse-finish"], completion: .none,
      run: { i, args in
        try args.none()
        let c = try i.requireTrace().1
        let start = c.position.map { $0.phase == .forward ? -1 : c.timeline.endOfPhase(.forward) } ?? -1
        try i.move(to: start == c.index ? -1 : start, label: "reverse-finish")
      }),
    CommandSpec(
      name: "first", aliases: [], group: .stepping, usage: "first",
      summary: "go to the start, before forward t=1",
      details: "Moves the cursor before the first equation. Same as reset.",
      examples: ["first"], completion: .none,
      run: { i, args in
        try args.none()
        _ = try i.requireTrace()
        try i.move(to: -1, label: "first")
      }),
    CommandSpec(
      name: "last", aliases: [], group: .stepping, usage: "last",
      summary: "go to the end of the backward pass",
      details: "Moves the cursor after the last equation: every value and every gradient is computed.",
      examples: ["last"], completion: .none,
      run: { i, args in
        try args.none()
        try i.move(to: i.requireTrace().1.timeline.positions.count - 1, label: "last")
      }),
    CommandSpec(
      name: "run", aliases: [], group: .stepping, usage: "run",
      summary: "the whole forward and backward pass; the cursor at the end",
      details: """
        Records the pass anew from the current model and data, and puts the cursor at its end, \
        where the loss and all gradients are known.
        """,
      examples: ["run", "print loss"], completion: .none,
      run: { i, args in
        try args.none()
        let (trace, cursor) = try i.requireTrace()
        i.cursor?.move(to: cursor.timeline.positions.count - 1)
        i.say(
          "ran forward and backward over \(counted(trace.steps, "step")): loss \(i.style.number(trace.loss)), "
            + "norm of all five gradients \(i.style.number(trace.gradients.globalNorm))")
      }),
    CommandSpec(
      name: "reset", aliases: [], group: .stepping, usage: "reset",
      summary: "put the cursor back at the start",
      details: "Moves the cursor before the first equation, keeping breakpoints, watches and displays.",
      examples: ["reset"], completion: .none,
      run: { i, args in
        try args.none()
        _ = try i.requireTrace()
        i.cursor?.move(to: -1)
        i.say("at the start, before forward t=1")
      }),
  ]

  static let placeWords = ["forward", "backward"] + Equation.allCases.map(\.rawValue) + ["t="]
}

extension Place {
  /// For until and goto: a whole step or phase is entered at its first equation.
  func matchesForJump(_ p: Position, _ timeline: Timeline) -> Bool {
    if equation == nil {
      return (phase == nil || p.phase == phase) && (t == nil || p.t == t)
        && timeline.equations(of: p.phase).first == p.equation
    }
    return matches(p, in: timeline)
  }

  var text: String {
    [phase?.rawValue, t.map { "t=\($0)" }, equation?.rawValue].compactMap { $0 }.joined(separator: " ")
  }
}

extension Interpreter {
  /// Parses `[forward|backward] [t=N] [EQUATION]` in any order.
  func parsePlace(_ words: [String]) throws -> Place {
    guard !words.isEmpty else { throw CommandError("name a place: e.g. backward t=2 dh_raw, or dh_raw, or t=3") }
    var place = Place()
    for word in words {
      if let phase = Phase(rawValue: word) {
        place.phase = phase
      } else if word.hasPrefix("t=") {
        guard let t = Int(word.dropFirst(2)) else { throw CommandError("'\(word)' is not a time step: write t=3") }
        if let steps = trace?.steps, t < 1 || t > steps {
          throw CommandError("t=\(t) is outside the pass: t runs from 1 to \(steps)")
        }
        place.t = t
      } else if let equation = Equation(rawValue: word) {
        place.equation = equation
      } else {
        let known = ["forward", "backward"] + Equation.allCases.map(\.rawValue)
        let suggestion = closest(word, among: known).map { "; did you mean '\($0)'?" } ?? ""
        throw CommandError("'\(word)' is not part of a place\(suggestion) (a place is a phase, t=N, an equation)")
      }
    }
    if let equation = place.equation, let phase = place.phase, equation.phase != phase {
      throw CommandError(
        "\(equation.rawValue) is computed in the \(equation.phase.rawValue) pass, not \(phase.rawValue)")
    }
    if place.equation == .p && session.loss == .squared {
      throw CommandError("there is no p under squared error")
    }
    return place
  }

  /// Moves the cursor and shows the stop.
  func move(to index: Int, label: String) throws {
    guard var c = cursor else {
      _ = try requireTrace()
      return
    }
    let before = c.index
    c.move(to: index)
    cursor = c
    if c.index == before {
      say(
        c.isAtEnd
          ? "at the end of the pass (\(cursorDescription)); reverse-step or first go back"
          : c.isAtStart ? "at the start: nothing is computed yet" : "the cursor stays at \(cursorDescription)")
      return
    }
    for k in session.watches.indices { session.watches[k].last = try? evaluate(session.watches[k].expression) }
    showStop(passedFrom: before)
  }

  /// Reports the stop at the cursor, with what was computed on the way from `before` when the
  /// cursor moved forward over several equations, then the displays.
  func showStop(passedFrom before: Int? = nil) {
    guard let trace, let cursor else { return }
    var passed: [Position] = []
    if let before, cursor.index > before + 1 {
      passed = Array(cursor.timeline.positions[(before + 1)..<cursor.index])
    }
    var stop = Stop(snapshot: Snapshot(trace: trace, cursor: cursor), vocabulary: session.vocabulary, passed: passed)
    if session.variant == .equations, let p = cursor.position, p.phase == .backward {
      stop.ownEquation = session.equations[p.equation.rawValue]
    }
    emit(.stop(stop))
    showDisplays()
  }

  /// Reports the displays' values at the cursor.
  func showDisplays() {
    guard !session.displays.isEmpty else { return }
    emit(
      .displays(
        session.displays.all.map { d in
          let value: Result<Matrix, DisplayValue.DisplayError>
          do { value = .success(try evaluate(d.text)) } catch {
            value = .failure(.init(message: describeError(error)))
          }
          return DisplayValue(number: d.number, text: d.text, value: value)
        }))
  }

  /// continue / reverse-continue: scan for a breakpoint whose condition holds or a watch that changes.
  func runUntilStop(forward: Bool) throws {
    let (_, start) = try requireTrace()
    var c = start
    let last = c.timeline.positions.count - 1
    cancellation.reset()
    while forward ? c.index < last : c.index > -1 {
      // Ctrl-C stops the scan where it is: watches and conditions may be slow to evaluate.
      if cancellation.isCancelled {
        showStop()
        note("(interrupted: stopped here)")
        return
      }
      c.move(to: c.index + (forward ? 1 : -1))
      cursor = c
      let reasons = try stopReasons(at: c)
      if !reasons.isEmpty {
        emit(.stopReason(reasons))
        showStop()
        return
      }
    }
    showStop()
    note(forward ? "(end of the pass)" : "(start of the pass)")
  }

  /// Why to stop at this cursor, if at all: a changed watch, or a matching breakpoint whose
  /// condition holds.
  func stopReasons(at c: Cursor) throws -> [StopReason] {
    var reasons: [StopReason] = []
    for k in session.watches.indices {
      let now = try? evaluate(session.watches[k].expression)
      let watch = session.watches[k]
      if !Watch.same(now, watch.last) {
        reasons.append(.watch(number: watch.number, text: watch.text, old: watch.last, new: now))
        session.watches[k].last = now
      }
    }
    guard let position = c.position else { return reasons }
    for b in session.breakpoints.candidates(at: position, in: c.timeline) {
      if let condition = b.condition {
        let value: Matrix
        do { value = try evaluate(condition) } catch {
          reasons.append(.conditionFailed(number: b.number, error: describeError(error)))
          continue
        }
        guard value.count == 1 else {
          throw CommandError(
            "breakpoint \(b.number): the condition '\(condition)' is \(value.shapeDescription), not one number")
        }
        // Nonzero stops; NaN, a condition that cannot be judged, does not.
        if value.storage[0] == 0 || value.storage[0].isNaN { continue }
      }
      session.breakpoints.hit(b.number)
      reasons.append(.breakpoint(number: b.number, place: b.place, condition: b.condition, temporary: b.temporary))
    }
    return reasons
  }
}
