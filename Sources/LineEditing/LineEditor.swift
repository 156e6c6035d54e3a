import CLibEdit
import Foundation

/// Where a line of input comes from: libedit on a terminal, plain reading otherwise.
public protocol LineReader: AnyObject {
  /// The next line without its newline, or nil at the end of input (Ctrl-D on an empty line).
  /// Throws ``Interrupted`` when Ctrl-C arrives while the line is being typed.
  func readLine(prompt: String) throws -> String?
  /// Records a line the user ran, for history.
  func addToHistory(_ line: String)
  /// The history, oldest first.
  var history: [String] { get }
}

/// Ctrl-C while a line was being typed: the line is dropped and a fresh prompt follows.
public struct Interrupted: Error {
  public init() {}
}

/// Completes the word before the cursor. Given the whole line up to the cursor, returns the
/// candidates for the word being typed (each a full replacement of that word).
public typealias Completer = (_ lineUpToCursor: String) -> [String]

/// A line longer than ``PlainLineReader/maximumLineBytes``: the reader skipped it to its end.
public struct LineTooLong: Error, Equatable {
  /// Its length in bytes.
  public let bytes: Int
}

/// Reads lines from a file handle with no prompt and no editing (scripts, pipes, tests).
public final class PlainLineReader: LineReader {
  private var lines: [String]?
  private var position = 0
  public private(set) var history: [String] = []

  /// Reads standard input a line at a time as it arrives (or `text`, for tests).
  public init(text: String? = nil) {
    lines = text.map { input in
      var split = input.replacingOccurrences(of: "\r\n", with: "\n").split(
        separator: "\n", omittingEmptySubsequences: false
      ).map { String($0) }
      if split.last == "" { split.removeLast() }
      return split
    }
  }

  /// The longest line read (1 MiB): memory stays bounded whatever arrives.
  public static let maximumLineBytes = 1 << 20

  /// The next line without its line ending (LF or CRLF), nil at the end of the input.
  /// - Throws: ``LineTooLong`` for a line over ``maximumLineBytes``, read to its end and dropped.
  public func readLine(prompt: String) throws -> String? {
    let line: String?
    if let lines {
      guard position < lines.count else { return nil }
      line = lines[position]
      position += 1
    } else {
      line = try readStandardInput()
    }
    guard let line else { return nil }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
  }

  /// Standard input as read so far and not yet returned.
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)
  private var start = 0
  private var end = 0
  private var atEnd = false

  /// The next byte of standard input, nil at its end; reads whatever has arrived, so that each
  /// line runs as soon as it is complete.
  private func nextByte() -> UInt8? {
    while start == end {
      if atEnd { return nil }
      let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
      // A signal (Ctrl-C, a resumed Ctrl-Z) interrupted the read: read on.
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        atEnd = true
        return nil
      }
      (start, end) = (0, n)
    }
    defer { start += 1 }
    return buffer[start]
  }

  /// One line of standard input, its bytes kept only up to ``maximumLineBytes``.
  private func readStandardInput() throws -> String? {
    var bytes: [UInt8] = []
    var length = 0
    var sawAny = false
    while let byte = nextByte() {
      sawAny = true
      if byte == 10 { break }
      if length < Self.maximumLineBytes { bytes.append(byte) }
      length += 1
    }
    guard sawAny else { return nil }
    guard length <= Self.maximumLineBytes else { throw LineTooLong(bytes: length) }
    return String(decoding: bytes, as: UTF8.self)
  }

  public func addToHistory(_ line: String) { history.append(line) }
}

/// Interactive line editing through libedit: emacs keys, Ctrl-R search, a history file, Tab
/// completion.
public final class LineEditor: LineReader {
  private let editLine: OpaquePointer
  private let historyHandle: OpaquePointer
  private let historyPath: String?
  private var prompt = ""
  private var promptStorage: UnsafeMutablePointer<CChar>?
  private let completer: Completer
  private let continuesWord: (String) -> Bool
  /// Lines entered in this session, appended to the history file when it closes.
  private var added: [String] = []

  /// - Parameters:
  ///   - historyPath: the history file, read now and appended to on ``close()``; nil keeps none.
  ///   - completer: the candidates for the word before the cursor.
  ///   - continuesWord: whether a completed word in this line may go on without a space (a name
  ///     inside an expression: `h[3]`, `norm(h)`); otherwise a sole candidate gets a space.
  public init(
    program: String, historyPath: String?, completer: @escaping Completer,
    continuesWord: @escaping (String) -> Bool = { _ in false }
  ) {
    self.historyPath = historyPath
    self.completer = completer
    self.continuesWord = continuesWord
    // libedit reads multibyte characters only in a locale that has them: in the C locale every
    // non-ASCII character typed (−, ², ±, é) was dropped without a word. The environment's
    // locale, or C.UTF-8 where that is not UTF-8.
    LineEditor.useUTF8Locale()
    editLine = rnnstep_el_init(program)
    historyHandle = history_init()
    rnnstep_history_setsize(historyHandle, Int32(LineEditor.historyLimit))
    rnnstep_history_setunique(historyHandle, 1)
    if let historyPath { rnnstep_history_load(historyHandle, historyPath) }
    rnnstep_el_set_history(editLine, historyHandle)
    rnnstep_el_set_editor(editLine, "emacs")
    // libedit must not install its own signal handlers: rnnstep's SIGINT handler clears the line.
    rnnstep_el_set_signal(editLine, 0)
    // After Ctrl-Z and fg the shell has the terminal in its own mode: readLine takes it back.
    rnnstep_watch_continue()
    rnnstep_el_set_clientdata(editLine, Unmanaged.passUnretained(self).toOpaque())
    rnnstep_el_set_prompt(editLine) { el in
      guard let el, let data = rnnstep_el_get_clientdata(el) else { return nil }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().promptStorage
    }
    rnnstep_el_addfn(editLine, "rnnstep-complete", "complete a command, a name or a path") { el, _ in
      guard let el, let data = rnnstep_el_get_clientdata(el) else { return UInt8(CC_ERROR) }
      return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue().complete()
    }
    rnnstep_el_bind(editLine, "^I", "rnnstep-complete")
    rnnstep_el_bind(editLine, "^R", "em-inc-search-prev")
    // ~/.editrc, as every libedit program reads it.
    rnnstep_el_source_defaults(editLine)
  }

