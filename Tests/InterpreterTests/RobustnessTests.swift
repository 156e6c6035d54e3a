import Foundation
import RNNCore
import Testing

@testable import Interop
@testable import Interpreter

/// Random and mangled input for every parser: errors are fine, crashes are not.
@Suite("Robustness")
struct RobustnessTests {
  /// Deterministic mutations of `seed` bytes: flips, cuts, insertions.
  func mutations(of seed: [UInt8], count: Int, rng: inout SeededGenerator) -> [[UInt8]] {
    (0..<count).map { _ in
      var b = seed
      for _ in 0..<(1 + rng.nextIndex(below: 4)) {
        guard !b.isEmpty else { break }
        let at = rng.nextIndex(below: b.count)
        switch rng.nextIndex(below: 3) {
        case 0: b[at] = UInt8(rng.nextIndex(below: 256))
        case 1: b.removeSubrange(at..<min(b.count, at + 1 + rng.nextIndex(below: 16)))
        default: b.insert(UInt8(rng.nextIndex(below: 256)), at: at)
        }
      }
      return b
    }
  }

  @Test("mangled .npz and .npy files are refused, never crash")
  func npz() throws {
    var rng = SeededGenerator(seed: 1)
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/npz/formula.npz")
    let original = Array(try Data(contentsOf: url))
    var refused = 0
    for bytes in mutations(of: original, count: 2000, rng: &rng) {
      if (try? NPZ.parse(bytes)) == nil { refused += 1 }
    }
    #expect(refused > 1000)  // most mutations break the archive; the rest are still readable
    let npy = Array(NumPyArray(shape: [3, 4], values: (0..<12).map(Double.init)).npyData())
    for bytes in mutations(of: npy, count: 2000, rng: &rng) { _ = try? NumPyArray.parse(npy: bytes) }
  }

  @Test("mangled JSON model files are refused, never crash")
  func json() {
    var rng = SeededGenerator(seed: 2)
    let original = Array(
      JSONModelFormat.encode(ModelFile(model: Interpreter().session.model, vocabulary: Array("helo"))))
    for bytes in mutations(of: original, count: 3000, rng: &rng) {
      if let object = try? JSONReader.parse(bytes) { _ = try? JSONModelFormat.decode(object) }
    }
  }

  @Test("random lines never crash the interpreter, and leave it working")
  func lines() {
    var rng = SeededGenerator(seed: 3)
    let words =
      CommandTable.allNames + ExpressionNames.all + ExpressionNames.functions
      + [
        "[", "]", "(", ")", ",", ":", "@", ".T", "-1", "0", "1", "3", "99999999999", "1e308", "nan", "if", "t=2",
        "--eps",
        ";", "'", "\"",
      ]
    let i = Interpreter()
    for _ in 0..<3000 {
      let line = (0..<(1 + rng.nextIndex(below: 6))).map { _ in words[rng.nextIndex(below: words.count)] }.joined(
        separator: " ")
      // Nothing that waits for long work or touches files.
      if [
        "train", "gradcheck", "gc", "source", "save", "load", "export", "compare", "corpus", "series", "sample", "quit",
        "q", "exit", "new", "plot", "lesson", "lessons",
      ]
      .contains(where: { line.contains($0) }) {
        continue
      }
      _ = i.execute(line)
    }
    #expect(i.execute("example hello; step; step; print h[1][0] == h[1][0]").lines.last == "h[1][0] == h[1][0] = 1")
  }

  /// Lines that once killed the process (stack overflow, Double→Int traps, NaN in pictures, an
  /// index past the vocabulary): each must give one error line, or run, and leave the session.
  @Test(
    "inputs that used to crash give one clear line and the session goes on",
    arguments: [
      "print " + String(repeating: "1+", count: 4000) + "1", "print " + String(repeating: "(", count: 15000),
      "print " + String(repeating: "-", count: 4000) + "1", "print h0" + String(repeating: ".T", count: 4000),
      "print Whh" + String(repeating: "[0]", count: 4000), "watch " + String(repeating: "1+", count: 4000) + "1",
      "display " + String(repeating: "(", count: 4000) + "1",
      "break dh if " + String(repeating: "-", count: 4000) + "1",
      "set Whh[1e300,0] 1", "gradcheck sweep bh[1e19]", "explain h[1e300][0]", "plot log(Whh)",
      "plot log(Whh) --svg /dev/null.svg",
      "new 3 scale 1e308", "new 8 input 4 output 9; sample 20", "sample 20 temperature 1e-320",
      "set Why[0,0] 1e308; gradcheck sweep by[0]", String(repeating: "x", count: 1_000_000), "lesson 1 2 3",
      "inputs " + String(repeating: "0 ", count: 100_001), "train 10000000",
    ])
  func formerCrashes(_ line: String) {
    let i = Interpreter()
    let before = i.session.model
    let outcome = i.execute(line)
    if let error = outcome.error {
      #expect(!error.contains("\n") && error.count < 400, "\(error.prefix(200))")
    }
    #expect(i.execute("print 1 + 1").values == [Matrix(column: [2])])
    if outcome.error != nil { #expect(i.session.model == before || line.hasPrefix("new")) }
  }
}
