import Foundation
import RNNCore
import Testing

@testable import Interop
@testable import Interpreter

/// Random and mangled input for every parser: errors are fine, crashes are not.
@Suite("Robustness")
struct RobustnessTests {
  /// make fuzz asks for more mutations (RNNSTEP_FUZZ_FILES) from other seeds (RNNSTEP_FUZZ_SEED).
  static let environment = ProcessInfo.processInfo.environment
  static let files = Int(environment["RNNSTEP_FUZZ_FILES"] ?? "") ?? 2000
  static let seed = UInt64(environment["RNNSTEP_FUZZ_SEED"] ?? "") ?? 0

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
    var rng = SeededGenerator(seed: 1 + 100 * Self.seed)
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/npz/formula.npz")
    let original = Array(try Data(contentsOf: url))
    var refused = 0
    for bytes in mutations(of: original, count: Self.files, rng: &rng) {
      if (try? NPZ.parse(bytes)) == nil { refused += 1 }
    }
    #expect(refused > Self.files / 2)  // most mutations break the archive; the rest are still readable
    let npy = Array(NumPyArray(shape: [3, 4], values: (0..<12).map(Double.init)).npyData())
    for bytes in mutations(of: npy, count: Self.files, rng: &rng) { _ = try? NumPyArray.parse(npy: bytes) }
  }

  @Test("mangled JSON model files are refused, never crash")
  func json() {
    var rng = SeededGenerator(seed: 2 + 100 * Self.seed)
    let original = Array(
      JSONModelFormat.encode(ModelFile(model: Interpreter().session.model, vocabulary: Array("helo"))))
    for bytes in mutations(of: original, count: Self.files + 1000, rng: &rng) {
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

  /// Crafted archives: every field that sizes or places something, pushed past the file or past
  /// what an Int holds. Each must be refused with a line, never trap.
  @Test("crafted .npz and .npy fields are refused: sizes, offsets, counts, dtypes, CRC")
  func craftedArchives() throws {
    let good = Array(NPZ.archive([(name: "Whh", array: NumPyArray(shape: [2, 2], values: [1, 2, 3, 4]))]))
    #expect((try? NPZ.parse(good))?["Whh"]?.values == [1, 2, 3, 4])
    let eocd = good.count - 22
    func patched(_ at: Int, _ values: [UInt8]) -> [UInt8] {
      var b = good
      for (k, v) in values.enumerated() { b[at + k] = v }
      return b
    }
    let directory = Int(good[eocd + 16]) | Int(good[eocd + 17]) << 8
    var crafted: [[UInt8]] = [
      patched(eocd + 10, [0xFF, 0xFF]), patched(eocd + 16, [0xFF, 0xFF, 0xFF, 0xFF]),
      patched(directory + 20, [0xFF, 0xFF, 0xFF, 0x7F]), patched(directory + 24, [0xFF, 0xFF, 0xFF, 0xFF]),
      patched(directory + 42, [0xFF, 0xFF, 0xFF, 0xFF]), patched(directory + 28, [0xFF, 0xFF]),
      patched(directory + 30, [0xFF, 0xFF]),
    ]
    // A zip64 end record whose counts and offsets are near 2^63, or negative as Int.
    for high: UInt8 in [0x7F, 0xFF] {
      var z = Array(good[..<eocd])
      let record = z.count
      z += [0x50, 0x4B, 0x06, 0x06] + [UInt8](repeating: 0, count: 28)
      z += [UInt8](repeating: 0xFF, count: 7) + [high] + [UInt8](repeating: 0, count: 8)
      z += [UInt8](repeating: 0xFF, count: 7) + [high] + [UInt8](repeating: 0xFF, count: 7) + [high]
      z +=
        [0x50, 0x4B, 0x06, 0x07, 0, 0, 0, 0] + withUnsafeBytes(of: UInt64(record).littleEndian, Array.init) + [
          1, 0, 0, 0,
        ]
      z += Array(good[eocd...])
      z[z.count - 22 + 10] = 0xFF
      z[z.count - 22 + 11] = 0xFF
      crafted.append(z)
    }
    // A flipped bit in the data: the CRC catches it.
    crafted.append(patched(good.count - 22 - (directory > 0 ? 60 : 0) - 1, [good[good.count - 22 - 61] ^ 0x40]))
    for bytes in crafted {
      #expect(throws: NumPyError.self) { try NPZ.parse(bytes) }
    }
    for dtype in ["<u-1", "<f99999999999999999999", "<f0", "<i-8", "|b9223372036854775807"] {
      let header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': (2,), }"
      let bytes =
        [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        + [UInt8](repeating: 1, count: 16)
      #expect(throws: NumPyError.self) { try NumPyArray.parse(npy: bytes) }
    }
    // Headers NumPy itself would refuse are refused, each saying what is wrong.
    func header(_ text: String) -> String? {
      let bytes =
        [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count), 0] + Array(text.utf8)
        + [UInt8](repeating: 0, count: 16)
      do {
        _ = try NumPyArray.parse(npy: bytes)
        return nil
      } catch { return "\(error)" }
    }
    #expect(header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }") == nil)
    #expect(
      header("{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999, 9999999999), }")
        == "[9999999999, 9999999999] is more than 2^63 elements, more than rnnstep reads (67108864)")
    #expect(header("{'descr': '<f8', 'fortran_order': False, 'shape': ((((2,)))), }")?.hasPrefix("bad shape") == true)
    #expect(
      header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}")
        == "the header has a key 'extra', which .npy headers do not have")
    #expect(
      header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }")?.hasPrefix(
        "a structured dtype (named fields)") == true)
    #expect(
      header("{'descr': '<f8', 'fortran_order': 'False', 'shape': (2,), }")
        == "fortran_order is 'False', not True or False")
    #expect(
      header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk")
        == "the header is not one dictionary: it has text after its closing }")
    #expect(
      header("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }")
        == "the header has 'descr' twice")
  }

  @Test(
    "the JSON reader follows RFC 8259: surrogate pairs read, +0.47 .47 01 1e400 raw newlines and bad escapes refused")
  func jsonFollowsRFC8259() throws {
    func read(_ text: String) throws -> Any { try JSONReader.parse(Array(text.utf8)) }
    #expect(try read(#"["\uD83D\uDE00", "\u00e9\/\"\\"]"#) as? [String] == ["😀", "é/\"\\"])
    #expect(try read("[-0.5e-3, 0, 12.25E2, -0]") as? [Double] == [-0.0005, 0, 1225, 0])
    for bad in [
      "[+0.47]", "[.47]", "[01]", "[1.]", "[1e]", "[-]", "[1e400]", "[\"a\nb\"]", "[\"\\uD83D\"]", "[\"\\uDE00\"]",
      "[\"\\a\"]", "[\"\\u12\"]", "[0x10]", "[Infinity]", "[1,]",
    ] {
      #expect((try? read(bad)) == nil, "\(bad)")
    }
    // UTF-8 only, no byte order mark: each refusal says which byte and where.
    func failure(_ bytes: [UInt8]) -> String? {
      do {
        _ = try JSONReader.parse(bytes)
        return nil
      } catch let error as JSONReader.Failure { return error.message } catch { return "\(error)" }
    }
    #expect(
      failure(Array("[\"".utf8) + [0xE9] + Array("\"]".utf8)) == "byte 0xE9, which is not UTF-8, at line 1, column 3")
    #expect(failure([0xEF, 0xBB, 0xBF] + Array("[1]".utf8))?.hasPrefix("a UTF-8 byte order mark") == true)
    #expect(failure([0xFF, 0xFE, 0x5B, 0x00]) == "UTF-16 text (byte order mark FF FE); JSON is UTF-8")
    for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]] {
      #expect(JSONReader.firstInvalidUTF8(bad) == 0, "\(bad)")
    }
    #expect(JSONReader.firstInvalidUTF8(Array("é😀\u{10FFFF}".utf8)) == nil)
    // "version" is the number 1; inputs that look like indices say which one is not.
    let model = #"{"Wxh": [[1]], "Whh": [[1]], "Why": [[1]], "bh": [0], "by": [0]"#
    func load(_ extra: String) -> String? {
      do {
        _ = try JSONModelFormat.decode(Array((model + extra + "}").utf8), path: "m.json")
        return nil
      } catch { return "\(error)" }
    }
    #expect(load("") == nil && load(#", "version": 1"#) == nil)
    #expect(
      load(#", "version": "1""#)?.hasSuffix(
        #""version" must be the number 1, the version this rnnstep reads and writes"#) == true)
    #expect(
      load(#", "version": 0"#)?.hasSuffix(#""version" must be the number 1, the version this rnnstep reads and writes"#)
        == true)
    #expect(load(#", "version": 2"#)?.hasSuffix("model file version 2 is newer than this rnnstep reads (1)") == true)
    #expect(
      load(#", "inputs": [0, 0, -1], "targets": [0, 0, 0]"#)?.hasSuffix(
        #""inputs" element 2 is -1.0: an index is a whole number from 0 (or give rows of vectors)"#) == true)
  }

  @Test("an error that echoes a huge input stays one readable line")
  func hugeInputsGiveShortErrors() {
    let i = Interpreter()
    let huge = String(repeating: "9", count: 100_000)
    for line in [
      "step \(huge)", "print h\(huge)", "lesson \(huge)", "\(huge)", "print unknown\(huge)", "set eps \(huge)x",
    ] {
      let out = i.execute(line)
      #expect(out.error != nil && out.error!.count <= 401 && out.lines.count == 1, "\(line.prefix(20))")
    }
    #expect(i.execute("print 1 + 1").lines == ["1 + 1 = 2"])
  }

  @Test("what save writes, load reads: a model too large for JSON is refused by save, and goes to .npz and back")
  func saveAndLoadAgree() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnnstep-limits-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let i = Interpreter()
    // H = 2000 with 4 characters: 4 million parameters, over 64 MiB as JSON text.
    #expect(i.execute("new 2000").error == nil)
    let refused = i.execute("save \(folder)/big.json")
    #expect(refused.error?.contains("more than the 64 MiB load reads; save it as .npz") == true, "\(refused.lines)")
    #expect(!FileManager.default.fileExists(atPath: folder + "/big.json"))
    #expect(i.execute("save \(folder)/big.npz").error == nil)
    let saved = i.session.model
    i.execute("new 3")
    #expect(i.execute("load \(folder)/big.npz").error == nil)
    #expect(i.session.model == saved)
    // The largest JSON that save writes loads back.
    i.execute("new 500")
    #expect(i.execute("save \(folder)/small.json").error == nil)
    let small = i.session.model
    i.execute("new 3")
    #expect(i.execute("load \(folder)/small.json").error == nil && i.session.model == small)
  }

  @Test("after a reviewer's findings: no NaN model left behind, stale cursors and watches, crashes in equations")
  func reviewFindings() {
    // An update that makes a parameter NaN leaves the model as it was.
    let i = Interpreter()
    let before = i.session.model
    #expect(
      i.execute("optimizer sgd; lr 1e308; clip off; train 5").error?.hasSuffix("as it was before this train") == true)
    #expect(i.session.model == before)
    // Steps that overflow the loss still leave finite parameters, or are refused.
    _ = i.execute("update 1e308; update 1e308; update 1e308")
    #expect(i.session.model.parameters.isFinite)
    // A cursor sent to the start by a command that changed nothing: watches see it there.
    let w = Interpreter()
    w.execute("watch h[1]; next")
    #expect(w.execute("loss softmax").lines.last!.hasSuffix("the cursor is at the start)"))
    #expect(w.execute("continue").lines.first == "watch 1: h[1]: (not computed) → [0.448, 0.1512, -0.6832]")
    // Equations: an index past the pass is an error, not a crash.
    #expect(
      Interpreter().execute("let dy = p - target[t+1]").error
        == "your dy equation fails at t=4: target[5] does not exist: t runs from 1 to 4")
    // A huge wrong analytic value does not excuse itself as "too steep".
    let b = Interpreter().execute("let dy = (p - target) * 1000; blame")
    #expect(b.lines.last!.hasPrefix("first wrong: dy[4]"))
  }

  @Test("after a hostile newcomer's findings: sizes stated and refused, NaN handled, watches that cannot work refused")
  func hostileFindings() throws {
    // seqlen alone shows the setting, and changes nothing.
    #expect(run("seqlen").lines == ["seqlen 25"])
    #expect(run("seqlen 100001").error == "100001 is more than the 100000 seqlen takes")
    // A pass that would not fit in memory is refused before anything is allocated.
    let huge = run("seqlen 100000", after: ["new 1000"])
    #expect(huge.error?.hasPrefix("a pass of 100000 steps at H = 1000, V = 4 would take ") == true)
    #expect(huge.error?.hasSuffix("rnnstep keeps passes of up to 256 MiB: a shorter seqlen or a smaller model") == true)
    // 16 bytes × T × (Vin + 8H + 5V): the estimate, from the shapes.
    let model = try RNN(inputSize: 4, hiddenSize: 1000, outputSize: 4, seed: 1)
    #expect(Trace.bytes(of: model, steps: 100) == 16 * 100 * (4 + 8000 + 20))
    // An expression too large to answer in seconds is refused before it starts.
    #expect(
      run("print norm(Whh @ Whh)", after: ["new 4096"]).error
        == "this product would take 6.9e+10 multiply-adds; an expression may take up to 2e+09 (column 16)")
    // svd scales first: no overflow to NaN, no underflow to 0 (Whh's singular values, scaled).
    let s = run("print svd(Whh)").values[0].storage
    let big = run("print svd(Whh * 1e155)").values[0].storage
    let small = run("print svd(Whh * 1e-200)").values[0].storage
    for k in 0..<3 {
      #expect(abs(big[k] / 1e155 - s[k]) <= 1e-14 * s[k])
      #expect(abs(small[k] / 1e-200 - s[k]) <= 1e-14 * s[k])
    }
    // NaN is never ignored or printed as -nan.
    #expect(run("print norm(h0/0)").number!.isNaN)
    let check = run("set by[1] -1e308; set by[0] 1e308; gradcheck by").lines.joined(separator: "\n")
    #expect(!check.contains("-nan") && check.contains("nan"))
    // A file compared with itself agrees, NaN and all.
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(getpid()).npz").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let i = Interpreter()
    i.execute("update 1e308; update 1e308; run")
    #expect(i.execute("export \(path)").error == nil)
    let compared = i.execute("compare \(path)")
    #expect(compared.error == nil && !compared.failedCheck)
    // A watch of NaN does not stop everywhere; a watch that can never be computed is refused.
    #expect(run("watch 0/0; continue").lines.last == "(end of the pass)")
    #expect(run("watch h[99]").error == "h[99] does not exist: t runs from 0 to 4 (column 1)")
    // What follows a command that takes nothing is refused, not ignored.
    #expect(run("quit now").error == "quit takes nothing after it, not 'now'")
    #expect(run("example sine extra").error == "usage: example hello|sine|echo")
    #expect(run("help help help").error == "usage: help [COMMAND]")
    // An input index the model has no input for is refused when given.
    #expect(
      run("inputs 0 1 4").error?.hasPrefix("input at t=3 is index 4, outside 0 to 3 (the input size is 4)") == true)
    // Control characters typed or read are shown, never sent to the terminal.
    #expect(run("foo\u{1B}[31m").error == "unknown command 'foo\\u{1b}[31m' (type help for the list)")
    #expect(Renderer.printable("\r") == "\\r" && Renderer.printable("\u{0}") == "\\u{0}")
    // A line over 1 MiB is refused unread.
    #expect(
      run(String(repeating: "x", count: (1 << 20) + 1)).error
        == "the line is 1048577 bytes long; rnnstep reads lines of up to 1 MiB")
    // .npz keeps one code point per character: a vocabulary of longer ones is refused, not cut.
    let combining = FileManager.default.temporaryDirectory.appendingPathComponent("comb-\(getpid()).NPZ").path
    defer { try? FileManager.default.removeItem(atPath: combining) }
    let v = Interpreter()
    v.session.vocabulary = ["e\u{301}", "e", "l", "o"]
    #expect(
      v.execute("save \(combining)").error
        == "the vocabulary's character U+65 U+301 is 2 code points, and .npz keeps one per character: "
        + "save it as .json; nothing was written")
    #expect(!FileManager.default.fileExists(atPath: combining))
    v.session.vocabulary = ["h", "e", "l", "o"]
    #expect(v.execute("save \(combining); load \(combining)").error == nil)  // .NPZ as .npz
    // A reader's own limit applies: an .npz over 64 MiB (H = 4096 is 134 MB) is read up to 512 MiB.
    let large = FileManager.default.temporaryDirectory.appendingPathComponent("large-\(getpid()).bin").path
    defer { try? FileManager.default.removeItem(atPath: large) }
    FileManager.default.createFile(atPath: large, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: large))
    try handle.truncate(atOffset: UInt64(65 << 20))
    try handle.close()
    #expect(try JSONModelFormat.readLimited(large, limit: 512 << 20).count == 65 << 20)
    #expect(throws: FileError(path: large, problem: "68157440 bytes is more than the 64 MiB a model file may have")) {
      try JSONModelFormat.readLimited(large)
    }
    #expect(throws: FileError(path: "/", problem: "is a folder, not a file")) { try JSONModelFormat.readLimited("/") }
  }

  @Test("after a second hostile newcomer: equations' memory, conditions and displays, settings alone, CRLF CSV")
  func secondHostileFindings() throws {
    // Your equations keep every step's contribution to every parameter: sized before recording.
    let steps = String(repeating: " 0", count: 59)
    let big = run("let dh_raw = (1 - h*h) * dh", after: ["new 800", "inputs" + steps, "targets" + steps])
    #expect(
      big.error?.hasPrefix("your equations keep what each of the 59 steps adds to all 647204 parameters: 583 MiB")
        == true)
    // A class the model has no output for is refused when given.
    #expect(
      run("targets 0 1 2 9").error
        == "target at t=4 is index 9, outside 0 to 3 (the output size is 4); new H output N makes a model with more")
    // Settings alone show what they are.
    #expect(run("lr").lines == ["learning rate 0.1"])
    #expect(run("clip").lines == ["clip 5"] && run("clip", after: ["clip norm 2"]).lines == ["clip norm 2"])
    #expect(run("optimizer").lines == ["optimizer adagrad, learning rate 0.1"])
    // Displays and conditions that can never be computed are refused; ones that wait are kept.
    #expect(run("display h[99]").error == "h[99] does not exist: t runs from 0 to 4 (column 1)")
    #expect(run("break dh if h", after: ["last"]).error == "the condition 'h' is 3×1, not one number")
    #expect(run("display h").error == nil && run("watch h").error == nil)
    // A NaN condition does not stop.
    #expect(run("break dh if 0/0; continue").lines.last == "(end of the pass)")
    // CSV with CRLF (one Character in Swift) or CR line ends, and a byte order mark.
    for ending in ["\r\n", "\r"] {
      let csv = "\u{FEFF}x,target" + ending + "0.1,0.2" + ending + "0.2,0.3" + ending + "0.4,0.5" + ending
      let series = try SeriesFile.parse(csv, name: "c.csv")
      #expect(series.inputNames == ["x"] && series.targetNames == ["target"] && series.inputs.rows == 3)
    }
    // A picture file that cannot be written is refused before anything is drawn.
    let unwritable = run("plot Whh --svg /nonexistent-folder/a.svg")
    #expect(unwritable.error == "/nonexistent-folder/a.svg: the folder /nonexistent-folder does not exist")
    #expect(unwritable.lines.count == 1)
    // Every seed states one range; a sample size that is a number but not a count states its own.
    for line in [
      "new 3 seed -1", "bptt mystery x", "blame seed 1e300", "sample 5 seed nan", "gradcheck direction seed -2",
    ] {
      #expect(
        run(line).error?.hasPrefix("a seed is a whole number from 0 to 18446744073709551615, not ") == true, "\(line)")
    }
    #expect(run("sample 1e300").error == "sample draws 1 to 100000 characters, not 1e300")
    // A negative index out of range is named as typed.
    #expect(run("print h[-99]").error == "h[-99] does not exist: from the end, t runs from -1 back to -5 (column 8)")
    #expect(
      run("print h[1][-4]", after: ["last"]).error
        == "element index -4 is outside -3 to -1 (from the end) (shape 3×1) (column 11)")
    // Sampled text and series names show control characters; newlines stay newlines.
    #expect(Renderer.visible("a\u{7}b\nc\td\r", keepingLines: true) == "a\\u{7}b\nc\td\\u{d}")
  }

  @Test("after two newcomers of the last session: errors that say what was wrong, not only the usage")
  func newcomerMessages() {
    #expect(run("update 0.1 clp 5").error == "update takes a learning rate, then clip C: 'clp' is neither")
    #expect(run("update 0.1 clip -5").error == "clip needs a positive number, not '-5'")
    #expect(run("update 0.1 clip").error == "clip needs C, the bound on each gradient element, as in update 0.1 clip 5")
    #expect(
      run("compare hello.json").error
        == "compare reads arrays from a .npz file (np.savez(\"mine.npz\", dWhh=…)), not 'hello.json'")
    // A matrix's element written as two indexings, and columns counted in the line as typed.
    #expect(run("explain dWhy[3][0]", after: ["last"]).error == "dWhy is a matrix: write its element as dWhy[3,0]")
    #expect(run("explain dWhy[4,0]").error == "row index 4 is outside 0 to 3 (shape 4×3) (column 13)")
    #expect(run("print dWhy[4,0]").error == "row index 4 is outside 0 to 3 (shape 4×3) (column 11)")
    #expect(run("print h[1] 0").error?.hasPrefix("unexpected number 0 ") == true)
    #expect(run("watch dWhh[0,1]; watch dWhh[ 0, 1 ]").error == "watch 1 already watches dWhh[0,1]")
    // No ε agrees with the tutorial's dWhh: the footer says so rather than explain a V.
    #expect(
      run("bptt seed; gradcheck sweep Whh[0,1]").lines.last
        == "no ε agrees: the analytic value is wrong, or the loss is not smooth enough here for differences (try --exact)"
    )
  }

  @Test("a third adversarial round: squared error near 1e6 never fails correct BPTT; 0 on both sides is judged")
  func thirdAdversarialRound() {
    // y near ±1e6 against targets 1414 away: rounding y moves each L_t by 1414 per ulp of y, so
    // the bar must hold |dy|·|y|, not only |L_t| + max |y_t| (it failed correct BPTT 8.6e-3 off).
    let targets = String(repeating: " [998586,-998586]", count: 12)
    let big = [
      "new 3 input 2 output 2 seed 18 scale 0.5", "inputs 0 1 1 0 1 0 0 1 1 1 0 0", "loss squared",
      "set by[0] 1000000", "set by[1] -1000000", "targets" + targets,
    ]
    #expect(!run("gradcheck", after: big).failedCheck)
    #expect(!run("blame", after: big).failedCheck)
    // Whh changes reach the loss (h ≠ 0 from step 1 on), only below its rounding: an analytic 0
    // from a wrong equation is not "both exactly 0".
    let zero = run(
      "gradcheck Whh --tol 1e-12",
      after: [
        "new 2 input 2 output 2 seed 4 scale 1e-9", "set Why[0,0] 1", "set Why[0,1] -0.7", "set Why[1,0] 0.5",
        "set Why[1,1] 1.2", "loss squared", "inputs 0 1 0 0 1 1",
        "targets" + String(repeating: " [1e5,-1e5]", count: 6),
        "let dWhh = dh_raw @ h[t-1].T * 0",
      ])
    #expect(zero.lines.last?.hasPrefix("INCONCLUSIVE") == true, "\(zero.lines)")
    // A character that never occurs: its Wxh column is exactly 0 on both sides, and that is the truth.
    let absent = run("gradcheck Wxh[0,3]", after: ["text hell"])
    #expect(absent.lines.last?.hasPrefix("PASS") == true, "\(absent.lines)")
  }

  @Test("a breaker's round: a long from, steps from the end in equations, superscripts, invisible characters")
  func breakerRound() {
    // 1,000,000 characters after from: refused at once (reading them once took 16 s, unstoppable).
    let long = String(repeating: "hello", count: 200_000)
    #expect(run("sample 5 from \(long)").error == "from takes up to 100001 characters, not 1000000")
    #expect(
      run("let dWhh = dh_raw @ h[t-5].T").error
        == "your dWhh equation fails at t=4: h[-1] does not exist: in an equation a step counts from 0 (h0) up, "
        + "never from the end (column 11)")
    #expect(run("print 2²²").number == 4_194_304)
    #expect(run("print tanh").error == "tanh is a function: write tanh(…) (column 7)")
    // A byte-order mark starts no command; a direction override is shown, not obeyed.
    #expect(Interpreter().execute("\u{FEFF}print 1").lines == ["1 = 1"])
    #expect(run("print 1 \u{202E}+ 2").error == "unexpected character '\\u{202e}' (column 9)")
    // On the screen, an error says what of the line did not run.
    #expect(
      Interpreter().execute("print h[1]; last; print h[1]").lines.last?.hasSuffix(
        "(the 2 commands after it on the line did not run)") == true)
    // A model whose outputs are NaN has nothing to sample.
    #expect(
      run("sample 5", after: ["update 1e308", "update 1e308"]).error
        == "the model's outputs are NaN or infinite: there is nothing to draw from")
  }
}
