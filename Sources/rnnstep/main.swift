// rnnstep: flags and wiring. The interpreter does the work; this file connects it to a terminal,
// a script or a pipe, and turns what happened into an exit status.
import Foundation
import Interop
import Interpreter
import Lessons
import LineEditing
import RNNCore

let version = "0.2.0"

let usage = """
  usage: rnnstep [FILE] [-c 'COMMAND; COMMAND'] [lesson N] [check [--bless] FILE...] [--help] [--version]

    rnnstep                   open the REPL on the built-in model (a 4-character "hello" model, H = 3)
    rnnstep FILE              run the commands in FILE; stop at the first error
    rnnstep -c 'CMDS'         run commands separated by ;
    command | rnnstep         read commands from standard input (no prompt, no line editing)
    rnnstep lesson N          follow lesson N (lessons lists them inside rnnstep)
    rnnstep check FILE...     run every transcript and exercise of lesson or doc files;
                              --bless rewrites expected output that no longer matches

  A script exits with status 1 at its first error, and with status 1 at the end when a check
  failed (a gradcheck FAIL). Inside rnnstep, type help.
  """

/// Ctrl-C: stop the running command (its cancellation flag) or drop the line being typed.
let interruption = CancellationFlag()

func installInterruptHandler() {
  var action = sigaction()
  action.__sigaction_handler.sa_handler = { _ in interruption.cancel() }
  sigemptyset(&action.sa_mask)
  action.sa_flags = 0  // no SA_RESTART: a read in progress returns EINTR
  sigaction(SIGINT, &action, nil)
}

func writeError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs lines from a script or a pipe, each as soon as it is read; returns the exit status.
func runScript(_ next: () throws -> String?, name: String, interpreter: Interpreter) -> Int32 {
  var failedCheck = false
  var n = -1
  while true {
    let raw: String
    do {
      guard let line = try next() else { break }
      raw = line
    } catch let error as LineTooLong {
      fflush(nil)
      writeError(
        "\(name):\(n + 2): error: the line is \(error.bytes) bytes long; rnnstep reads lines of up to "
          + "\(PlainLineReader.maximumLineBytes) (1 MiB)")
      return 1
    } catch {
      break
    }
    n += 1
    // Scripts written on Windows end their lines with CRLF.
    let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
    let outcome = interpreter.execute(line)
    for output in outcome.lines where output != outcome.lines.last || outcome.error == nil { print(output) }
    if let error = outcome.error {
      // What the line printed before its error comes first, also where both go to one file.
      fflush(nil)
      // On a line of several commands, which one.
      let which = outcome.failedCommand.map { c in
        " (command \(c.number) of \(c.of): \(Renderer.visible(String(c.text.prefix(60)))))"
      }
      writeError("\(name):\(n + 1): error: \(error)\(which ?? "")")
      return 1
    }
    failedCheck = failedCheck || outcome.failedCheck
    // A pipe reading our output sees each command's answer as soon as it is done.
    fflush(nil)
    if outcome.quit { break }
    // Ctrl-C (SIGINT) ends a script, as it ends a shell's, with the shell's status for it.
    if outcome.interrupted {
      writeError("\(name):\(n + 1): interrupted")
      return 130
    }
  }
  return failedCheck ? 1 : 0
}

func historyPath() -> String {
  let environment = ProcessInfo.processInfo.environment
  if let path = environment["RNNSTEP_HISTORY"], !path.isEmpty { return path }
  if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/rnnstep/history" }
  return homeDirectory() + "/.rnnstep_history"
}

/// The lessons folder: $RNNSTEP_LESSONS, else lessons/ of the checkout the binary was built in,
/// else ./lessons.
func lessonsDirectory() -> String? {
  let environment = ProcessInfo.processInfo.environment
  if let dir = environment["RNNSTEP_LESSONS"], !dir.isEmpty { return dir }
  // The binary lives in .build/<platform>/<configuration>/ of the checkout: look upwards; or in
  // PREFIX/bin after make install, with the lessons in PREFIX/share/rnnstep/lessons.
  // Started by name from PATH, argv[0] has no folder: ask where the executable really is.
  let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
  let binary = executable.resolvingSymlinksInPath().deletingLastPathComponent()
  let installed = binary.deletingLastPathComponent().appendingPathComponent("share/rnnstep/lessons").path
  if FileManager.default.fileExists(atPath: installed) { return installed }
  var folder = binary
  for _ in 0..<5 {
    let candidate = folder.appendingPathComponent("lessons").path
    if FileManager.default.fileExists(atPath: candidate) { return candidate }
    folder = folder.deletingLastPathComponent()
  }
  let local = FileManager.default.currentDirectoryPath + "/lessons"
  return FileManager.default.fileExists(atPath: local) ? local : nil
}

func lessonStatePath() -> String {
  let environment = ProcessInfo.processInfo.environment
  if let path = environment["RNNSTEP_STATE"], !path.isEmpty { return path }
  if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/rnnstep/lessons.json" }
  return homeDirectory() + "/.rnnstep_lessons.json"
}

