import CPlatform
import Foundation
import Synchronization

/// How many cores the calling thread may run on (the processor count where that cannot be
/// known): with one (a one-core machine, or `taskset -c 0`), a second thread only takes turns.
func allowedCoreCount() -> Int {
  var count: Int32 = 0
  _ = rnnstep_last_allowed_cpu(&count)
  return count > 0 ? Int(count) : ProcessInfo.processInfo.activeProcessorCount
}

/// A second thread that takes one job at a time from the thread that owns it.
///
/// A forward and backward pass at min-char-rnn size takes under 100 µs, too short to wake a
/// sleeping thread for each half of it (a futex wake-up costs several µs). So the helper spins
/// for a while after each job, and only sleeps on a condition after about a millisecond idle.
/// Work reaches it only through ``concurrently(_:_:)``, which returns after both halves are
/// done: memory the two borrow cannot outlive the call, by construction.
final class HelperThread: @unchecked Sendable {
  /// A job: runs on the helper thread, touching memory the owner does not touch until `wait`.
  typealias Job = @Sendable () -> Void

  private let requested = Atomic<Int>(0)
  private let completed = Atomic<Int>(0)
  private let stopping = Atomic<Bool>(false)
  private let sleeping = Atomic<Bool>(false)
  private let condition = NSCondition()
  // Written by the owner before `requested` is raised, read by the helper after it sees it.
  private nonisolated(unsafe) var job: Job?

  /// The core the helper is pinned to: the highest-numbered one its owner may use (not the
  /// core count minus one: the allowed cores need not start at 0); -1 when there is no second.
  let core: Int32

  init() {
    var count: Int32 = 0
    let last = rnnstep_last_allowed_cpu(&count)
    core = count > 1 ? last : -1
    let thread = Thread { [self] in loop() }
    thread.name = "rnnstep-helper"
    thread.start()
  }

  /// Runs `helperPart` on the helper thread while `ownerPart` runs on the calling thread, and
  /// returns `ownerPart`'s result once both have finished. Called from one owning thread.
  func concurrently<R>(_ helperPart: @Sendable () -> Void, _ ownerPart: () throws -> R) rethrows -> R {
    try withoutActuallyEscaping(helperPart) { job in
      run(job)
      defer {
        wait()
        // The helper has let go of the job; so does this thread, before the job's scope ends.
        self.job = nil
      }
      return try ownerPart()
    }
  }

  /// Runs `body` with the calling thread kept off the core the helper is pinned to, then puts
  /// its CPU mask back. Left to the scheduler, the two sometimes shared one core for a whole
  /// process (a pass 1.7–2.5× slower in one run of four); kept apart, not once in many runs. The
  /// mask is put back so that threads the caller starts later (a gradient check's workers) are
  /// not confined with it.
  func keepingOwnerOffHelperCore<R>(_ body: () throws -> R) rethrows -> R {
    var saved = rnnstep_cpu_mask()
    guard core >= 0, rnnstep_keep_off_cpu(core, &saved) == 0 else { return try body() }
    defer { rnnstep_set_cpu_mask(&saved) }
    return try body()
  }

  /// Starts `job` on the helper thread.
  private func run(_ job: @escaping Job) {
    self.job = job
    // Sequentially consistent with the helper's `sleeping` store and `requested` load, so
    // that either the helper sees this job or this thread sees it asleep and wakes it.
    requested.add(1, ordering: .sequentiallyConsistent)
    if sleeping.load(ordering: .sequentiallyConsistent) {
      condition.lock()
      condition.signal()
      condition.unlock()
    }
  }

  /// Waits until the job given to `run` has finished; its writes are then visible.
  private func wait() {
    let target = requested.load(ordering: .relaxed)
    var backoff = Backoff()
    while completed.load(ordering: .acquiring) != target { backoff.pause() }
  }

  /// Ends the helper thread after its current job.
  func stop() {
    stopping.store(true, ordering: .releasing)
    condition.lock()
    condition.signal()
    condition.unlock()
  }

  /// Runs the job in a frame of its own, so that its reference is released before the owner
  /// learns that it finished.
  @inline(never)
  private func runJob() {
    job?()
  }

  private func loop() {
    if core >= 0 { _ = rnnstep_pin_to_cpu(core) }
    var done = 0
    while true {
      var spins = 0
      while requested.load(ordering: .acquiring) == done {
        if stopping.load(ordering: .acquiring) { return }
        spins += 1
        if spins < 20_000 {
          // After a short spin, yield: if the scheduler put both threads on one core, spinning
          // would only delay the thread being waited for.
          if spins < 256 { rnnstep_cpu_relax() } else { sched_yield() }
          continue
        }
        // Idle for a while: sleep until `run` or `stop` signals.
        condition.lock()
        sleeping.store(true, ordering: .sequentiallyConsistent)
        while requested.load(ordering: .sequentiallyConsistent) == done && !stopping.load(ordering: .acquiring) {
          condition.wait()
        }
        sleeping.store(false, ordering: .releasing)
        condition.unlock()
        spins = 0
      }
      done += 1
      runJob()
      completed.store(done, ordering: .releasing)
    }
  }
}

/// Waiting for another thread: a few spins with the processor's pause hint, then yielding the
/// core, so that a thread that shares it with the one waited for lets it run.
struct Backoff {
  private var spins = 0

  mutating func pause() {
    spins += 1
    if spins < 256 { rnnstep_cpu_relax() } else { sched_yield() }
  }
}
