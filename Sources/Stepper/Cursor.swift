/// Where the learner is in a recorded pass: before everything, or just after one equation.
///
/// Moving is changing an index into the ``Timeline``; nothing is recomputed, so going back in
/// time is as cheap as going forward.
public struct Cursor: Equatable, Sendable {
  public let timeline: Timeline
  /// −1 before the first equation; otherwise the index of the equation last computed.
  public private(set) var index: Int

  public init(timeline: Timeline, index: Int = -1) {
    precondition(index >= -1 && index < timeline.positions.count, "cursor index \(index) outside the pass")
    self.timeline = timeline
    self.index = index
  }

  /// The place of the equation last computed, nil before the first.
  public var position: Position? { index >= 0 ? timeline.positions[index] : nil }

  public var isAtStart: Bool { index == -1 }
  public var isAtEnd: Bool { index == timeline.positions.count - 1 }

  /// Moves to `index` (clamped to the pass); returns whether the cursor moved.
  @discardableResult
  public mutating func move(to index: Int) -> Bool {
    let clamped = Swift.min(Swift.max(index, -1), timeline.positions.count - 1)
    defer { self.index = clamped }
    return clamped != self.index
  }

  /// The index one equation on.
  public var afterStep: Int { index + 1 }
  /// The index one equation back.
  public var beforeStep: Int { index - 1 }

  /// The end of this time step, or of the next one if the cursor is already at an end of step.
  public var afterNext: Int {
    if isAtStart { return timeline.endOfStep(containing: 0) }
    let end = timeline.endOfStep(containing: index)
    if end != index { return end }
    return end + 1 < timeline.positions.count ? timeline.endOfStep(containing: end + 1) : end
  }

  /// The end of the previous time step (the start if there is none).
  public var beforeNext: Int {
    guard let p = position else { return -1 }
    let first = timeline.index(of: Position(p.phase, t: p.t, timeline.equations(of: p.phase)[0]))!
    return first - 1
  }

  /// The end of the current phase, or of the backward phase when already at the end of forward.
  public var afterFinish: Int {
    guard let p = position else { return timeline.endOfPhase(.forward) }
    let end = timeline.endOfPhase(p.phase)
    return end == index ? timeline.endOfPhase(.backward) : end
  }
}
