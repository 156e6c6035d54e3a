import Foundation
import Interop
import RNNCore
import Stepper

extension CommandTable {
  static let plotCommands: [CommandSpec] = [
    CommandSpec(
      name: "plot", aliases: [], group: .inspecting,
      usage: "plot EXPRESSION | plot loss | plot norm QUANTITY [--log] | plot flow [--svg FILE]",
      summary: "a heatmap of a matrix or of a quantity over time, or a line chart; --svg writes it to a file",
      details: """
        plot Whh draws a heatmap on a diverging scale (blue negative, red positive, with its \
        legend); a quantity over time (h, a, y, p, dy, dh, dh_raw, dh_next) is drawn T×n, one row \
        per step. Without colour (NO_COLOR, or not a terminal) cells are a sign and a shade. plot \
        loss draws the training curve (each update's loss and min-char-rnn's smoothed loss); \
        plot norm dh_next (or any step quantity) draws its norm against t, --log its log10. plot \
        flow draws how far each loss term's gradient reaches back: row t, column k is \
        log10 ‖∂L_t/∂h_k‖ (print dL_dh(t, k) for the vector, jacobian(t, k) for ∂h_t/∂h_k, svd() for \
        its singular values). Rows and columns are numbered. --svg FILE writes the same picture as \
        an SVG file a browser shows.
        """,
      examples: ["plot Whh", "plot h", "plot norm dh_next --log", "plot flow", "plot loss --svg loss.svg"],
      completion: .wordsAndNames(["loss", "norm", "flow", "--log", "--svg"]),
      run: { i, args in try i.plot(args) })
  ]
}

