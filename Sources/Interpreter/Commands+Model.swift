import Foundation
import Interop
import RNNCore
import Stepper

extension CommandTable {
  static let modelCommands: [CommandSpec] = [
    CommandSpec(
      name: "new", aliases: [], group: .model, usage: "new H [input V] [output V] [seed S] [scale X]",
      summary: "a fresh model with hidden size H, weights randn × 0.01 like the tutorial",
      details: """
        Input and output sizes default to the vocabulary's size, else to vector data's \
        columns (series, example sine), else to the current model's; seed fixes the random \
        weights (default 1); scale multiplies them (default 0.01, the tutorial's). Biases and \
        h0 start at zero. Data that still fit are kept.
        """,
      examples: ["new 3", "new 8 seed 42", "new 5 input 2 output 1 scale 0.5"],
      completion: .words(["input", "output", "seed", "scale"]),
      run: { i, args in try i.newModel(args) }),
    CommandSpec(
      name: "load", aliases: [], group: .model, usage: "load FILE",
      summary: "load a model from a .json file (with vocabulary and data) or a NumPy .npz",
      details: """
        .json is rnnstep's readable format (docs/files.md). .npz holds min-char-rnn's arrays Wxh \
        Whh Why bh by (biases (n,) or (n, 1)), as np.savez or np.savez_compressed write them, \
        and optionally h0 and vocabulary. A file that cannot be used changes nothing. After \
        corpus, the model's vocabulary numbers the corpus from then on (a corpus with characters \
        the model lacks is set aside, and so said); a file without a vocabulary, sized for the \
        corpus, takes the corpus's.
        """,
      examples: ["load hello.json", "load min-char-rnn.npz"], completion: .file,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        let path = i.expandPath(args.raw)
        let file: ModelFile
        if path.lowercased().hasSuffix(".json") {
          file = try JSONModelFormat.read(path: path)
        } else if path.lowercased().hasSuffix(".npz") {
          file = try NumPyModelFormat.read(path: path)
        } else {
          var folder: ObjCBool = false
          if FileManager.default.fileExists(atPath: path, isDirectory: &folder), folder.boolValue {
            throw CommandError("\(args.raw): is a folder, not a file (rnnstep reads .json and .npz model files)")
          }
          throw CommandError("\(args.raw): rnnstep reads .json and .npz model files")
        }
        let notes = try i.renumberCharacters(for: file)
        i.session.model = file.model
        i.session.vocabulary = file.vocabulary ?? notes.vocabulary
        if path.lowercased().hasSuffix(".json") { i.session.loss = file.loss }
        if let data = file.data {
          i.session.inputs = data.inputs
          i.session.targets = data.targets
        } else if let data = i.session.data, (try? data.validate(for: file.model, loss: i.session.loss)) == nil {
          i.session.inputs = nil
          i.session.targets = nil
        }
        i.cursor = nil
        i.say(
          "loaded \(args.raw): H = \(i.session.model.hiddenSize), input \(i.session.model.inputSize), output \(i.session.model.outputSize), loss \(i.session.loss.rawValue)"
        )
        if let note = notes.say { i.say(note) }
        i.announcePass(" for the loaded model")
      }),
    CommandSpec(
      name: "save", aliases: [], group: .model, usage: "save FILE",
      summary: "save the model to .json (with vocabulary and data) or .npz (NumPy's np.load reads it)",
      details: """
        The file is written whole or not at all: a temporary file is renamed over the target. It \
        holds the model (weights, h0, vocabulary), not the state of training: Adagrad's memory, \
        the iteration count, the smoothed loss, hprev and the place in the data are not saved, \
        so training after load starts over from the saved weights, as min-char-rnn's loop \
        started on them would.
        """,
      examples: ["save hello.json", "save hello.npz"], completion: .file,
      run: { i, args in
        guard !args.raw.isEmpty else { throw args.usageError() }
        let file = ModelFile(
          model: i.session.model, vocabulary: i.session.vocabulary, loss: i.session.loss, data: i.session.data)
        if args.raw.lowercased().hasSuffix(".json") {
          try JSONModelFormat.write(file, to: i.expandPath(args.raw))
        } else if args.raw.lowercased().hasSuffix(".npz") {
          try NumPyModelFormat.write(file, to: i.expandPath(args.raw))
        } else {
          throw CommandError("\(args.raw): rnnstep writes .json and .npz model files")
        }
        i.emit(.fileWritten(path: args.raw, contents: .model))
      }),
    CommandSpec(
      name: "inputs", aliases: [], group: .model, usage: "inputs I1 I2 … | inputs [v,v] [v,v] …",
      summary: "the inputs: one-hot indices, or one vector per step",
      details: """
        Indices select x[t] = onehot(I); vectors, written [0.5, -1] or 0.5,-1, give x[t] \
        directly. The pass is recorded again once targets of the same length are there. inputs \
        alone shows the data.
        """,
      examples: ["inputs 0 1 2 2", "inputs [0.5, 1] [0, -1] [1, 1]"], completion: .none,
      run: { i, args in
        // Alone: what they are now (as info data shows them).
        if args.raw.isEmpty { return try i.infoData() }
        let inputs: SequenceData.Inputs =
          try i.parseSteps(args.raw, what: "inputs").map { .indices($0) }
          ?? .vectors(try i.parseVectors(args.raw, what: "inputs"))
        // An index the model has no input for is refused now, not at the next step.
        if case .indices(let indices) = inputs, let t = indices.firstIndex(where: { $0 >= i.session.model.inputSize }) {
          let size = i.session.model.inputSize
          throw CommandError(
            "input at t=\(t + 1) is index \(indices[t]), outside 0 to \(size - 1) (the input size is \(size)); "
              + "new H input N makes a model with more")
        }
        i.session.inputs = inputs
        i.dataChanged("inputs")
      }),
    CommandSpec(
      name: "targets", aliases: [], group: .model, usage: "targets I1 I2 … | targets [v,v] [v,v] …",
      summary: "the targets: class indices, or one vector per step (squared error)",
      details:
        "Indices are classes for softmax (or one-hot targets for squared error); vectors need loss squared. targets alone shows the data.",
      examples: ["targets 1 2 2 3", "targets [1] [0] [0.5]"], completion: .none,
      run: { i, args in
        // Alone: what they are now (as info data shows them).
        if args.raw.isEmpty { return try i.infoData() }
        let targets: SequenceData.Targets =
          try i.parseSteps(args.raw, what: "targets").map { .indices($0) }
          ?? .vectors(try i.parseVectors(args.raw, what: "targets"))
        // A class the model has no output for is refused now, as an input index is.
        if case .indices(let indices) = targets, let t = indices.firstIndex(where: { $0 >= i.session.model.outputSize })
        {
          let size = i.session.model.outputSize
          throw CommandError(
            "target at t=\(t + 1) is index \(indices[t]), outside 0 to \(size - 1) (the output size is \(size)); "
              + "new H output N makes a model with more")
        }
        i.session.targets = targets
        i.dataChanged("targets")
      }),
    CommandSpec(
      name: "text", aliases: [], group: .model, usage: "text TEXT",
      summary: "characters as data: inputs all but the last, targets all but the first",
      details: """
        Each character becomes its index in the model's vocabulary (info model lists it), as in \
        min-char-rnn: the model reads one character and predicts the next. Quotes keep spaces at \
        the ends: text "hello world".
        """,
      examples: ["text hello", "text hell"], completion: .none,
      run: { i, args in
        guard let vocabulary = i.session.vocabulary else {
          throw CommandError("this model has no vocabulary: use inputs and targets (or load a character model)")
        }
        var text = args.raw
        guard !text.isEmpty else { throw args.usageError() }
        if text.count >= 2, let q = text.first, q == "\"" || q == "'", text.last == q {
          text = String(text.dropFirst().dropLast())
        } else if let q = text.first, q == "\"" || q == "'", !text.dropFirst().contains(q) {
          throw CommandError("the quote \(q) is not closed: text \(q)hello\(q), or text hello")
        }
        // ␣ is how the vocabulary shows a space (info model), unless ␣ is itself in it.
        if !vocabulary.contains("␣") { text = text.replacingOccurrences(of: "␣", with: " ") }
        guard text.unicodeScalars.count >= 2 else {
          throw CommandError("text needs at least 2 characters: one to read, one to predict")
        }
        guard text.unicodeScalars.count <= SequenceData.maximumLength + 1 else {
          throw CommandError(
            "text has more than the \(SequenceData.maximumLength + 1) characters a pass unrolls: use corpus FILE")
        }
        var indices: [Int] = []
        for (k, c) in text.unicodeScalars.map(Character.init).enumerated() {
          guard let index = vocabulary.firstIndex(of: c) else {
            throw CommandError(
              "character \(k + 1) of the text, '\(i.printable(c))', is not in the vocabulary (\(vocabulary.map { i.printable($0) }.joined(separator: " ")))"
            )
          }
          indices.append(index)
        }
        i.session.inputs = .indices(Array(indices.dropLast()))
        i.session.targets = .indices(Array(indices.dropFirst()))
        i.session.stream = nil
        i.say(
          "text \"\(text)\": \(counted(indices.count - 1, "step")), inputs \(indices.dropLast().map(String.init).joined(separator: " ")), targets \(indices.dropFirst().map(String.init).joined(separator: " "))"
        )
        i.announcePass(" for the new data")
      }),
    CommandSpec(
      name: "h0", aliases: [], group: .model, usage: "h0 [V1 … VH | zero]",
      summary: "the initial hidden state (min-char-rnn's hprev)",
      details: "Gives H numbers for h[0], or zero for all zeros; h0 alone shows it.",
      examples: ["h0 0.1 -0.2 0.3", "h0 zero"], completion: .words(["zero"]),
      run: { i, args in
        let words = args.words
        guard !words.isEmpty else {
          i.say("h0 = \(i.style.inline(Matrix(column: i.session.model.h0)))")
          return
        }
        let values: [Double]
        if words == ["zero"] {
          values = Array(repeating: 0, count: i.session.model.hiddenSize)
        } else {
          values = try words.map { w in
            guard let x = Double(w.trimmingCharacters(in: CharacterSet(charactersIn: ","))), x.isFinite else {
              throw CommandError("'\(w)' is not a finite number")
            }
            return x
          }
        }
        try i.session.model.setH0(values)
        i.say("h0 = \(i.style.inline(Matrix(column: values)))")
        i.announcePass(" with the new h0")
      }),
    CommandSpec(
      name: "loss", aliases: [], group: .model, usage: "loss softmax|squared",
      summary: "softmax cross-entropy (min-char-rnn) or squared error (the tutorial's dy = y − y_true)",
      details: """
        softmax: p = softmax(y), loss = −log p[target], dy = p − onehot(target). squared: loss = \
        1/2 ||y − target||², dy = y − target, with index targets read as one-hot vectors.
        """,
      examples: ["loss squared"], completion: .words(LossKind.allCases.map(\.rawValue)),
      run: { i, args in
        guard args.words.count == 1, let kind = LossKind(rawValue: args.words[0]) else {
          throw args.usageError()
        }
        i.session.loss = kind
        i.say("loss \(kind.rawValue)")
        i.cursor = nil
        i.announcePass(" with loss \(kind.rawValue)")
      }),
  ]
}

