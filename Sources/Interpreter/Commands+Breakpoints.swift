import RNNCore
import Stepper

extension CommandTable {
  static let breakpointCommands: [CommandSpec] = [
    CommandSpec(
      name: "break", aliases: ["b"], group: .breakpoints, usage: "break PLACE [if CONDITION]",
      summary: "stop at a place, optionally only when a condition holds",
      details: """
        PLACE is any of a phase, t=N and an equation: `break backward t=3` stops once that step \
        is complete (after its last equation), `break dh_raw` after every dh_raw, `break backward \
        if norm(dh_next) < 1e-3` at the end of every backward step whose dh_next is that small. \
        The condition is an expression (see print) that must give one number; nonzero means stop \
        (NaN does not).
        """,
      examples: ["break dh_raw", "break backward t=3", "break backward if norm(dh_next) < 1e-3"],
      completion: .wordsAndNames(placeWords + ["if"]),
      run: { i, args in try i.addBreakpoint(args, temporary: false) }),
    CommandSpec(
      name: "tbreak", aliases: [], group: .breakpoints, usage: "tbreak PLACE [if CONDITION]",
      summary: "a breakpoint that deletes itself when first hit",
      details: "Like break, but the breakpoint is deleted the first time it stops the cursor.",
      examples: ["tbreak backward t=1"], completion: .wordsAndNames(placeWords + ["if"]),
      run: { i, args in try i.addBreakpoint(args, temporary: true) }),
    CommandSpec(
      name: "delete", aliases: ["d"], group: .breakpoints, usage: "delete [N]",
      summary: "delete breakpoint, watch or display N (all breakpoints and watches without N)",
      details: "Numbers are those info breakpoints shows.",
      examples: ["delete 2", "delete"], completion: .none,
      run: { i, args in
        if args.raw.isEmpty {
          let breakpoints = i.session.breakpoints.all.count
          let watches = i.session.watches.count
          i.session.breakpoints.delete(nil)
          i.session.watches.removeAll()
          let parts = [(breakpoints, "breakpoint", "breakpoints"), (watches, "watch", "watches")].filter { $0.0 > 0 }
          i.say(
            parts.isEmpty
              ? "no breakpoints or watches to delete"
              : "deleted " + parts.map { counted($0.0, $0.1, $0.2) }.joined(separator: " and "))
          return
        }
        let n = try i.number(args)
        if i.session.breakpoints.delete(n) {
          i.say("deleted breakpoint \(n)")
        } else if let w = i.session.watches.firstIndex(where: { $0.number == n }) {
          i.session.watches.remove(at: w)
          i.say("deleted watch \(n)")
        } else {
          throw CommandError("there is no breakpoint or watch \(n) (info breakpoints lists them)")
        }
      }),
    CommandSpec(
      name: "disable", aliases: [], group: .breakpoints, usage: "disable N",
      summary: "turn breakpoint N off without deleting it",
      details: "The breakpoint stays listed and enable turns it back on.",
      examples: ["disable 1"], completion: .none,
      run: { i, args in
        let n = try i.number(args)
        guard i.session.breakpoints.setEnabled(n, false) else { throw CommandError("there is no breakpoint \(n)") }
        i.say("breakpoint \(n) disabled")
      }),
    CommandSpec(
      name: "enable", aliases: [], group: .breakpoints, usage: "enable N",
      summary: "turn breakpoint N back on",
      details: "Undoes disable.",
      examples: ["enable 1"], completion: .none,
      run: { i, args in
        let n = try i.number(args)
        guard i.session.breakpoints.setEnabled(n, true) else { throw CommandError("there is no breakpoint \(n)") }
        i.say("breakpoint \(n) enabled")
      }),
    CommandSpec(
      name: "watch", aliases: [], group: .breakpoints, usage: "watch EXPRESSION",
      summary: "stop whenever the value of an expression changes",
      details: """
        continue and reverse-continue stop at the equation that changes the value. `watch \
        dWhh[0,1]` stops at every step that adds to that element's running total.
        """,
      examples: ["watch dWhh[0,1]", "watch norm(dh_next)"], completion: .expression,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        let expression = try ExpressionParser.parse(args.raw)
        // A value not computed yet is what a watch waits for; any other error never goes away.
        let last = try i.evaluateUnlessWaiting(expression)
        // The same expression twice would stop once and say it twice.
        if let same = i.session.watches.first(where: { $0.expression == expression }) {
          throw CommandError("watch \(same.number) already watches \(same.text)")
        }
        let number = i.session.breakpoints.reserveNumber()
        i.session.watches.append(Watch(number: number, text: args.raw, expression: expression, last: last))
        i.say("watch \(number): \(args.raw)")
      }),
    CommandSpec(
      name: "display", aliases: [], group: .breakpoints, usage: "display [EXPRESSION]",
      summary: "show an expression at every stop (list them without one)",
      details: "Each display is evaluated and shown after every command that moves the cursor.",
      examples: ["display h", "display norm(dh_next)"], completion: .expression,
      run: { i, args in
        guard !args.raw.isEmpty else {
          if i.session.displays.isEmpty { i.say("no displays") }
          i.showDisplays()
          return
        }
        _ = try i.evaluateUnlessWaiting(try ExpressionParser.parse(args.raw))
        i.session.displays.add(args.raw)
        i.showDisplays()
      }),
    CommandSpec(
      name: "undisplay", aliases: [], group: .breakpoints, usage: "undisplay [N]",
      summary: "stop showing display N (all without N)",
      details: "Display numbers are shown beside each display.",
      examples: ["undisplay 1"], completion: .none,
      run: { i, args in
        if args.raw.isEmpty {
          let count = i.session.displays.all.count
          i.session.displays.remove(nil)
          i.say(count == 0 ? "there were no displays" : "removed " + counted(count, "display"))
          return
        }
        let n = try i.number(args)
        guard i.session.displays.remove(n) else { throw CommandError("there is no display \(n)") }
        i.say("display \(n) removed")
      }),
  ]
}

