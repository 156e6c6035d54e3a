import Testing

@testable import RNNCore

/// rnnstep against the independent NumPy implementation in Fixtures/make_fixtures.py.
@Suite("NumPy reference")
struct NumPyReferenceTests {
  static let tolerance = 1e-12

  @Test("forward pass matches NumPy", arguments: Reference.shared.cases.indices)
  func forward(_ index: Int) throws {
    let c = Reference.shared.cases[index]
    let trace = try BPTTEngine().record(model: c.model, data: c.data, loss: c.lossKind)
    let e = c.expected
    #expect(largestRelativeDifference([trace.loss], [e.loss]) <= Self.tolerance, "\(c.name): loss")
    #expect(largestRelativeDifference(trace.losses, e.losses) <= Self.tolerance, "\(c.name): losses")
    #expect(largestRelativeDifference(trace.hs.storage, e.hs.flatMap { $0 }) <= Self.tolerance, "\(c.name): hs")
    #expect(largestRelativeDifference(trace.ys.storage, e.ys.flatMap { $0 }) <= Self.tolerance, "\(c.name): ys")
    if let ps = e.ps {
      #expect(largestRelativeDifference(trace.ps!.storage, ps.flatMap { $0 }) <= Self.tolerance, "\(c.name): ps")
    } else {
      #expect(trace.ps == nil)
    }
  }

  @Test(
    "BPTT matches NumPy, correct and seed variants",
    arguments: Reference.shared.cases.indices, [BPTTVariant.correct, .seed])
  func backward(_ index: Int, _ variant: BPTTVariant) throws {
    let c = Reference.shared.cases[index]
    let e = variant == .correct ? c.expected.correct : c.expected.seed
    for useSecondCore in [false, true] {
      let engine = BPTTEngine(useSecondCore: useSecondCore)
      let trace = try engine.record(model: c.model, data: c.data, loss: c.lossKind, variant: variant)
      let label = "\(c.name) \(variant)"
      let pairs: [(String, [Double], [[Double]])] = [
        ("dy", trace.dy.storage, e.dy), ("dh", trace.dh.storage, e.dh),
        ("dh_raw", trace.dhRaw.storage, e.dh_raw), ("dh_next", trace.dhNext.storage, e.dh_next),
        ("dWxh", trace.gradients.wxh.storage, e.dWxh), ("dWhh", trace.gradients.whh.storage, e.dWhh),
        ("dWhy", trace.gradients.why.storage, e.dWhy),
      ]
      for (name, actual, expected) in pairs {
        #expect(largestRelativeDifference(actual, expected.flatMap { $0 }) <= Self.tolerance, "\(label): \(name)")
      }
      #expect(largestRelativeDifference(trace.gradients.bh.storage, e.dbh) <= Self.tolerance, "\(label): dbh")
      #expect(largestRelativeDifference(trace.gradients.by.storage, e.dby) <= Self.tolerance, "\(label): dby")
      // The fast path gives exactly what the record holds.
      let fast = try engine.gradients(of: c.model, on: c.data, loss: c.lossKind, variant: variant)
      #expect(fast.gradients == trace.gradients, "\(label): fast path (second core: \(useSecondCore))")
      #expect(fast.loss == trace.loss)
    }
  }

  @Test("SeededGenerator matches the Python re-implementation bit for bit")
  func generator() {
    for r in Reference.shared.random {
      let seed = UInt64(r.seed)!
      var g = SeededGenerator(seed: seed)
      #expect(r.next.map { UInt64($0)! } == (0..<4).map { _ in g.next() }, "seed \(seed): raw bits")
      var h = SeededGenerator(seed: seed)
      #expect(r.gaussians == (0..<10).map { _ in h.nextGaussian() }, "seed \(seed): Gaussians")
    }
  }
}