  /// Sets LC_CTYPE from the environment, or to C.UTF-8 when that gives no UTF-8.
  static func useUTF8Locale() {
    func isUTF8() -> Bool { String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8" }
    if setlocale(LC_CTYPE, "") != nil && isUTF8() { return }
    if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
  }

  deinit {
    promptStorage?.deallocate()
    el_end(editLine)
    history_end(historyHandle)
  }

  public func readLine(prompt: String) throws -> String? {
    if prompt != self.prompt || promptStorage == nil {
      promptStorage?.deallocate()
      promptStorage = strdup(prompt).map { UnsafeMutablePointer($0) }
      self.prompt = prompt
    }
    var count: Int32 = 0
    // Only a continue during this read counts (one during a long command is long past).
    _ = rnnstep_take_continued()
    var line = el_gets(editLine, &count)
    // Continued after a stop: back to the line editor's own terminal mode, with a fresh prompt
    // (what was half typed is dropped, the terminal having been the shell's meanwhile).
    while line == nil && count == -1 && errno == EINTR && rnnstep_take_continued() != 0 {
      el_reset(editLine)
      print("")
      line = el_gets(editLine, &count)
    }
    guard let raw = line else {
      if count == -1 && errno == EINTR {
        // Ctrl-C: the read was interrupted; libedit's buffer still holds the half-typed line.
        el_reset(editLine)
        rnnstep_clear_line(editLine)
        throw Interrupted()
      }
      return nil  // end of input
    }
    var text = String(cString: raw)
    while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
    return text
  }

  public func addToHistory(_ line: String) {
    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
    rnnstep_history_enter(historyHandle, line)
    added.append(line)
  }

  public var history: [String] {
    var entries: [String] = []
    var next = rnnstep_history_walk(historyHandle, 1)
    while let entry = next {
      entries.append(String(cString: entry).trimmingCharacters(in: .newlines))
      next = rnnstep_history_walk(historyHandle, 0)
    }
    return entries
  }

  /// Writes the history file (atomically: a temporary file renamed over it).
  /// The most lines the history file keeps (the oldest go first).
  public static let historyLimit = 2000

  /// Saves the history (``save()``) for the last time.
  public func close() { save() }

  /// Appends the lines entered since the last save to the history file, as bash's histappend
  /// does: the file is read again now, so that lines another session added meanwhile are kept,
  /// then written whole to a temporary file that replaces it. Called after every line, so that a
  /// session killed (a closed terminal) loses nothing; leftovers of a save that was killed
  /// halfway (their process gone) are removed.
  public func save() {
    guard let historyPath, !added.isEmpty else { return }
    removeLeftovers(of: historyPath)
    let directory = (historyPath as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    guard let merged = history_init() else { return }
    defer { history_end(merged) }
    rnnstep_history_setsize(merged, Int32(LineEditor.historyLimit))
    rnnstep_history_load(merged, historyPath)
    for line in added { rnnstep_history_enter(merged, line) }
    let temporary = historyPath + ".tmp-\(getpid())"
    if rnnstep_history_save(merged, temporary) >= 0 && rename(temporary, historyPath) == 0 {
      added.removeAll()
    } else {
      unlink(temporary)
    }
  }

  /// Removes `path.tmp-PID` files whose process no longer runs.
  private func removeLeftovers(of path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    let prefix = (path as NSString).lastPathComponent + ".tmp-"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
    for name in names where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { unlink((directory.isEmpty ? "" : directory + "/") + name) }
    }
  }

  /// Tab: complete the word before the cursor; several candidates extend it to their common
  /// prefix, and a second Tab lists them.
  private func complete() -> UInt8 {
    guard let info = el_line(editLine)?.pointee else { return UInt8(CC_ERROR) }
    let length = info.cursor - info.buffer
    let bytes = UnsafeRawBufferPointer(start: info.buffer, count: length)
    let beforeCursor = String(decoding: bytes, as: UTF8.self)
    let word = String(beforeCursor.reversed().prefix { !$0.isWhitespace }.reversed())
    let candidates = completer(beforeCursor)
    // A finished command name or fixed word is followed by a space; a name inside an
    // expression is not (h[3] and norm(h) continue right after it).
    let space =
      candidates.count == 1 && !candidates[0].hasSuffix("/") && !candidates[0].contains("(")
      && !continuesWord(beforeCursor)
    guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
    let common = candidates.dropFirst().reduce(candidates[0]) { $0.commonPrefix(with: $1) }
    if common.count > word.count {
      let suffix = String(common.dropFirst(word.count))
      el_insertstr(editLine, space ? suffix + " " : suffix)
      return UInt8(CC_REFRESH)
    }
    if candidates.count == 1 {
      if space { el_insertstr(editLine, " ") }
      return UInt8(CC_REFRESH)
    }
    // Already at the common prefix: show the choices below the line, then redraw it.
    let list = candidates.sorted().joined(separator: "  ")
    FileHandle.standardOutput.write(Data("\n\(list)\n".utf8))
    return UInt8(CC_REDISPLAY)
  }
}
