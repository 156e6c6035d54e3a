import Foundation
import RNNCore
import Stepper
import Testing

@testable import Interpreter

/// The text of every kind of report, against golden files in Snapshots/. Run with
/// RNNSTEP_RECORD_SNAPSHOTS=1 to write them anew, then read the diff before committing it.
@Suite("Renderer snapshots")
struct RendererSnapshotTests {
  /// A report's kind, to check that each snapshot shows the kind it is named for.
  enum Kind: String, CaseIterable {
    case message, note, warning, value, stop, stopReason, displays, check, comparison, training, fileWritten, text
  }

  static func kind(_ r: Report) -> Kind {
    switch r {
    case .message: .message
    case .note: .note
    case .warning: .warning
    case .value: .value
    case .stop: .stop
    case .stopReason: .stopReason
    case .displays: .displays
    case .check: .check
    case .comparison: .comparison
    case .training: .training
    case .fileWritten: .fileWritten
    case .text: .text
    }
  }

  /// Snapshots of commands: name, the commands before, the command, the kind it must report.
  static let commands: [(String, [String], String, Kind)] = [
    ("message-lr", [], "lr 0.05", .message),
    ("note-set", [], "set Whh[0,1] 0.5", .note),
    (
      "warning-inputs", ["new 3 input 2 output 2 scale 0.5", "targets 0 1 0"], "inputs [1,2,3] [1,2,3] [1,2,3]",
      .warning
    ),
    ("value-number", ["last"], "print loss", .value),
    ("value-vector", ["last"], "print h[2]", .value),
    ("value-matrix", ["last"], "print dWhh", .value),
    ("value-summary", ["new 20 scale 0.5"], "print Whh", .value),
    ("stop-start", ["step"], "first", .stop),
    ("stop-a", [], "step", .stop),
    ("stop-p", ["step 3"], "step", .stop),
    ("stop-loss", ["step 4"], "step", .stop),
    ("stop-passed", [], "next", .stop),
    ("stop-dy", ["until backward"], "reverse-step; step", .stop),
    ("stop-dh", ["until backward t=3 dh"], "info step", .stop),
    ("stop-dh-raw", ["until backward t=3 dh_raw"], "info step", .stop),
    ("stop-dWhh", ["until backward t=2 dWhh"], "info step", .stop),
    ("stop-dh-next", ["until backward t=1 dh_next"], "info step", .stop),
    ("stop-seed-dWhh", ["bptt seed", "until backward t=2 dWhh"], "info step", .stop),
    ("stop-squared", ["example sine", "step 4"], "step", .stop),
    ("stop-far", [], "last", .stop),
    ("reason-breakpoint", ["break dh_raw if norm(dh_raw) > 0"], "continue", .stopReason),
    ("reason-watch", ["watch dWhh[0,1]"], "continue", .stopReason),
    ("displays", ["display h[1]", "display norm(dh)"], "step 2", .displays),
    ("check-element", [], "gradcheck Whh[0,1]", .check),
    ("check-parameters", ["bptt seed"], "gradcheck", .check),
    ("check-elements", ["goto backward t=2"], "gradcheck dh_raw", .check),
    ("check-sweep", [], "gradcheck sweep bh[1]", .check),
    ("check-direction", [], "gradcheck direction seed 2", .check),
    ("text-help", [], "help step", .text),
    ("text-explain", ["last"], "explain dWhh[0,1]", .message),
    ("text-info-breakpoints", ["break dh_raw", "watch h[1]"], "info breakpoints", .message),
    ("text-plot", ["last"], "plot Whh", .text),
  ]

  @Test("each kind of report renders as its snapshot", arguments: commands.map(\.0))
  func command(name: String) throws {
    let (_, setup, line, kind) = Self.commands.first { $0.0 == name }!
    let i = Interpreter()
    for s in setup {
      let o = i.execute(s)
      #expect(o.error == nil, "setup '\(s)': \(o.error ?? "")")
    }
    let outcome = i.execute(line)
    #expect(outcome.error == nil, "\(line): \(outcome.error ?? "")")
    #expect(outcome.reports.map(Self.kind).contains(kind), "\(line) reported \(outcome.reports.map(Self.kind))")
    try assertSnapshot(name, ["(rnnstep) " + line] + outcome.lines)
  }

  @Test("training, files and comparisons render as their snapshots")
  func constructed() throws {
    let renderer = Renderer()
    let training = TrainingReport(
      requested: 100, done: 40, firstIteration: 11, lastIteration: 50, lastLoss: 1.2345678, smoothedLoss: 5.4321,
      updatesPerSecond: 8123.4, interrupted: true, variant: .seed)
    let progress = TrainingProgress(
      iteration: 50, loss: 1.2345678, smoothedLoss: 5.4321, updatesPerSecond: 8123.4, secondsLeft: 1.25,
      variant: .correct)
    let files: [Report] = [
      .fileWritten(path: "m.npz", contents: .model), .fileWritten(path: "g.npz", contents: .arrays(["dWxh", "dWhh"])),
      .fileWritten(path: "w.svg", contents: .picture),
    ]
    let comparison = ComparisonReport(
      rows: [
        .init(
          name: "dWhh", shape: [3, 3], theirShape: [3, 3], maxAbsolute: 2.5e-9, maxRelative: 1.5e-5, worstIndex: 4,
          tolerance: 4e-11, sensitivity: 1e-17, verdict: .fail),
        .init(
          name: "dby", shape: [4, 1], theirShape: [4, 1], maxAbsolute: 0, maxRelative: 0, worstIndex: 0,
          tolerance: 1e-10, sensitivity: 0, verdict: .pass),
        .init(
          name: "hs", shape: [5, 3], theirShape: [4, 4], maxAbsolute: .nan, maxRelative: .nan, worstIndex: 0,
          tolerance: 0, sensitivity: 0, verdict: .fail),
        .init(
          name: "dh", shape: [4, 3], theirShape: [4, 3], maxAbsolute: 2e-4, maxRelative: 1e-3, worstIndex: 5,
          tolerance: 3e-3, sensitivity: 3e-6, verdict: .inconclusive),
      ], skipped: ["extra"], variant: .correct, firstDivergence: .init(array: "dh_raw", t: 3, index: 1))
    var lines = renderer.lines(.training(training)) + [renderer.progressLine(progress)]
    lines += files.flatMap(renderer.lines) + renderer.lines(.comparison(comparison))
    try assertSnapshot("constructed", lines)
    // In colour, verdicts are green and red and asides dim.
    var colour = Renderer()
    colour.style.color = true
    try assertSnapshot(
      "colour",
      colour.lines(.note("(aside)")) + colour.lines(.warning("careful")) + colour.lines(.comparison(comparison)))
  }

  private func assertSnapshot(_ name: String, _ lines: [String]) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Snapshots/\(name).txt")
    let text = lines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["RNNSTEP_RECORD_SNAPSHOTS"] == "1" {
      try text.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      Issue.record("no snapshot \(name).txt: run with RNNSTEP_RECORD_SNAPSHOTS=1")
      return
    }
    #expect(text == expected, "snapshot \(name) differs; RNNSTEP_RECORD_SNAPSHOTS=1 rewrites it")
  }

  @Test("every kind of report has a snapshot")
  func everyKind() {
    let covered = Set(Self.commands.map(\.3)).union([.training, .fileWritten, .comparison])
    #expect(covered == Set(Kind.allCases))
  }
}