func runInteractive(_ interpreter: Interpreter, first: String? = nil) -> Int32 {
  let editor = LineEditor(
    program: "rnnstep", historyPath: historyPath(), completer: { interpreter.completions(for: $0) },
    continuesWord: { interpreter.completesExpression($0) })
  interpreter.historyProvider = { editor.history }
  for line in interpreter.banner(version: version) { print(line) }
  defer { editor.close() }
  if let first {
    for line in interpreter.execute(first).lines { print(line) }
  }
  while true {
    interruption.reset()
    let line: String?
    do {
      line = try editor.readLine(prompt: interpreter.prompt)
    } catch {
      print("^C")
      continue
    }
    guard let line else {
      print("")  // Ctrl-D leaves the cursor after ^D
      return 0
    }
    editor.addToHistory(line.trimmingCharacters(in: .whitespaces))
    editor.save()
    interruption.reset()
    let outcome = interpreter.execute(line)
    // The terminal echoed ^C where the command was interrupted: start a fresh line.
    if interruption.isCancelled { print("") }
    for output in outcome.lines { print(output) }
    if outcome.quit { return 0 }
  }
}

var arguments = Array(CommandLine.arguments.dropFirst())

/// What is wrong with a command line rnnstep would otherwise read only in part: every argument
/// is used, or nothing runs.
func argumentProblem(_ a: [String]) -> String? {
  guard let first = a.first else { return nil }
  switch first {
  case "--version", "--commands-markdown", "--help", "-h":
    return a.count == 1 ? nil : "\(first) takes nothing after it, not '\(a[1])'"
  case "check":
    return a.dropFirst().first { $0.hasPrefix("-") && $0 != "--bless" }.map {
      "check: unknown option \($0) (only --bless)"
    }
  case "lesson":
    return a.count <= 2 ? nil : "lesson takes one lesson number, as in rnnstep lesson 3, not '\(a[2])' after it"
  case "-c":
    return a.count <= 2
      ? nil : "-c takes one argument, the commands in quotes (rnnstep -c 'step; print h'), not '\(a[2])' after it"
  default:
    if first.hasPrefix("-") { return "unknown option \(first)" }
    return a.count == 1 ? nil : "one script file at a time: '\(a[1])' is one argument too many"
  }
}
if let problem = argumentProblem(arguments) {
  FileHandle.standardError.write(Data("rnnstep: \(problem)\n\(usage)\n".utf8))
  exit(2)
}
let environment = ProcessInfo.processInfo.environment
let colour = isatty(STDOUT_FILENO) != 0 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
let interpreter = Interpreter(style: Style(color: colour), cancellation: interruption)
installInterruptHandler()
if isatty(STDOUT_FILENO) != 0 {
  interpreter.progress = { line in
    FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
  }
  interpreter.earlyLines = { lines in
    for line in lines { print(line) }
    fflush(nil)
  }
}
let guide = lessonsDirectory().flatMap { try? Guide(directory: $0, statePath: lessonStatePath()) }
interpreter.lessonHost = guide
if let warning = guide?.warning { writeError("rnnstep: \(warning)") }

if arguments.contains("--help") || arguments.contains("-h") {
  print(usage)
  exit(0)
}
if arguments.contains("--version") {
  print("rnnstep \(version)")
  exit(0)
}
if arguments.first == "--commands-markdown" {
  print(Interpreter.commandsMarkdown(), terminator: "")
  exit(0)
}
if arguments.first == "check" {
  let bless = arguments.contains("--bless")
  let files = arguments.dropFirst().filter { $0 != "--bless" }
  guard !files.isEmpty else {
    writeError("rnnstep: check needs files, e.g. rnnstep check lessons/*.md")
    exit(2)
  }
  let report = LessonChecker.check(paths: Array(files), bless: bless)
  for line in report.lines { print(line) }
  exit(report.failures == 0 ? 0 : 1)
}
var firstCommand: String?
if arguments.first == "lesson" {
  firstCommand = "lesson " + arguments.dropFirst().joined(separator: " ")
  arguments = []
}
if let c = arguments.firstIndex(of: "-c") {
  guard c + 1 < arguments.count else {
    writeError("rnnstep: -c needs commands, e.g. rnnstep -c 'step; print h'")
    exit(2)
  }
  var once: String? = arguments[c + 1]
  exit(
    runScript(
      {
        defer { once = nil }
        return once
      }, name: "-c", interpreter: interpreter))
}
if let path = arguments.first {
  if path.hasPrefix("-") {
    writeError("rnnstep: unknown option \(path)\n\(usage)")
    exit(2)
  }
  // As source reads a file: no such file, a folder, over 64 MiB, not UTF-8, each said.
  let text: String
  do { text = try JSONModelFormat.readText(path, limit: 64 << 20, what: "a script") } catch {
    writeError("rnnstep: \(error)")
    exit(2)
  }
  // A CRLF line ending is one Character in Swift: make it a plain newline before splitting.
  var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
    .map(String.init)
  if lines.last == "" { lines.removeLast() }
  var iterator = lines.makeIterator()
  exit(runScript({ iterator.next() }, name: path, interpreter: interpreter))
}
if isatty(STDIN_FILENO) == 0 {
  let reader = PlainLineReader()
  var first = firstCommand
  exit(
    runScript(
      {
        if let line = first {
          first = nil
          return line
        }
        return try reader.readLine(prompt: "")
      }, name: "stdin", interpreter: interpreter))
}
exit(runInteractive(interpreter, first: firstCommand))