extension Interpreter {
  func number(_ args: Arguments) throws -> Int {
    guard args.words.count == 1, let n = Int(args.words[0]) else {
      throw args.usageError()
    }
    return n
  }

  /// The expression's value now; nil when it only waits for the cursor to compute something.
  /// - Throws: any other error (a name, an index, a shape), which would never go away.
  func evaluateUnlessWaiting(_ expression: Expression) throws -> Matrix? {
    do { return try evaluate(expression) } catch let error as ExpressionError where error.notComputedYet { return nil }
  }

  func addBreakpoint(_ args: Arguments, temporary: Bool) throws {
    let words = args.words
    let split = words.firstIndex(of: "if")
    let placeWords = Array(words[..<(split ?? words.count)])
    var condition: String?
    if let split {
      let text = words[(split + 1)...].joined(separator: " ")
      guard !text.isEmpty else { throw CommandError("'if' needs a condition, e.g. if norm(dh_next) < 1e-3") }
      // A condition that can never be judged is refused now, not at continue.
      if let value = try evaluateUnlessWaiting(try ExpressionParser.parse(text)), value.count != 1 {
        throw CommandError("the condition '\(text)' is \(value.shapeDescription), not one number")
      }
      condition = text
    }
    let place = placeWords.isEmpty ? Place() : try parsePlace(placeWords)
    guard !placeWords.isEmpty || condition != nil else {
      throw CommandError("usage: \(temporary ? "tbreak" : "break") PLACE [if CONDITION]")
    }
    let n = session.breakpoints.add(place, condition: condition, temporary: temporary)
    let at = place.text.isEmpty ? "the end of every time step" : place.text
    say("\(temporary ? "temporary breakpoint" : "breakpoint") \(n) at \(at)" + (condition.map { " if \($0)" } ?? ""))
  }
}
