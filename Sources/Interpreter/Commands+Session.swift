import Foundation
import Interop

extension CommandTable {
  static let sessionCommands: [CommandSpec] = [
    CommandSpec(
      name: "help", aliases: [], group: .session, usage: "help [COMMAND]",
      summary: "list the commands, or show one in full",
      details: "help alone lists every command by group; help COMMAND shows its usage, aliases, details and examples.",
      examples: ["help", "help break"], completion: .commands,
      run: { i, args in
        guard let name = args.words.first else {
          i.emit(.text(CommandTable.helpListing(i.style)))
          return
        }
        guard args.words.count == 1 else { throw args.usageError() }
        guard let spec = find(name) else {
          let suggestion = closest(name, among: allNames).map { "; did you mean '\($0)'?" } ?? ""
          throw CommandError("no command '\(name)'\(suggestion)")
        }
        i.emit(.text(CommandTable.help(for: spec, i.style)))
      }),
    CommandSpec(
      name: "source", aliases: [], group: .session, usage: "source FILE",
      summary: "run the commands in a file; stop at its first error",
      details: "Lines starting with # are comments. An error stops the file and names the line.",
      examples: ["source setup.rnn"], completion: .file,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        guard i.sourceDepth < 8 else { throw CommandError("source files nest too deep (does one source itself?)") }
        let path = i.expandPath(args.raw)
        let text: String
        do { text = try JSONModelFormat.readText(path, limit: 64 << 20, what: "a script") } catch let error as FileError
        {
          throw CommandError("\(args.raw): \(error.problem)")
        }
        i.sourceDepth += 1
        defer { i.sourceDepth -= 1 }
        for (n, line) in text.replacingOccurrences(of: "\r\n", with: "\n").split(
          separator: "\n", omittingEmptySubsequences: false
        ).enumerated() {
          for command in i.splitCommands(String(line)) {
            do { try i.run(command) } catch { throw CommandError("\(args.raw):\(n + 1): \(i.describeError(error))") }
            if i.quitRequested { return }
          }
        }
      }),
    CommandSpec(
      name: "history", aliases: [], group: .session, usage: "history [N]",
      summary: "the commands typed so far (the last N)",
      details:
        "History is kept across sessions in $RNNSTEP_HISTORY, else $XDG_STATE_HOME/rnnstep/history, else ~/.rnnstep_history.",
      examples: ["history 10"], completion: .none,
      run: { i, args in
        let entries = i.historyProvider?() ?? []
        let n = args.raw.isEmpty ? entries.count : try args.count()
        for (k, line) in entries.enumerated().suffix(n) { i.say("\(String(k + 1).padded(5)) \(line)") }
      }),
    CommandSpec(
      name: "echo", aliases: [], group: .session, usage: "echo TEXT",
      summary: "print TEXT (for scripts and lessons)",
      details: "Prints the rest of the line as it is.",
      examples: ["echo the last step backward"], completion: .none,
      run: { i, args in i.say(args.raw) }),
    CommandSpec(
      name: "quit", aliases: ["q", "exit"], group: .session, usage: "quit",
      summary: "leave rnnstep (Ctrl-D does too)",
      details: "History is saved on the way out.",
      examples: ["quit"], completion: .none,
      run: { i, _ in i.quitRequested = true }),
  ]

  /// `help`: every command by group.
  static func helpListing(_ style: Style) -> [String] {
    var lines = ["rnnstep steps through a recurrent network's forward pass and BPTT. Commands:"]
    for group in CommandGroup.allCases {
      lines.append("")
      lines.append(style.bold(group.rawValue))
      for spec in all where spec.group == group {
        let names = ([spec.name] + spec.aliases).joined(separator: ", ")
        lines.append("  " + names.padded(24) + spec.summary)
      }
    }
    lines.append("")
    lines.append(
      "help COMMAND shows one command in full. Tab completes; Ctrl-R searches history; Ctrl-C stops a long command.")
    return lines
  }

  /// `help COMMAND`.
  static func help(for spec: CommandSpec, _ style: Style) -> [String] {
    var lines = [style.bold("usage: ") + spec.usage]
    if !spec.aliases.isEmpty { lines.append("aliases: " + spec.aliases.joined(separator: ", ")) }
    lines.append("")
    lines += wrap(spec.details, width: 92)
    lines.append("")
    lines.append("examples:")
    lines += spec.examples.map { "  " + $0 }
    return lines
  }

  /// Words wrapped to lines of at most `width` characters.
  static func wrap(_ text: String, width: Int) -> [String] { wordWrapped(text, width: width) }

  /// docs/commands.md, generated from this table (`make docs`); a test fails when it drifts.
  static func markdown() -> String {
    var out = "# rnnstep commands\n\n"
    out +=
      "Generated from the command table (Sources/Interpreter/Commands+*.swift) by `make docs`; do not edit by hand.\n"
    for group in CommandGroup.allCases {
      out += "\n## \(group.rawValue)\n"
      for spec in all where spec.group == group {
        out += "\n### `\(spec.name)`\n\n"
        out +=
          "`\(spec.usage)`"
          + (spec.aliases.isEmpty ? "" : " (aliases: " + spec.aliases.map { "`\($0)`" }.joined(separator: ", ") + ")")
          + "\n\n"
        out += spec.summary.prefix(1).uppercased() + spec.summary.dropFirst() + ".\n\n"
        out += spec.details + "\n\n"
        out += "```\n" + spec.examples.joined(separator: "\n") + "\n```\n"
      }
    }
    return out
  }
}
