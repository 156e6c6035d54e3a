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
public struct Cancelled: Error, Equatable, CustomStringConvertible {
  /// How much was done before the stop, e.g. "1200 of 23165 elements".
  public let progress: String

  public init(progress: String) { self.progress = progress }

  public var description: String { "interrupted after \(progress)" }
}
