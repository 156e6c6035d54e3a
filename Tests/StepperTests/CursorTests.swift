import RNNCore
import Testing

@testable import Stepper

@Suite("Timeline and cursor")
struct CursorTests {
  let timeline = Timeline(steps: 3, loss: .softmax)

  func at(_ c: Cursor) -> String {
    c.position.map { "\($0.phase.rawValue) \($0.t) \($0.equation.rawValue)" } ?? "start"
  }

  @Test("forward t = 1…T, then backward t = T…1, equations in min-char-rnn's order")
  func order() {
    #expect(timeline.positions.count == 3 * 5 + 3 * 9)
    #expect(timeline.positions.prefix(5).map(\.equation) == [.a, .h, .y, .p, .loss])
    #expect(timeline.positions[15] == Position(.backward, t: 3, .dy))
    #expect(
      timeline.positions[15..<24].map(\.equation.rawValue)
        == ["dy", "dWhy", "dby", "dh", "dh_raw", "dbh", "dWxh", "dWhh", "dh_next"])
    #expect(timeline.positions.last == Position(.backward, t: 1, .dhNext))
    #expect(Timeline(steps: 2, loss: .squared).forwardEquations == [.a, .h, .y, .loss])
  }

  @Test("step and reverse-step move one equation; the ends hold")
  func stepping() {
    var c = Cursor(timeline: timeline)
    #expect(at(c) == "start")
    c.move(to: c.afterStep)
    #expect(at(c) == "forward 1 a")
    c.move(to: c.beforeStep)
    #expect(c.isAtStart)
    let moved = c.move(to: c.beforeStep)
    #expect(!moved)
    c.move(to: 1000)
    #expect(c.isAtEnd)
  }

  @Test("next ends the time step, then the next one; reverse-next goes back a step")
  func next() {
    var c = Cursor(timeline: timeline)
    c.move(to: c.afterNext)
    #expect(at(c) == "forward 1 loss")
    c.move(to: c.afterNext)
    #expect(at(c) == "forward 2 loss")
    c.move(to: c.beforeStep)
    c.move(to: c.afterNext)
    #expect(at(c) == "forward 2 loss")
    c.move(to: 14)
    c.move(to: c.afterNext)
    #expect(at(c) == "backward 3 dh_next")
    c.move(to: c.beforeNext)
    #expect(at(c) == "forward 3 loss")
    c.move(to: 2)
    c.move(to: c.beforeNext)
    #expect(c.isAtStart)
  }

  @Test("finish ends the phase, then the pass")
  func finish() {
    var c = Cursor(timeline: timeline, index: 3)
    c.move(to: c.afterFinish)
    #expect(at(c) == "forward 3 loss")
    c.move(to: c.afterFinish)
    #expect(at(c) == "backward 1 dh_next")
  }

  @Test("places: an equation everywhere, a whole step at its end, a phase")
  func places() {
    let dhRaw = Place(equation: .dhRaw)
    #expect(timeline.positions.filter { dhRaw.matches($0, in: timeline) }.map(\.t) == [3, 2, 1])
    let step = Place(phase: .backward, t: 2)
    #expect(timeline.positions.filter { step.matches($0, in: timeline) } == [Position(.backward, t: 2, .dhNext)])
    #expect(step.firstIndex(in: timeline).map { timeline.positions[$0] } == Position(.backward, t: 2, .dy))
    #expect(
      Place(t: 2, equation: .h).firstIndex(in: timeline).map { timeline.positions[$0] } == Position(.forward, t: 2, .h))
  }

  @Test("breakpoints: numbering shared with watches, enable, temporary deletion")
  func breakpoints() {
    var b = Breakpoints()
    let one = b.add(Place(equation: .dh), condition: nil, temporary: false)
    let watch = b.reserveNumber()
    let two = b.add(Place(phase: .backward, t: 1), condition: "norm(dh) > 0", temporary: true)
    #expect([one, watch, two] == [1, 2, 3])
    #expect(b.candidates(at: Position(.backward, t: 3, .dh), in: timeline).map(\.number) == [1])
    b.setEnabled(1, false)
    #expect(b.candidates(at: Position(.backward, t: 3, .dh), in: timeline).isEmpty)
    b.hit(3)
    #expect(b.all.map(\.number) == [1])
    let deletedGone = b.delete(3)
    let deletedAll = b.delete(nil)
    #expect(!deletedGone)
    #expect(deletedAll)
    #expect(b.all.isEmpty)
  }
}

@Suite("What the cursor can see")
struct SnapshotTests {
  func trace() throws -> Trace {
    var model = try RNN(inputSize: 3, hiddenSize: 2, outputSize: 3, seed: 5, scale: 0.5)
    try model.setH0([0.1, -0.1])
    let data = try SequenceData(inputs: .indices([0, 1, 2]), targets: .indices([1, 2, 0]))
    return try BPTTEngine().record(model: model, data: data, loss: .softmax)
  }

  @Test("values appear when the cursor passes the equation that computes them")
  func computedAsTheCursorMoves() throws {
    let trace = try trace()
    let timeline = Timeline(steps: 3, loss: .softmax)
    var s = Snapshot(trace: trace, cursor: Cursor(timeline: timeline))
    #expect(throws: NotComputedYet.self) { try s.value(.h, t: 1) }
    #expect(try s.value(.h, t: 0) == trace.h(0))
    #expect(try s.value(.x, t: 3).storage == [0, 0, 1])
    s = Snapshot(trace: trace, cursor: Cursor(timeline: timeline, index: 1))
    #expect(try s.value(.h, t: 1) == trace.h(1))
    #expect(throws: NotComputedYet.self) { try s.value(.y, t: 1) }
    #expect(throws: NoSuchStep(value: .quantity(.h, t: 4), steps: 0...3)) { try s.value(.h, t: 4) }
    #expect(throws: NoSuchStep(value: .contribution(.whh, t: 0), steps: 1...3)) { try s.contribution(.whh, t: 0) }
    #expect(
      throws: NotComputedYet(
        value: .contribution(.whh, t: 3), computedAt: Position(.backward, t: 3, .dWhh), cursor: s.cursor.position)
    ) { try s.contribution(.whh, t: 3) }
  }

  @Test("running totals grow step by step from t = T and end at the gradient")
  func runningTotals() throws {
    let trace = try trace()
    let timeline = Timeline(steps: 3, loss: .softmax)
    let beforeBackward = Snapshot(trace: trace, cursor: Cursor(timeline: timeline, index: 14))
    #expect(beforeBackward.runningTotal(.whh).storage == [0, 0, 0, 0])
    let afterFirst = timeline.index(of: Position(.backward, t: 3, .dWhh))!
    let s = Snapshot(trace: trace, cursor: Cursor(timeline: timeline, index: afterFirst))
    #expect(s.stepsAdded(to: .whh) == [3])
    #expect(s.runningTotal(.whh) == trace.contribution(to: .whh, atStep: 3))
    #expect(throws: NotComputedYet.self) { try s.contribution(.whh, t: 2) }
    let end = Snapshot(trace: trace, cursor: Cursor(timeline: timeline, index: timeline.positions.count - 1))
    for p in Parameter.allCases { #expect(end.runningTotal(p) == trace.gradients[p]) }
  }
}