extension Interpreter {
  /// What becomes of the session's characters (a corpus, or data given as text: indices into the
  /// session's vocabulary) when a model file is loaded: the model's vocabulary numbers them from
  /// then on, so they are numbered again by it; where the model lacks some of them, they are set
  /// aside. A file without a vocabulary whose sizes are the session's vocabulary's takes it (a
  /// corpus's is sorted, as min-char-rnn's). Before, the data kept the old numbers under the new
  /// vocabulary: training on one text while showing and sampling another, or on the built-in
  /// "hello" read as other characters.
  /// - Returns: the vocabulary for a file that has none, and a line to say.
  func renumberCharacters(for file: ModelFile) throws -> (vocabulary: [Character]?, say: String?) {
    guard let old = session.vocabulary else { return (nil, nil) }
    let what = session.stream == nil ? "the data" : "the corpus"
    guard let new = file.vocabulary else {
      guard file.model.inputSize == old.count && file.model.outputSize == old.count else { return (nil, nil) }
      return (old, "the file has no vocabulary: \(what)'s \(old.count) characters are the model's")
    }
    guard new != old else { return (nil, nil) }
    // Each old index's character in the new vocabulary; nil where the new one lacks it.
    let renumber = old.map { new.firstIndex(of: $0) }
    func renumbered(_ indices: [Int]) -> [Int]? {
      var out = [Int](repeating: 0, count: indices.count)
      for (k, i) in indices.enumerated() {
        guard i < renumber.count, let n = renumber[i] else { return nil }
        out[k] = n
      }
      return out
    }
    func lacking(_ indices: [Int]) -> String {
      var seen = [Bool](repeating: false, count: old.count)
      for i in indices where i < old.count { seen[i] = true }
      let missing = old.indices.filter { seen[$0] && renumber[$0] == nil }.map { old[$0] }
      let shown = missing.prefix(5).map { "'\(printable($0))'" }.joined(separator: ", ")
      return shown + (missing.count > 5 ? " and \(missing.count - 5) more" : "")
    }
    if let stream = session.stream, case .indices(let inputs) = stream.inputs,
      case .indices(let targets) = stream.targets
    {
      guard let i = renumbered(inputs), let t = renumbered(targets) else {
        let shown = lacking(inputs + targets.suffix(1))
        session.stream = nil
        if file.data == nil {
          session.inputs = nil
          session.targets = nil
        }
        return (
          nil,
          "the corpus is set aside: \(shown) of its characters are not in the model's vocabulary "
            + "(corpus FILE again for a text the model can read, or new H for this one)"
        )
      }
      let stream = try TrainingStream(inputs: .indices(i), targets: .indices(t))
      session.stream = stream
      if file.data == nil {
        let chunk = try stream.chunk(from: 0, length: session.training.sequenceLength)
        session.inputs = chunk.inputs
        session.targets = chunk.targets
      }
      return (nil, "the corpus is numbered by the model's vocabulary now (\(new.count) characters, in its order)")
    }
    // Data given as characters (text, the built-in "hello"), when the file brings none.
    guard file.data == nil, case .indices(let inputs) = session.inputs, case .indices(let targets) = session.targets
    else { return (nil, nil) }
    guard let i = renumbered(inputs), let t = renumbered(targets) else {
      let shown = lacking(inputs + targets)
      session.inputs = nil
      session.targets = nil
      return (
        nil,
        "the data are set aside: \(shown) of their characters are not in the model's vocabulary (text or corpus "
          + "gives it data)"
      )
    }
    session.inputs = .indices(i)
    session.targets = .indices(t)
    return (nil, "the data are numbered by the model's vocabulary now: the same characters")
  }
}