extension Interpreter {
  func plot(_ args: Arguments) throws {
    var (svgPath, words) = try args.option("svg")
    // A file that cannot be written is refused before anything is drawn.
    if let svgPath {
      guard svgPath.lowercased().hasSuffix(".svg") else { throw CommandError("--svg needs a file ending in .svg") }
      let full = expandPath(svgPath)
      let folder = (full as NSString).deletingLastPathComponent
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isFolder),
        isFolder.boolValue
      else { throw CommandError("\(svgPath): the folder \(folder) does not exist") }
      if FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), isFolder.boolValue {
        throw CommandError("\(svgPath): is a folder, not a file")
      }
    }
    let logarithmic = words.contains("--log")
    words.removeAll { $0 == "--log" }
    guard !words.isEmpty else { throw args.usageError() }
    if words == ["flow"] {
      let (trace, cursor) = try requireTrace()
      let triangle: Matrix
      cancellation.reset()
      do {
        triangle = try GradientFlow(snapshot: Snapshot(trace: trace, cursor: cursor)).triangle(
          cancellation: cancellation)
      } catch let error as CommandError {
        throw error
      } catch let error as Cancelled {
        throw error
      } catch {
        throw CommandError("plot flow needs the forward pass computed: \(describeError(error)) (last or run first)")
      }
      emit(.text(logTriangle(triangle)))
      if let svgPath { try writeSVG(svgLogTriangle(triangle), svgPath) }
      return
    }
    let text = words.joined(separator: " ")
    if text == "loss" {
      guard let trainer = currentTrainer, !trainer.losses.isEmpty else {
        throw CommandError("there is no training curve yet: train N first")
      }
      // The smoothed loss is the trainer's own: min-char-rnn's 0.999 · smooth + 0.001 · loss.
      let series = [("loss", trainer.losses), ("smoothed loss", trainer.smoothLosses)]
      emit(.text(lineChart(series, xLabel: "update", title: "training loss over \(trainer.losses.count) updates")))
      if let svgPath { try writeSVG(svgLineChart(series, title: "training loss", xLabel: "update"), svgPath) }
      return
    }
    if words.first == "norm" {
      guard words.count == 2, let quantity = StepQuantity(rawValue: words[1]), quantity != .loss else {
        throw args.usageError()
      }
      let (trace, cursor) = try requireTrace()
      let snapshot = Snapshot(trace: trace, cursor: cursor)
      let norms = try (1...trace.steps).map { t in
        do { return try snapshot.value(quantity, t: t).norm } catch let e as NotComputedYet {
          throw CommandError(
            "\(passValueName(e.value)) is not computed yet at \(cursorDescription): plot it after last or run")
        }
      }
      let shown = logarithmic ? norms.map { Foundation.log10($0) } : norms
      let title = (logarithmic ? "log10 " : "") + "norm(\(quantity.rawValue)[t]) for t = 1…\(trace.steps)"
      emit(.text(lineChart([(quantity.rawValue, shown)], xLabel: "t", title: title, firstX: 1)))
      if let svgPath {
        try writeSVG(svgLineChart([(quantity.rawValue, shown)], title: title, xLabel: "t", firstX: 1), svgPath)
      }
      return
    }
    var matrix: Matrix
    var rowLabel = "row"
    if let quantity = StepQuantity(rawValue: text), quantity != .loss {
      let (trace, cursor) = try requireTrace()
      let snapshot = Snapshot(trace: trace, cursor: cursor)
      let rows = try (1...trace.steps).map { t in
        do { return try snapshot.value(quantity, t: t).storage } catch let e as NotComputedYet {
          throw CommandError(
            "\(passValueName(e.value)) is not computed yet at \(cursorDescription): plot it after last or run")
        }
      }
      matrix = Matrix(rowVectors: rows)
      rowLabel = "t"
    } else {
      matrix = try evaluate(text)
      if matrix.cols == 1 && matrix.rows > 1 { matrix = matrix.transposed() }
    }
    guard matrix.rows <= 200 && matrix.cols <= 200 else {
      throw CommandError("\(matrix.shapeDescription) is too large to draw (200×200 at most)")
    }
    emit(.text(heatmap(matrix, title: text, rowLabel: rowLabel)))
    if let svgPath { try writeSVG(svgHeatmap(matrix, title: text, rowLabel: rowLabel), svgPath) }
  }

  private func writeSVG(_ svg: String, _ path: String) throws {
    try AtomicFile.write(Data(svg.utf8), to: expandPath(path))
    emit(.fileWritten(path: path, contents: .picture))
  }

  // MARK: Heatmaps

  /// The colour of v on a diverging scale: blue (−limit) through white (0) to red (+limit).
  private func rgb(_ v: Double, limit: Double) -> (Int, Int, Int) {
    let x = limit > 0 ? max(-1, min(1, v / limit)) : 0
    let fade = Int((1 - abs(x)) * 255)
    return x >= 0 ? (255, fade, fade) : (fade, fade, 255)
  }

  func heatmap(_ m: Matrix, title: String, rowLabel: String) -> [String] {
    // The scale comes from the finite values; NaN and ±inf get a mark of their own.
    let limit = m.storage.reduce(0.0) { $1.isFinite ? max($0, abs($1)) : $0 }
    let nonFinite = m.storage.contains { !$0.isFinite }
    let shades = [" ", "░", "▒", "▓", "█"]
    var lines = ["\(title)  (\(m.shapeDescription); \(rowLabel == "t" ? "time steps" : "rows") down, columns across)"]
    let labelWidth = String(m.rows).count + rowLabel.count + 1
    lines.append(columnLabels(m.cols, indent: labelWidth + 1, first: 0))
    for i in 0..<m.rows {
      var line = (rowLabel == "t" ? "t=\(i + 1)" : "\(i)").padded(labelWidth) + " "
      for j in 0..<m.cols {
        let v = m[i, j]
        if !v.isFinite {
          line += v.isNaN ? " ?" : (v > 0 ? "+∞" : "-∞")
          continue
        }
        if style.color {
          let (r, g, b) = rgb(v, limit: limit)
          line += "\u{1B}[48;2;\(r);\(g);\(b)m  \u{1B}[0m"
        } else {
          let level = limit > 0 ? Int((abs(v) / limit * 4).rounded()) : 0
          line += (v < 0 && level > 0 ? "-" : " ") + shades[level]
        }
      }
      lines.append(line)
    }
    let n = style.number
    if style.color {
      let bar = stride(from: -1.0, through: 1.0, by: 0.125).map { x -> String in
        let (r, g, b) = rgb(x * limit, limit: limit)
        return "\u{1B}[48;2;\(r);\(g);\(b)m \u{1B}[0m"
      }.joined()
      lines.append("scale: \(n(-limit)) " + bar + " \(n(limit))")
    } else {
      lines.append(
        "scale: shade ░▒▓█ = |value| up to \(n(limit)) in quarters; - marks a negative value; blank is 0 or under an eighth of it"
      )
    }
    if nonFinite { lines.append("? is NaN, +∞ and -∞ are infinite (left out of the scale)") }
    return lines
  }

  func svgHeatmap(_ m: Matrix, title: String, rowLabel: String) -> String {
    let cell = 16
    let left = 50
    let top = 40
    let width = left + m.cols * cell + 120
    // Tall enough for the legend (20 swatches of 8) as well as the matrix.
    let height = top + max(m.rows * cell, 170) + 20
    let limit = m.maxAbs
    var svg = svgHeader(width, height, title)
    for i in 0..<m.rows {
      svg +=
        "<text x=\"\(left - 6)\" y=\"\(top + i * cell + 12)\" text-anchor=\"end\" font-size=\"10\">\(rowLabel == "t" ? "t=\(i + 1)" : "\(i)")</text>\n"
      for j in 0..<m.cols {
        let (r, g, b) = rgb(m[i, j], limit: limit)
        svg +=
          "<rect x=\"\(left + j * cell)\" y=\"\(top + i * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(r),\(g),\(b))\"><title>[\(i),\(j)] = \(m[i, j].isNaN ? "nan" : "\(m[i, j])")</title></rect>\n"
      }
    }
    // Legend: the diverging scale with its ends.
    let legendX = left + m.cols * cell + 20
    for k in 0..<20 {
      let v = limit * (1 - Double(k) / 9.5)
      let (r, g, b) = rgb(v, limit: limit)
      svg += "<rect x=\"\(legendX)\" y=\"\(top + k * 8)\" width=\"16\" height=\"8\" fill=\"rgb(\(r),\(g),\(b))\"/>\n"
    }
    svg += "<text x=\"\(legendX + 20)\" y=\"\(top + 8)\" font-size=\"10\">\(style.number(limit))</text>\n"
    svg += "<text x=\"\(legendX + 20)\" y=\"\(top + 160)\" font-size=\"10\">\(style.number(-limit))</text>\n"
    return svg + "</svg>\n"
  }

  /// Column numbers over a heatmap of two characters a cell: every fifth, and the first.
  private func columnLabels(_ count: Int, indent: Int, first: Int) -> String {
    var cells = [Character](repeating: " ", count: 2 * count + 4)
    for j in stride(from: 0, to: count, by: 5) {
      for (k, c) in String(j + first).enumerated() where 2 * j + 1 + k < cells.count { cells[2 * j + 1 + k] = c }
    }
    var text = String(cells)
    while text.last == " " { text.removeLast() }
    return String(repeating: " ", count: indent) + text
  }

  /// log10 ‖∂L_t/∂h_k‖ as a triangle: row t, column k ≤ t, darker for larger, on a logarithmic
  /// scale from the smallest to the largest.
  func logTriangle(_ m: Matrix) -> [String] {
    let finite = m.storage.filter(\.isFinite)
    let (low, high) = (finite.min() ?? 0, finite.max() ?? 0)
    let shades = ["░", "▒", "▓", "█"]
    var lines = ["how far each loss term reaches back: row t, column k = log10 ‖∂L_t/∂h_k‖ (k ≤ t)"]
    let labelWidth = String(m.rows).count + 2
    lines.append(columnLabels(m.cols, indent: labelWidth + 1, first: 1))
    for t in 0..<m.rows {
      var line = "t=\(t + 1)".padded(labelWidth) + " "
      for k in 0..<m.cols {
        let v = m[t, k]
        if !v.isFinite {
          line += k <= t ? " ?" : "  "
          continue
        }
        let level = high > low ? min(3, Int((v - low) / (high - low) * 4)) : 3
        line += " " + shades[level]
      }
      lines.append(line)
    }
    let n = style.number
    lines.append(
      "scale (log10): ░ \(n(low)) … █ \(n(high)); each step back to the left multiplies the gradient by ∂h_t/∂h_{t−1}")
    return lines
  }

  /// The same triangle as an SVG: cell (t, k) shaded from white (the smallest log10 norm) to
  /// dark blue (the largest); cells with k > t are left out, a non-finite one is grey.
  func svgLogTriangle(_ m: Matrix) -> String {
    let finite = m.storage.filter(\.isFinite)
    let (low, high) = (finite.min() ?? 0, finite.max() ?? 0)
    let cell = 16
    let left = 50
    let top = 56
    var svg = svgHeader(left + m.cols * cell + 20, top + m.rows * cell + 40, "log10 ‖∂L_t/∂h_k‖ (row t, column k ≤ t)")
    for k in 0..<m.cols where k % 5 == 0 {
      svg += "<text x=\"\(left + k * cell + 2)\" y=\"\(top - 6)\" font-size=\"10\">\(k + 1)</text>\n"
    }
    for t in 0..<m.rows {
      svg +=
        "<text x=\"\(left - 6)\" y=\"\(top + t * cell + 12)\" text-anchor=\"end\" font-size=\"10\">t=\(t + 1)</text>\n"
      for k in 0...min(t, m.cols - 1) {
        let v = m[t, k]
        let fill: String
        if v.isFinite {
          let x = high > low ? (v - low) / (high - low) : 1
          let fade = Int(((1 - x) * 255).rounded())
          fill = "rgb(\(fade),\(fade),255)"
        } else {
          fill = "rgb(160,160,160)"
        }
        svg +=
          "<rect x=\"\(left + k * cell)\" y=\"\(top + t * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\"><title>t=\(t + 1), k=\(k + 1): \(v.isNaN ? "nan" : "\(v)")</title></rect>\n"
      }
    }
    let n = style.number
    svg +=
      "<text x=\"10\" y=\"\(top + m.rows * cell + 24)\" font-size=\"10\">white \(n(low)) … blue \(n(high)) (log10)</text>\n"
    return svg + "</svg>\n"
  }

  // MARK: Line charts

  func lineChart(_ series: [(String, [Double])], xLabel: String, title: String, firstX: Int = 1) -> [String] {
    let width = 64
    let height = 14
    let all = series.flatMap(\.1).filter(\.isFinite)
    guard let low = all.min(), let high = all.max(), let count = series.first?.1.count, count > 0 else {
      return [title, "(nothing to draw)"]
    }
    let span = high > low ? high - low : 1
    var grid = Array(repeating: Array(repeating: Character(" "), count: width), count: height)
    let marks: [Character] = ["•", "·", "+"]
    for (s, (_, values)) in series.enumerated().reversed() {
      for (k, v) in values.enumerated() where v.isFinite {
        let x = count == 1 ? 0 : Int((Double(k) / Double(count - 1) * Double(width - 1)).rounded())
        let y = Int(((v - low) / span * Double(height - 1)).rounded())
        grid[height - 1 - y][x] = marks[s % marks.count]
      }
    }
    let n = style.number
    let labels = [n(high), n(low)]
    let labelWidth = labels.map(\.count).max()!
    var lines = [title]
    for (row, chars) in grid.enumerated() {
      let label = row == 0 ? labels[0] : row == height - 1 ? labels[1] : ""
      lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " │" + String(chars))
    }
    lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
    let lastX = String(firstX + count - 1)
    lines.append(
      String(repeating: " ", count: labelWidth + 2) + "\(firstX)"
        + String(repeating: " ", count: max(1, width - lastX.count - String(firstX).count)) + lastX)
    lines.append(
      String(repeating: " ", count: labelWidth + 2) + "\(xLabel) →   "
        + series.enumerated().map { "\(marks[$0 % marks.count]) \($1.0)" }.joined(separator: "   "))
    return lines
  }

  func svgLineChart(_ series: [(String, [Double])], title: String, xLabel: String, firstX: Int = 1) -> String {
    let (width, height, left, top, plotW, plotH) = (640, 360, 70, 40, 540, 260)
    let all = series.flatMap(\.1).filter(\.isFinite)
    let low = all.min() ?? 0
    let high = all.max() ?? 1
    let span = high > low ? high - low : 1
    var svg = svgHeader(width, height, title)
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#888\"/>\n"
    let colours = ["#c0392b", "#2c3e50", "#27ae60"]
    for (s, (name, values)) in series.enumerated() {
      let count = max(values.count - 1, 1)
      let points = values.enumerated().filter { $0.element.isFinite }.map { k, v in
        "\(Double(left) + Double(k) / Double(count) * Double(plotW)),\(Double(top) + (1 - (v - low) / span) * Double(plotH))"
      }
      svg +=
        "<polyline fill=\"none\" stroke=\"\(colours[s % 3])\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
      svg +=
        "<text x=\"\(left + 10 + s * 160)\" y=\"\(top + plotH + 40)\" fill=\"\(colours[s % 3])\" font-size=\"12\">\(name)</text>\n"
    }
    svg +=
      "<text x=\"\(left - 6)\" y=\"\(top + 10)\" text-anchor=\"end\" font-size=\"11\">\(style.number(high))</text>\n"
    svg +=
      "<text x=\"\(left - 6)\" y=\"\(top + plotH)\" text-anchor=\"end\" font-size=\"11\">\(style.number(low))</text>\n"
    svg += "<text x=\"\(left)\" y=\"\(top + plotH + 16)\" font-size=\"11\">\(firstX)</text>\n"
    svg +=
      "<text x=\"\(left + plotW)\" y=\"\(top + plotH + 16)\" text-anchor=\"end\" font-size=\"11\">\(firstX + (series.first?.1.count ?? 1) - 1)</text>\n"
    svg +=
      "<text x=\"\(left + plotW / 2)\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\" font-size=\"11\">\(xLabel)</text>\n"
    return svg + "</svg>\n"
  }

  private func svgHeader(_ width: Int, _ height: Int, _ title: String) -> String {
    let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif">
      <rect width="100%" height="100%" fill="white"/>
      <text x="10" y="22" font-size="14">\(escaped)</text>

      """
  }
}
