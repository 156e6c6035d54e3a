import Foundation
import RNNCore
import Testing

@testable import Interpreter

@Suite("Stepping through the pass")
struct SteppingTests {
  /// The header of the stop after `line`: "forward t=1/4  a".
  func stop(_ outcome: Outcome) -> String? {
    outcome.lines.last { $0.hasPrefix("forward t=") || $0.hasPrefix("backward t=") }.map {
      $0.split(separator: " ").prefix(3).joined(separator: " ")
    }
  }

  @Test("step visits every equation in order, forward then backward, and reverse-step retraces it")
  func everyEquation() {
    let i = Interpreter()
    var seen: [String] = []
    for _ in 0..<(4 * 5 + 4 * 9) { seen.append(stop(i.execute("step")) ?? "?") }
    #expect(
      seen.prefix(5) == [
        "forward t=1/4 a", "forward t=1/4 h", "forward t=1/4 y", "forward t=1/4 p", "forward t=1/4 loss",
      ])
    #expect(seen[20] == "backward t=4/4 dy")
    #expect(
      seen[20..<29].map { $0.split(separator: " ").last! }
        == ["dy", "dWhy", "dby", "dh", "dh_raw", "dbh", "dWxh", "dWhh", "dh_next"])
    #expect(seen.last == "backward t=1/4 dh_next")
    #expect(i.execute("step").lines.first!.hasPrefix("at the end of the pass"))
    var back: [String] = []
    for _ in 0..<(4 * 5 + 4 * 9 - 1) { back.append(stop(i.execute("reverse-step")) ?? "?") }
    #expect(back == Array(seen.dropLast().reversed()))
    #expect(i.execute("rs").lines.first!.hasPrefix("start"))
  }

  @Test("next, finish, until, goto, first, last, reverse-next, reverse-finish")
  func jumps() {
    let i = Interpreter()
    #expect(stop(i.execute("next")) == "forward t=1/4 loss")
    #expect(stop(i.execute("n 2")) == "forward t=3/4 loss")
    #expect(stop(i.execute("finish")) == "forward t=4/4 loss")
    #expect(stop(i.execute("fin")) == "backward t=1/4 dh_next")
    #expect(stop(i.execute("goto backward t=2 dh_raw")) == "backward t=2/4 dh_raw")
    #expect(stop(i.execute("reverse-next")) == "backward t=3/4 dh_next")
    #expect(stop(i.execute("reverse-finish")) == "forward t=4/4 loss")
    #expect(stop(i.execute("until dh_next")) == "backward t=4/4 dh_next")
    #expect(i.execute("until forward t=1").error?.contains("not ahead of the cursor") == true)
    #expect(stop(i.execute("goto t=2 h")) == "forward t=2/4 h")
    #expect(stop(i.execute("last")) == "backward t=1/4 dh_next")
    #expect(i.execute("first").lines.first!.hasPrefix("start"))
    #expect(i.execute("run").lines.first!.hasPrefix("ran forward and backward over 4 steps"))
    #expect(i.execute("reset").lines == ["at the start, before forward t=1"])
    #expect(i.execute("goto backward t=9").error == "t=9 is outside the pass: t runs from 1 to 4")
    #expect(i.execute("goto forward dh").error == "dh is computed in the backward pass, not forward")
    #expect(i.execute("goto backwards").error?.contains("did you mean 'backward'") == true)
  }

  @Test("the first steps show the built-in model's numbers, as NumPy computes them")
  func firstSteps() {
    let b = Builtin.shared
    let (_, out) = session("step", "step", "step", "step", "step")
    let stops = out.map { $0.stops.last! }
    #expect(
      stops.map { $0.position.map(describe) } == [
        "forward t=1 a", "forward t=1 h", "forward t=1 y", "forward t=1 p", "forward t=1 loss",
      ])
    // NumPy's h is tanh(a): atanh brings back a to about 1e-15 relative.
    #expect(close(stops[0].value!.storage, b.hs[1].map { atanh($0) }, tolerance: 1e-12))
    #expect(close(stops[1].value!.storage, b.hs[1]))
    #expect(close(stops[3].value!.storage, b.ps[0]))
    #expect(close(stops[4].value!.storage, [b.losses[0]]))
  }

  @Test("continue stops at breakpoints, conditions decide, tbreak deletes itself")
  func breakpoints() {
    let i = Interpreter()
    #expect(i.execute("break dh_raw").lines == ["breakpoint 1 at dh_raw"])
    #expect(stop(i.execute("continue")) == "backward t=4/4 dh_raw")
    #expect(stop(i.execute("c")) == "backward t=3/4 dh_raw")
    #expect(stop(i.execute("reverse-continue")) == "backward t=4/4 dh_raw")
    i.execute("delete 1")
    i.execute("first")
    // dh_next shrinks as it flows back; the condition picks the steps where it is small.
    i.execute("set precision 17")
    let norms = (1...4).map { t in
      i.execute("last; print norm(dh_next[\(t)])").number!
    }
    i.execute("first")
    let threshold = norms.sorted()[1] * 1.0001
    i.execute("break backward if norm(dh_next) < \(threshold)")
    let firstHit = (1...4).reversed().first { norms[$0 - 1] < threshold }!
    let hit = i.execute("continue")
    #expect(stop(hit) == "backward t=\(firstHit)/4 dh_next", "\(hit.lines)")
    #expect(hit.lines.first!.hasPrefix("breakpoint 2: backward if norm(dh_next) <"))
    i.execute("delete")
    i.execute("first")
    #expect(i.execute("tbreak backward t=2").lines == ["temporary breakpoint 3 at backward t=2"])
    #expect(stop(i.execute("continue")) == "backward t=2/4 dh_next")
    #expect(i.execute("info breakpoints").lines == ["no breakpoints or watches"])
    i.execute("first")
    i.execute("break h")
    i.execute("disable 4")
    #expect(i.execute("continue").lines.last == "(end of the pass)")
    i.execute("enable 4; first")
    #expect(stop(i.execute("continue")) == "forward t=1/4 h")
    #expect(i.execute("info breakpoints").lines.last!.contains("breakpoint  y    1     h"))
  }

  @Test("a watch stops where BPTT adds to the watched element")
  func watch() {
    let i = Interpreter()
    #expect(i.execute("watch dWhh[0,1]").lines == ["watch 1: dWhh[0,1]"])
    let first = i.execute("continue")
    #expect(stop(first) == "backward t=4/4 dWhh")
    #expect(first.lines[0].hasPrefix("watch 1: dWhh[0,1]: 0 → "))
    #expect(stop(i.execute("continue")) == "backward t=3/4 dWhh")
    #expect(i.execute("delete 1").lines == ["deleted watch 1"])
  }

  @Test("displays show at every stop")
  func displays() {
    let i = Interpreter()
    #expect(
      i.execute("display norm(h)").lines == [
        "1: norm(h) = (the cursor is before the first step, so 'h' has no current t: name one, as in h[1] (column 6))"
      ])  // columns count in the display's expression
    let out = i.execute("step; step")
    #expect(out.lines.last!.hasPrefix("1: norm(h) = "))
    let b = Builtin.shared.hs[1]
    guard case .success(let shown) = out.displays.last?.value else {
      Issue.record("no display value: \(out.displays)")
      return
    }
    #expect(close(shown.storage, [(b.map { $0 * $0 }.reduce(0, +)).squareRoot()]))
    #expect(i.execute("undisplay 1").lines == ["display 1 removed"])
    #expect(!i.execute("step").lines.contains { $0.hasPrefix("1:") })
  }

  @Test("predict, then see: a step asks first, shows the stop with the verdict after the answer")
  func predict() {
    let i = Interpreter()
    i.execute("set predict on")
    let asked = i.execute("step")
    #expect(asked.stops.isEmpty && asked.lines.last!.hasPrefix("predict: is a[1][2] positive or negative?"))
    let answered = i.execute("-")
    #expect(answered.stops.count == 1 && answered.lines.last == "right: a[1][2] = -0.8351")
    #expect(
      i.execute("step").lines.last
        == "predict: which element of h[1] is largest (most positive)? (its index, 0…2; print works it out, another command skips)"
    )
    // Something that is neither an answer nor a command asks again, and the question stays open.
    let malformed = i.execute("7")
    #expect(
      malformed.stops.isEmpty
        && malformed.lines == [
          "an index from 0 to 2 was expected: which element of h[1] is largest (most positive)? (its index, 0…2; print works it out, another command skips)"
        ])
    #expect(i.execute("2").lines.last == "not quite: the largest (most positive) is h[1][0] = 0.448; h[1][2] = -0.6832")
    // print (or info, help) works a prediction out: it runs, and the question stays open.
    i.execute("step")
    let worked = i.execute("print 1 + 1")
    #expect(
      worked.stops.isEmpty && worked.values == [Matrix(column: [2])] && worked.lines.last!.hasPrefix("predict: "))
    // ...from where the cursor was before the step: the value asked for is not computed yet there.
    let peek = i.execute("print y[1]")
    #expect(peek.values.isEmpty && peek.lines.first!.contains("not computed yet") && peek.stops.isEmpty)
    // Another command instead of an answer: the stop shows, and the command runs.
    let skipped = i.execute("echo skipped")
    #expect(skipped.stops.count == 1 && skipped.lines.contains("skipped"))
    // Moves over several equations, and loss (one number): the number is judged by how close.
    i.execute("step")
    #expect(
      i.execute("step").lines.last == "predict: what is loss[1]? (a number; print works it out, another command skips)")
    #expect(i.execute("1.2 +").stops.isEmpty)
    // An answer far off says so in words, not as an infinite percentage.
    #expect(i.execute("-1e308").lines.last!.hasSuffix("(more than 100 times it)"))
    i.execute("reverse-step")
    #expect(
      i.execute("step").lines.last == "predict: what is loss[1]? (a number; print works it out, another command skips)")
    // A number may be written as an expression.
    #expect(i.execute("12/10").lines.last!.hasPrefix("right: loss[1] = 1.198; you were off by"))
    // Enter alone shows the stop without a prediction.
    i.execute("first")
    #expect(i.execute("step").lines.last?.hasPrefix("predict:") == true)
    let enter = i.execute("")
    #expect(enter.stops.count == 1 && enter.lines.last == "(no prediction taken)")
    i.execute("set predict off")
    #expect(i.execute("step").stops.count == 1)
  }
}
