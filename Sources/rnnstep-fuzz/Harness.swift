// rnnstep-fuzz: what a learner can type or load, fed with mutated inputs.
//
// Built by `make fuzz` with libFuzzer and AddressSanitizer (`-sanitize=fuzzer,address`, and
// FUZZING defined): libFuzzer's own main then calls LLVMFuzzerTestOneInput, and the target is
// chosen by RNNSTEP_FUZZ_TARGET. Built plainly (swift build), it is a replayer instead:
// `rnnstep-fuzz TARGET FILE...` runs each file through the same harness, so a crash libFuzzer
// found can be run again under the debugger, and `make test` runs the seed corpora.
import Foundation
import Interop
import Interpreter
import Lessons
import RNNCore

/// The harnesses, by name.
enum Target: String, CaseIterable {
  /// A model in a NumPy `.npz` archive (zip, deflate, `.npy` members, consistency checks).
  case npz
  /// One `.npy` array.
  case npy
  /// A model saved as JSON (the strict reader, then the model's consistency checks).
  case json
  /// A `series` CSV file.
  case csv
  /// A lesson file (prose, transcripts, exercises).
  case lesson
  /// An expression, as print evaluates it over the built-in model's recorded pass.
  case expression
  /// Command lines typed at the prompt, one per line, into one interpreter.
  case command

  func run(_ bytes: [UInt8]) {
    switch self {
    case .npz: _ = try? NumPyModelFormat.decode(bytes, path: "fuzz.npz")
    case .npy: _ = try? NumPyArray.parse(npy: bytes)
    case .json: _ = try? JSONModelFormat.decode(bytes, path: "fuzz.json")
    case .csv:
      // The parse, then what series does with it.
      guard let series = try? SeriesFile.parse(String(decoding: bytes, as: UTF8.self), name: "fuzz.csv") else {
        return
      }
      _ = try? TrainingStream(inputs: .vectors(series.inputs), targets: .vectors(series.targets))
    case .lesson: _ = try? Lesson.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz.md")
    case .expression:
      if Scratch.runs == 0 { Scratch.interpreter.execute("last") }
      Scratch.runs += 1
      _ = try? Scratch.interpreter.evaluate(String(decoding: bytes.prefix(4000), as: UTF8.self))
    case .command:
      // Every command, with small sizes: commands whose cost grows with a number (training, a
      // model's size, a sample, a check) are skipped when it is large or the model or its data
      // have grown large, and those that name a file only with a plain name, which lands in the
      // scratch folder the harness works in.
      let costly: Set<String> = [
        "train", "new", "sample", "seqlen", "gradcheck", "gc", "blame", "example", "corpus", "series", "h0",
      ]
      let heavy: Set<String> = ["train", "sample", "gradcheck", "gc", "blame", "update"]
      let files: Set<String> = ["load", "save", "export", "corpus", "series", "source", "compare", "plot"]
      let text = String(decoding: bytes.prefix(2000), as: UTF8.self)
      for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(8) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == ";" || $0 == "\t" }).map { $0.lowercased() }
        if words.contains(where: { ["lesson", "lessons", "quit", "exit", "q"].contains($0) }) { continue }
        if words.contains(where: costly.contains) && Scratch.isLarge(line) { continue }
        if words.contains(where: heavy.contains) && Scratch.sessionIsLarge { continue }
        if words.contains(where: files.contains) && (line.contains("/") || line.contains("~") || line.contains("..")) {
          continue
        }
        Scratch.interpreter.execute(String(line))
      }
      // Back to the built-in session now and then, so that state does not pile up.
      Scratch.runs += 1
      if Scratch.runs % 64 == 0 { Scratch.interpreter.execute("example hello") }
    }
  }
}

/// The interpreter the command harness types into, one per process, working in a folder of its
/// own.
enum Scratch {
  nonisolated(unsafe) static let interpreter: Interpreter = {
    let folder = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/rnnstep-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    _ = FileManager.default.changeCurrentDirectoryPath(folder)
    return Interpreter()
  }()
  nonisolated(unsafe) static var runs = 0

  /// Whether the model has more than 400 elements or its data more than 32 steps: a full check
  /// would then take many milliseconds (a model of H = 16 on 4 characters has 420).
  static var sessionIsLarge: Bool {
    interpreter.session.model.parameters.elementCount > 400 || (interpreter.session.data?.count ?? 0) > 32
  }

  /// Whether a line holds a number above 64 or one with an exponent (2e9): a size too large to
  /// run many times a second.
  static func isLarge(_ line: Substring) -> Bool {
    let text = String(line)
    let range = NSRange(text.startIndex..., in: text)
    if exponent.firstMatch(in: text, range: range) != nil { return true }
    return digits.matches(in: text, range: range).contains { match in
      let number = (text as NSString).substring(with: match.range)
      return number.count > 2 || Int(number)! > 64
    }
  }
  static let digits = try! NSRegularExpression(pattern: "[0-9]+")
  static let exponent = try! NSRegularExpression(pattern: "[0-9.][eE][-+]?[0-9]")
}

#if FUZZING
  let target: Target = {
    let name = ProcessInfo.processInfo.environment["RNNSTEP_FUZZ_TARGET"] ?? ""
    guard let t = Target(rawValue: name) else {
      FileHandle.standardError.write(
        Data("set RNNSTEP_FUZZ_TARGET to one of \(Target.allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
      exit(2)
    }
    return t
  }()

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ body: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
  ) -> CInt

  /// The executable's entry (SwiftPM names it after the module): libFuzzer's driver.
  @_cdecl("rnnstep_fuzz_main")
  public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments, fuzzOne)
  }
#else
  @main
  enum Replay {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      guard let name = arguments.first, let target = Target(rawValue: name) else {
        print("usage: rnnstep-fuzz \(Target.allCases.map(\.rawValue).joined(separator: "|")) FILE-OR-FOLDER...")
        exit(2)
      }
      var count = 0
      // Absolute paths: the command harness works in a folder of its own.
      for path in arguments.dropFirst().map({ URL(fileURLWithPath: $0).path }) {
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let files =
          isFolder.boolValue
          ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
          : [path]
        for file in files {
          guard let data = FileManager.default.contents(atPath: file) else { continue }
          target.run(Array(data))
          count += 1
        }
      }
      print("rnnstep-fuzz \(name): \(count) inputs ran without a crash")
    }
  }
#endif
