import Foundation
import Interop
import RNNCore
import Testing

@testable import Interpreter

@Suite("NumPy files")
struct NumPyTests {
  let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/npz").path

  func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "rnnstep-\(UInt64.random(in: 0...UInt64.max))-\(name)"
    ).path
  }

  @Test(
    "np.savez_compressed and np.savez files load: dtypes, Fortran order, (n,) and (n,1) biases",
    arguments: ["formula", "stored"])
  func load(_ name: String) throws {
    let file = try NumPyModelFormat.read(path: "\(fixtures)/\(name).npz")
    let p = file.model.parameters
    for i in 0..<3 {
      for j in 0..<4 { #expect(p.wxh[i, j] == Double(i) + Double(j) / 10) }
      for j in 0..<3 { #expect(p.whh[i, j] == Double(i - j) / 100) }
      #expect(p.bh[i, 0] == -Double(i))
    }
    for k in 0..<4 {
      for j in 0..<3 { #expect(p.why[k, j] == Double(k * j) / 8) }
      #expect(p.by[k, 0] == Double(k) / 3)
    }
  }

  @Test("what rnnstep saves and exports, NumPy loads with the same values")
  func numpyReads() throws {
    let model = temporary("model.npz")
    let export = temporary("export.npz")
    defer {
      try? FileManager.default.removeItem(atPath: model)
      try? FileManager.default.removeItem(atPath: export)
    }
    let i = Interpreter()
    #expect(i.execute("save \(model); export \(export)").error == nil)
    let script = """
      import numpy as np, sys
      m = np.load(sys.argv[1]); e = np.load(sys.argv[2])
      # docs/files.md's recipe, as written
      print(m['Wxh'].shape, m['bh'].shape, ''.join(map(chr, m['vocabulary'])), m['vocabulary'].dtype)
      print(repr(float(m['Whh'][0, 1])), repr(float(e['loss'])), e['hs'].shape, e['dh_raw'].shape)
      # the exported gradients are those of the saved model: check one identity in NumPy
      print(np.abs(e['dh_raw'] - (1 - e['hs'][1:] ** 2) * e['dh']).max() < 1e-15)
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // make test names a Python with NumPy (Debian's own where python3 on PATH lacks it).
    let python = ProcessInfo.processInfo.environment["RNNSTEP_PYTHON"] ?? "python3"
    process.arguments = [python, "-c", script, model, export]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    process.waitUntilExit()
    let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
      .map(String.init)
    #expect(process.terminationStatus == 0)
    #expect(lines.first == "(3, 4) (3, 1) helo int64")
    let numbers = lines[1].split(separator: " ").prefix(2).compactMap { Double($0) }
    #expect(numbers == [i.session.model.parameters.whh[0, 1], i.trace!.loss])
    #expect(lines[1].hasSuffix("(5, 3) (4, 3)"))
    #expect(lines.last == "True")
  }

  @Test("save then load .npz keeps every bit")
  func roundTrip() throws {
    let path = temporary("round.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = Interpreter()
    a.execute("set Whh[0,1] 0.1234567890123456789; h0 0.1 -0.2 0.3; save \(path)")
    let b = Interpreter()
    #expect(b.execute("new 9; load \(path)").error == nil)
    #expect(b.session.model == a.session.model)
    #expect(b.session.vocabulary == a.session.vocabulary)
  }

  @Test("compare: NumPy's own min-char-rnn gradients PASS, the tutorial's FAIL where they are wrong")
  func compare() {
    let good = run("compare \(fixtures)/mine-correct.npz")
    #expect(
      good.lines.last
        == "PASS: 12 arrays agree with rnnstep's (bptt correct; tolerance 1e-10 of each array's largest element)")
    #expect(!good.failedCheck)
    let bad = run("compare \(fixtures)/mine-seed.npz")
    #expect(bad.failedCheck)
    guard case .comparison(let report) = bad.reports.last else {
      Issue.record("no comparison report")
      return
    }
    #expect(
      report.rows.filter { !$0.passed }.map(\.name) == ["dWxh", "dWhh", "dWhy", "dbh", "dh", "dh_raw", "dh_next"])
    // The tutorial's dh_raw at t = T uses h[T], which is right: its first mistake in backward
    // order is dh_raw of step T−1, where h[T] stands for h[T−1].
    let steps = report.rows.first { $0.name == "dh" }!.shape[0]
    #expect(report.firstDivergence?.array == "dh_raw" && report.firstDivergence?.t == steps - 1)
    // Under bptt seed, rnnstep agrees with the tutorial's NumPy code, mistakes and all.
    #expect(
      run("bptt seed; compare \(fixtures)/mine-seed.npz").lines.last
        == "PASS: 12 arrays agree with rnnstep's (bptt seed; tolerance 1e-10 of each array's largest element)")
  }

  @Test("truncated, corrupt, bombed and mismatched files are refused in one line; the model stays")
  func badFiles() throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/formula.npz"))
    let path = temporary("bad.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    func attempt(_ bytes: Data) -> String? {
      try? bytes.write(to: URL(fileURLWithPath: path))
      let i = Interpreter()
      let before = i.session.model
      let outcome = i.execute("load \(path)")
      #expect(i.session.model == before)
      return outcome.error
    }
    #expect(attempt(original.prefix(original.count / 2)) == "\(path): not an .npz file (no zip directory; truncated?)")
    #expect(attempt(Data("not a zip at all".utf8)) == "\(path): not an .npz file (no zip directory; truncated?)")
    // The first member's declared size in the central directory: claim 4 GiB (a zip bomb).
    var bomb = original
    let directory = bomb.firstRange(of: Data([0x50, 0x4B, 0x01, 0x02]))!.lowerBound
    bomb.replaceSubrange((directory + 24)..<(directory + 28), with: [0xF0, 0xFF, 0xFF, 0x7F])
    #expect(attempt(bomb)?.contains("inflates to more than 512 MiB (a zip bomb?)") == true)
    // Claim fewer bytes than the data inflates to.
    var lie = original
    lie.replaceSubrange((directory + 24)..<(directory + 28), with: [16, 0, 0, 0])
    #expect(attempt(lie)?.contains("inflates to more than its declared size") == true)
    // Corrupt compressed bytes.
    var corrupt = original
    let local = corrupt.firstRange(of: Data([0x50, 0x4B, 0x03, 0x04]))!.lowerBound
    for k in (local + 60)..<(local + 80) { corrupt[k] ^= 0xFF }
    #expect(attempt(corrupt) != nil)
    // A valid archive that is not a model.
    let other = temporary("other.npz")
    defer { try? FileManager.default.removeItem(atPath: other) }
    try NPZ.write([(name: "weights", array: NumPyArray(shape: [2], values: [1, 2]))], to: other)
    #expect(run("load \(other)").error == "\(other): not a model: no array Wxh (it has weights)")
    let one = NumPyArray(shape: [1, 1], values: [1])
    try NPZ.write(
      [("Wxh", NumPyArray(shape: [1, 1], values: [.nan])), ("Whh", one), ("Why", one), ("bh", one), ("by", one)].map {
        (name: $0.0, array: $0.1)
      }, to: other)
    #expect(run("load \(other)").error == "\(other): Wxh holds a NaN or infinite value")
    try NPZ.write(
      [
        ("Wxh", one), ("Whh", NumPyArray(shape: [2, 2], values: [1, 2, 3, 4])), ("Why", one), ("bh", one), ("by", one),
      ].map {
        (name: $0.0, array: $0.1)
      }, to: other)
    #expect(run("load \(other)").error == "\(other): Whh is 2×2 but must be 1×1 (H×H, H = rows of Wxh)")
  }

  @Test("compare of gradients clipped to ±5, as min-char-rnn's lossFun returns them, says so")
  func compareClipped() throws {
    let path = temporary("clipped.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let i = Interpreter()
    i.execute("new 8 scale 4 seed 2; last")
    var arrays = i.exportArrays(i.trace!)
    var clipped: [String] = []
    for (k, (name, array)) in arrays.enumerated() where ["dWxh", "dWhh", "dWhy", "dbh", "dby"].contains(name) {
      if array.values.contains(where: { abs($0) > 5 }) { clipped.append(name) }
      arrays[k].1 = NumPyArray(shape: array.shape, values: array.values.map { min(5, max(-5, $0)) })
    }
    #expect(clipped.count >= 2, "the gradients of this model do not pass ±5: \(clipped)")
    try NPZ.write(arrays.map { (name: $0.0, array: $0.1) }, to: path)
    let outcome = i.execute("compare \(path)")
    #expect(outcome.failedCheck)
    #expect(
      outcome.lines.last
        == "(\(path)'s \(clipped.joined(separator: ", ")) stop at a bound that rnnstep's go beyond: clipped, as "
        + "min-char-rnn's lossFun clips its gradients with np.clip before returning them? compare the gradients "
        + "from before the clipping)")
    // Unclipped, no such line.
    try NPZ.write(i.exportArrays(i.trace!).map { (name: $0.0, array: $0.1) }, to: path)
    #expect(!i.execute("compare \(path)").lines.contains { $0.contains("np.clip") })
  }

  @Test("compare holds two analytic results to rounding: a 1e-5 relative error fails, and is named where it is")
  func compareTolerance() throws {
    let path = temporary("off.npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let i = Interpreter()
    i.execute("last")
    var arrays = i.exportArrays(i.trace!)
    // One element of dWhh, and dh_raw of step 3, wrong by 1e-5 relative: far below the old 1e-6 + 1e-8 floor.
    for (k, name) in arrays.map(\.0).enumerated() where name == "dWhh" || name == "dh_raw" {
      var values = arrays[k].1.values
      let index = name == "dWhh" ? 4 : 2 * 3 + 1
      values[index] *= 1 + 1e-5
      arrays[k].1 = NumPyArray(shape: arrays[k].1.shape, values: values)
    }
    try NPZ.write(arrays.map { (name: $0.0, array: $0.1) }, to: path)
    let outcome = i.execute("compare \(path)")
    #expect(outcome.failedCheck)
    guard case .comparison(let report) = outcome.reports.last else {
      Issue.record("no comparison")
      return
    }
    let dWhh = report.rows.first { $0.name == "dWhh" }!
    #expect(!dWhh.passed && abs(dWhh.maxRelative - 1e-5 / (1 + 1e-5)) < 1e-12 && dWhh.worstIndex == 4)
    #expect(report.rows.filter { !$0.passed }.map(\.name) == ["dWhh", "dh_raw"])
    #expect(report.firstDivergence == .init(array: "dh_raw", t: 3, index: 1))
    #expect(outcome.lines.contains { $0.contains("dWhh[1,1]") })
    #expect(outcome.lines.last == "first divergence in backward order: dh_raw[3][1]")
  }

  /// Runs min-char-rnn's lossFun in NumPy on the session's model and data (index inputs and
  /// targets), an independent correct BPTT; writes its gradients to `correct` and the same with
  /// dWhh scaled by `factor` to `wrong`.
  func numpyGradients(_ i: Interpreter, inputs: String, targets: String, factor: Double) throws -> (
    correct: String, wrong: String
  ) {
    let tag = UInt64.random(in: 0...UInt64.max)
    let (model, correct, wrong) = (
      temporary("np-model-\(tag).npz"), temporary("np-correct-\(tag).npz"), temporary("np-wrong-\(tag).npz")
    )
    defer { try? FileManager.default.removeItem(atPath: model) }
    #expect(i.execute("save \(model)").error == nil)
    let script = """
      import numpy as np, sys
      m = np.load(sys.argv[1]); ins = [int(x) for x in sys.argv[4].split()]; ts = [int(x) for x in sys.argv[5].split()]
      Wxh, Whh, Why, bh, by = (m[k] for k in ('Wxh', 'Whh', 'Why', 'bh', 'by'))
      bh = bh.reshape(-1, 1); by = by.reshape(-1, 1); V = Wxh.shape[1]
      xs, hs, ps = {}, {-1: m['h0'].reshape(-1, 1)}, {}
      for t in range(len(ins)):
          xs[t] = np.zeros((V, 1)); xs[t][ins[t]] = 1
          hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
          y = Why @ hs[t] + by; ps[t] = np.exp(y) / np.sum(np.exp(y))
      g = {k: np.zeros_like(v) for k, v in (('dWxh', Wxh), ('dWhh', Whh), ('dWhy', Why), ('dbh', bh), ('dby', by))}
      dhnext = np.zeros_like(hs[0])
      for t in reversed(range(len(ins))):
          dy = np.copy(ps[t]); dy[ts[t]] -= 1
          g['dWhy'] += dy @ hs[t].T; g['dby'] += dy
          dh = Why.T @ dy + dhnext; dhraw = (1 - hs[t] * hs[t]) * dh
          g['dbh'] += dhraw; g['dWxh'] += dhraw @ xs[t].T; g['dWhh'] += dhraw @ hs[t - 1].T
          dhnext = Whh.T @ dhraw
      np.savez(sys.argv[2], **g)
      g['dWhh'] = g['dWhh'] * float(sys.argv[6])
      np.savez(sys.argv[3], **g)
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let python = ProcessInfo.processInfo.environment["RNNSTEP_PYTHON"] ?? "python3"
    process.arguments = [python, "-c", script, model, correct, wrong, inputs, targets, "\(factor)"]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return (correct, wrong)
  }

  @Test("compare where the pass amplifies rounding: NumPy's correct BPTT is not failed, a wrong one is not passed")
  func compareAmplified() throws {
    // H = 20, weights randn × 2, 40 steps: gradients near 1e5, and a one-ulp change of the
    // weights moves them by 1e-10 of that, beyond compare's plain 1e-10 tolerance.
    let i = Interpreter()
    let inputs = "0 0 1 1 1 1 1 0 0 1 1 1 1 1 1 1 0 1 1 0 0 1 0 1 1 1 0 1 0 1 0 1 1 1 1 0 1 0 1 0"
    let targets = "1 0 1 1 0 0 0 1 1 1 1 0 1 1 1 0 1 0 1 0 1 0 1 0 1 0 0 0 0 1 1 1 0 0 0 1 1 0 0 1"
    i.execute("new 20 input 2 output 2 seed 706650 scale 2; inputs \(inputs); targets \(targets)")
    let (theirs, wrong) = try numpyGradients(i, inputs: inputs, targets: targets, factor: 1.001)
    defer { for path in [theirs, wrong] { try? FileManager.default.removeItem(atPath: path) } }
    let good = i.execute("compare \(theirs)")
    guard case .comparison(let report) = good.reports.last else { return #expect(Bool(false)) }
    // The regime: NumPy and rnnstep differ by more than the plain tolerance, within the rounding.
    let dWhh = report.rows.first { $0.name == "dWhh" }!
    #expect(dWhh.maxAbsolute > ComparisonReport.relativeTolerance * 1e5 && dWhh.sensitivity > 0)
    #expect(report.chaos == nil)
    #expect(!good.failedCheck && report.rows.allSatisfy { $0.verdict != .fail }, "\(good.lines)")
    let bad = i.execute("compare \(wrong)")
    guard case .comparison(let badReport) = bad.reports.last else { return #expect(Bool(false)) }
    #expect(bad.failedCheck && badReport.rows.first { $0.name == "dWhh" }!.verdict == .fail)
  }

  @Test("compare where the pass is chaotic: nothing is passed or failed, and it says why")
  func compareChaotic() throws {
    // H = 16, weights randn × 2.5, 200 steps: float64 cannot follow this pass (a one-ulp change
    // of the weights moves the loss by a tenth of itself); NumPy's correct gradients differ from
    // rnnstep's by their own size.
    let i = Interpreter()
    let inputs = (0..<200).map { String(($0 * 7 + $0 / 3) % 3) }.joined(separator: " ")
    let targets = (0..<200).map { String(($0 * 5 + $0 / 7) % 3) }.joined(separator: " ")
    i.execute("new 16 input 3 output 3 seed 11 scale 2.5; inputs \(inputs); targets \(targets)")
    let (theirs, wrong) = try numpyGradients(i, inputs: inputs, targets: targets, factor: 2)
    defer { for path in [theirs, wrong] { try? FileManager.default.removeItem(atPath: path) } }
    for path in [theirs, wrong] {
      let outcome = i.execute("compare \(path)")
      guard case .comparison(let report) = outcome.reports.last else { return #expect(Bool(false)) }
      #expect(report.chaos.map { $0.moved > 1e-3 * abs($0.loss) } == true)
      #expect(!outcome.failedCheck && report.rows.allSatisfy { $0.verdict != .pass || $0.maxAbsolute == 0 })
      #expect(outcome.lines.last!.hasPrefix("INCONCLUSIVE: "), "\(outcome.lines.last!)")
    }
  }

  @Test("a save removes the leftovers of saves whose process was killed, and only those")
  func leftovers() throws {
    let dir = temporary("leftovers")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // No process has pid 2^22 + 1 (Linux's largest is 2^22); pid 1 is always alive.
    for name in [".m.npz.tmp-4194305", ".m.npz.tmp-1", ".other.npz.tmp-4194305"] {
      #expect(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([1, 2, 3])))
    }
    #expect(Interpreter().execute("save \(dir)/m.npz").error == nil)
    let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(left == [".m.npz.tmp-1", ".other.npz.tmp-4194305", "m.npz"])
  }
}