extension Interpreter {
  func expandPath(_ path: String) -> String {
    path.hasPrefix("~/") ? homeDirectory() + path.dropFirst() : path
  }

  /// Whole numbers, one per step; nil when the text holds vectors instead.
  func parseSteps(_ text: String, what: String) throws -> [Int]? {
    let words = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    guard !words.isEmpty else { throw CommandError("give \(what): indices (0 1 2) or vectors ([0.5, 1] [0, 2])") }
    guard words.count <= SequenceData.maximumLength else {
      throw CommandError(
        "\(words.count) \(what) is more than the \(SequenceData.maximumLength) steps a pass unrolls: use corpus or series"
      )
    }
    if text.contains("[") || text.contains(",") || text.contains(".") { return nil }
    return try words.map { w in
      guard let k = Int(w), k >= 0 else { throw CommandError("'\(w)' is not an index (a whole number ≥ 0)") }
      return k
    }
  }

  /// Vectors written `[a, b] [c, d]` or `a,b c,d`, all of one length.
  func parseVectors(_ text: String, what: String) throws -> Matrix {
    var groups: [String] = []
    if text.contains("[") {
      var current = ""
      var depth = 0
      for c in text {
        if c == "[" {
          guard depth == 0 else { throw CommandError("\(what): brackets do not nest: [1, 2] [3, 4]") }
          depth = 1
          current = ""
        } else if c == "]" {
          guard depth == 1 else { throw CommandError("\(what): ']' without '['") }
          depth = 0
          groups.append(current)
        } else if depth == 1 {
          current.append(c)
        } else if !c.isWhitespace {
          throw CommandError("\(what): '\(c)' outside brackets: write [1, 2] [3, 4]")
        }
      }
      guard depth == 0 else { throw CommandError("\(what): '[' without ']'") }
    } else {
      groups = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }
    guard groups.count <= SequenceData.maximumLength else {
      throw CommandError(
        "\(groups.count) \(what) is more than the \(SequenceData.maximumLength) steps a pass unrolls: use series FILE.csv"
      )
    }
    let rows = try groups.enumerated().map { k, g in
      try g.split(separator: ",").map { part -> Double in
        let s = part.trimmingCharacters(in: .whitespaces)
        guard let x = Double(s), x.isFinite else {
          throw CommandError("\(what) step \(k + 1): '\(s)' is not a finite number")
        }
        return x
      }
    }
    guard let width = rows.first?.count, width > 0 else { throw CommandError("give \(what)") }
    if let bad = rows.firstIndex(where: { $0.count != width }) {
      throw CommandError("\(what) step \(bad + 1) has \(rows[bad].count) values, step 1 has \(width)")
    }
    return Matrix(rowVectors: rows)
  }

