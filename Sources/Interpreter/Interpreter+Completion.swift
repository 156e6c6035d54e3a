import Foundation

extension Interpreter {
  /// The candidates for the word before the cursor, each a full replacement of that word:
  /// command names first, then what the command's table entry says its arguments are.
  /// Whether the word being typed is inside an expression, where a completed name goes on
  /// without a space (`h[3]`, `norm(h)`): the command's table entry says so.
  public func completesExpression(_ lineUpToCursor: String) -> Bool {
    let commandLine = splitCommands(lineUpToCursor + "x").last ?? ""
    let word = String(commandLine.prefix { !$0.isWhitespace })
    guard commandLine.count > word.count, let spec = CommandTable.find(word) else { return false }
    return spec.completion == .expression
  }

  public func completions(for lineUpToCursor: String) -> [String] {
    let commandLine = splitCommands(lineUpToCursor + "x").last.map { String($0.dropLast()) } ?? ""
    let word = String(commandLine.reversed().prefix { !$0.isWhitespace }.reversed())
    let before = commandLine.dropLast(word.count)
    if before.trimmingCharacters(in: .whitespaces).isEmpty {
      return CommandTable.allNames.filter { $0.hasPrefix(word) }.sorted()
    }
    let name = String(before.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace })
    guard let spec = CommandTable.find(name) else { return [] }
    switch spec.completion {
    case .none: return []
    case .file: return pathCompletions(word)
    case .commands: return CommandTable.allNames.filter { $0.hasPrefix(word) }.sorted()
    case .expression: return nameCompletions(word)
    case .words(let words):
      return words.filter { $0.hasPrefix(word) }.sorted()
    case .wordsAndNames(let words):
      return Set(words.filter { $0.hasPrefix(word) } + nameCompletions(word)).sorted()
    }
  }

  /// Names of quantities, parameters and functions for the identifier at the end of `word`
  /// (`norm(dh_n` completes to `norm(dh_next`).
  private func nameCompletions(_ word: String) -> [String] {
    let identifier = String(word.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    let head = word.dropLast(identifier.count)
    guard !identifier.isEmpty || !head.isEmpty else { return [] }
    return (ExpressionNames.all + ExpressionNames.functions).filter { $0.hasPrefix(identifier) }.sorted().map {
      head + $0
    }
  }

  private func pathCompletions(_ word: String) -> [String] {
    let expanded = expandPath(word)
    let directory = expanded.hasSuffix("/") ? expanded : (expanded as NSString).deletingLastPathComponent
    let prefix = expanded.hasSuffix("/") ? "" : (expanded as NSString).lastPathComponent
    let listed = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
    let typedDirectory = word.hasSuffix("/") ? word : String(word.dropLast((word as NSString).lastPathComponent.count))
    return listed.filter { $0.hasPrefix(prefix) && (!$0.hasPrefix(".") || prefix.hasPrefix(".")) }.sorted().map {
      entry in
      var isDirectory: ObjCBool = false
      let full = (directory.isEmpty ? entry : directory + "/" + entry)
      _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
      return typedDirectory + entry + (isDirectory.boolValue ? "/" : "")
    }
  }

  /// The greeting of an interactive session.
  public func banner(version: String) -> [String] {
    var lines = [
      style.bold("rnnstep \(version)")
        + ": step through a recurrent network's forward pass and backpropagation through time.",
      "Model: vanilla RNN, H = \(session.model.hiddenSize), input \(session.model.inputSize), output \(session.model.outputSize)"
        + (session.vocabulary.map { ", vocabulary " + $0.map { String($0) }.joined(separator: " ") } ?? "")
        + "; loss \(session.loss.rawValue).",
    ]
    if let trace {
      lines.append(
        "Data: \(counted(trace.steps, "step"))"
          + (session.vocabulary != nil && trace.steps == 4 && session.model.hiddenSize == 3
            ? " (\"hello\": read h e l l, predict e l l o)" : "") + ".")
    }
    lines.append("Try: step, next, print h, explain h[1][0], gradcheck, help. Quit with quit or Ctrl-D.")
    return lines
  }

  /// docs/commands.md.
  public static func commandsMarkdown() -> String { CommandTable.markdown() }
}
