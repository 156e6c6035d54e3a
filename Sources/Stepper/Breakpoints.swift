/// A set of places given by any of phase, time step and equation, e.g. `backward t=3 dh_raw`,
/// `dh_raw` (that equation at every step) or `backward t=3` (that whole step).
public struct Place: Equatable, Sendable {
  public var phase: Phase?
  public var t: Int?
  public var equation: Equation?

  public init(phase: Phase? = nil, t: Int? = nil, equation: Equation? = nil) {
    self.phase = phase
    self.t = t
    self.equation = equation
  }

  /// Whether a breakpoint on this place stops at `position`. Without an equation a place
  /// stops once per time step, after its last equation, when all of the step is computed.
  public func matches(_ position: Position, in timeline: Timeline) -> Bool {
    if let phase, position.phase != phase { return false }
    if let t, position.t != t { return false }
    if let equation { return position.equation == equation }
    return timeline.equations(of: position.phase).last == position.equation
  }

  /// The first matching index, if any: the place `goto` and `until` move to.
  public func firstIndex(in timeline: Timeline) -> Int? {
    if equation == nil, t != nil || phase != nil {
      // A whole step or phase: its first equation.
      return timeline.positions.firstIndex {
        (phase == nil || $0.phase == phase) && (t == nil || $0.t == t)
      }
    }
    return timeline.positions.firstIndex { matches($0, in: timeline) }
  }
}

/// A breakpoint: where, an optional condition (kept as the learner wrote it; the interpreter
/// evaluates it), whether it is on, and whether it deletes itself when hit (`tbreak`).
public struct Breakpoint: Equatable, Sendable {
  public let number: Int
  public var place: Place
  public var condition: String?
  public var enabled = true
  public var temporary = false
  public var hits = 0

  public init(number: Int, place: Place, condition: String? = nil, temporary: Bool = false) {
    self.number = number
    self.place = place
    self.condition = condition
    self.temporary = temporary
  }
}

/// Breakpoints, watches and displays share one numbering, like gdb's.
public struct Breakpoints: Equatable, Sendable {
  public private(set) var all: [Breakpoint] = []
  private var nextNumber = 1

  public init() {}

  /// Adds a breakpoint and returns its number.
  public mutating func add(_ place: Place, condition: String?, temporary: Bool) -> Int {
    all.append(Breakpoint(number: nextNumber, place: place, condition: condition, temporary: temporary))
    nextNumber += 1
    return nextNumber - 1
  }

  /// A number from the same sequence for something else that stops the cursor (a watch), as
  /// gdb numbers breakpoints and watchpoints together.
  public mutating func reserveNumber() -> Int {
    defer { nextNumber += 1 }
    return nextNumber
  }

  /// Removes one breakpoint (all of them when `number` is nil); false if there was none.
  @discardableResult
  public mutating func delete(_ number: Int?) -> Bool {
    guard let number else {
      defer { all.removeAll() }
      return !all.isEmpty
    }
    guard let i = all.firstIndex(where: { $0.number == number }) else { return false }
    all.remove(at: i)
    return true
  }

  /// Turns one breakpoint on or off; false if there is none with that number.
  @discardableResult
  public mutating func setEnabled(_ number: Int, _ enabled: Bool) -> Bool {
    guard let i = all.firstIndex(where: { $0.number == number }) else { return false }
    all[i].enabled = enabled
    return true
  }

  /// Notes a hit; a temporary breakpoint is deleted by it.
  public mutating func hit(_ number: Int) {
    guard let i = all.firstIndex(where: { $0.number == number }) else { return }
    all[i].hits += 1
    if all[i].temporary { all.remove(at: i) }
  }

  /// The enabled breakpoints whose place matches `position`.
  public func candidates(at position: Position, in timeline: Timeline) -> [Breakpoint] {
    all.filter { $0.enabled && $0.place.matches(position, in: timeline) }
  }
}