  /// After inputs or targets change: record the pass when both fit, or say what is missing.
  /// Data given by hand replace a corpus or series: train then uses them.
  func dataChanged(_ what: String) {
    session.stream = nil
    let count = { (i: SequenceData.Inputs?) -> Int? in
      switch i {
      case .indices(let v): v.count
      case .vectors(let m): m.rows
      case nil: nil
      }
    }
    let targetCount: Int? =
      switch session.targets {
      case .indices(let v): v.count
      case .vectors(let m): m.rows
      case nil: nil
      }
    let inputCount = count(session.inputs)
    say("\(what): \(counted(what == "inputs" ? inputCount! : targetCount!, "step"))")
    if let inputCount, let targetCount, inputCount != targetCount {
      note(
        "(\(inputCount) inputs but \(targetCount) targets: give the \(what == "inputs" ? "targets" : "inputs") to match)"
      )
      cursor = nil
      return
    }
    if let data = session.data {
      do {
        try data.validate(for: session.model, loss: session.loss)
      } catch {
        emit(.warning("these do not fit the model: " + describeError(error)))
        cursor = nil
        return
      }
    }
    announcePass(" for the new data")
  }

  func newModel(_ args: Arguments) throws {
    var words = args.words
    guard let first = words.first, let h = Arguments.wholeNumber(first) else {
      if let first = args.words.first, Double(first) != nil {
        throw CommandError("H must be a whole number from 1 to \(RNN.maximumSize), not \(first)")
      }
      throw args.usageError()
    }
    // As typed: 1e300 is no Int (its whole-number value saturates).
    guard h >= 1 && h <= RNN.maximumSize else {
      throw CommandError("hidden size H must be from 1 to \(RNN.maximumSize), not \(first)")
    }
    words.removeFirst()
    var input = session.vocabulary?.count ?? session.model.inputSize
    var output = session.vocabulary?.count ?? session.model.outputSize
    // Vector data (series, example sine) size the model as a vocabulary does.
    if session.vocabulary == nil, let data = session.data {
      if case .vectors(let m) = data.inputs { input = m.cols }
      if case .vectors(let m) = data.targets { output = m.cols }
    }
    var seed: UInt64 = 1
    var scale = 0.01
    while !words.isEmpty {
      guard words.count >= 2 else { throw CommandError("'\(words[0])' needs a value") }
      let (key, value) = (words[0], words[1])
      words.removeFirst(2)
      switch key {
      case "input":
        guard let v = Int(value) else { throw CommandError("input needs a whole number") }
        input = v
      case "output":
        guard let v = Int(value) else { throw CommandError("output needs a whole number") }
        output = v
      case "seed":
        seed = try Arguments.seed(value)
      case "scale":
        guard let v = Double(value), v.isFinite, v >= 0, v <= 1e3 else {
          throw CommandError("scale needs a number from 0 to 1000, not '\(value)'")
        }
        scale = v
      default:
        throw CommandError("'\(key)' is not an option of new (input, output, seed, scale)")
      }
    }
    session.model = try RNN(inputSize: input, hiddenSize: h, outputSize: output, seed: seed, scale: scale)
    if let v = session.vocabulary, v.count != input || v.count != output { session.vocabulary = nil }
    cursor = nil
    say("new model: H = \(h), input \(input), output \(output), seed \(seed), weights randn × \(style.number(scale))")
    if let data = session.data, (try? data.validate(for: session.model, loss: session.loss)) == nil {
      session.inputs = nil
      session.targets = nil
      note("(the data no longer fit and were dropped: give inputs and targets)")
    }
    announcePass(" for the new model")
  }
}

/// The user's home folder: $HOME, as shells and other programs take it, else the account's.
public func homeDirectory() -> String {
  if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
  return NSHomeDirectory()
}
