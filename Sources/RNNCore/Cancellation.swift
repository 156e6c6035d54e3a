import Synchronization

/// A flag that long work polls so that another thread (a Ctrl-C handler) can stop it.
public final class CancellationFlag: Sendable {
  private let cancelled = Atomic<Bool>(false)

  public init() {}

  /// Asks the work to stop at its next check.
  public func cancel() { cancelled.store(true, ordering: .relaxed) }

  /// Clears the flag for the next piece of work.
  public func reset() { cancelled.store(false, ordering: .relaxed) }

  /// True once ``cancel()`` was called.
  public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Long work stopped by a ``CancellationFlag``; whatever it was changing is left as it was.
public struct Cancelled: Error, Equatable {
  /// What the work counts.
  public enum Unit: String, Sendable {
    case elements, updates, characters, quantities, steps, operations
  }

  /// How much was done before the stop, of how much.
  public let done: Int
  public let total: Int
  public let unit: Unit

  public init(done: Int, total: Int, unit: Unit) {
    self.done = done
    self.total = total
    self.unit = unit
  }
}
