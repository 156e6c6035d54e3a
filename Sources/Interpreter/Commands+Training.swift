import Foundation
import Interop
import RNNCore
import Stepper

extension CommandTable {
  static let trainingCommands: [CommandSpec] = [
    CommandSpec(
      name: "corpus", aliases: [], group: .training, usage: "corpus FILE",
      summary: "a text file as character data; its sorted distinct characters are the vocabulary",
      details: """
        The text becomes a stream: input t is character t, target t the character after it. \
        The pass shows its first seqlen characters. A model of another size than the \
        vocabulary waits for new H, which sizes one for it (train refuses it until then). A \
        model with a vocabulary of its own that holds every character of the text (one loaded \
        from a file) keeps it: its order numbers the text, so that its rows stand for the \
        characters they were made for. Characters are code points, as Python counts them; a \
        carriage return is one of them (as min-char-rnn reads a CRLF file in Python 2, or \
        Python 3 with newline=''; Python 3's plain open() drops those of CRLF line endings).
        """,
      examples: ["corpus input.txt", "new 100"], completion: .file,
      run: { i, args in try i.loadCorpus(args) }),
    CommandSpec(
      name: "seqlen", aliases: [], group: .training, usage: "seqlen [T]",
      summary: "how many steps are unrolled per pass and per training chunk (min-char-rnn: 25)",
      details: """
        The recorded pass shows the stream's first T steps; train takes T steps per update. \
        seqlen alone shows T. A pass may take up to 256 MiB, about 16·T·(Vin + 8H + 5V) bytes.
        """,
      examples: ["seqlen 25"], completion: .none,
      run: { i, args in
        guard !args.words.isEmpty else {
          i.say("seqlen \(i.session.training.sequenceLength)")
          return
        }
        let t = try args.count(upTo: SequenceData.maximumLength)
        try Trace.checkSize(of: i.session.model, steps: t)
        i.session.training.sequenceLength = t
        i.say("seqlen \(t)")
        try i.showChunk()
      }),
    CommandSpec(
      name: "series", aliases: [], group: .training, usage: "series FILE.csv",
      summary: "numeric sequences from a CSV file: one step per row, input columns then target columns",
      details: """
        The first row names the columns; columns whose name starts with target (or y) are \
        targets, the others inputs (without such names, the last column is the target). The loss \
        becomes squared error.
        """,
      examples: ["series wave.csv"], completion: .file,
      run: { i, args in try i.loadSeries(args) }),
    CommandSpec(
      name: "example", aliases: [], group: .training, usage: "example hello|sine|echo",
      summary: "a built-in task: the hello model, a sine wave to continue, or an echo that needs memory",
      details: """
        hello: the built-in character model. sine: predict the next value of sin(0.3 t) from the \
        current one (H = 8, squared error). echo: repeat a random ±1 input 3 steps later (H = 8, \
        squared error): the target depends on an input the network saw 3 steps ago, so the \
        gradient must flow back 3 steps, and lesson 9's vanishing gradients show.
        """,
      examples: ["example sine", "train 200"], completion: .words(["hello", "sine", "echo"]),
      run: { i, args in try i.example(args) }),
    CommandSpec(
      name: "train", aliases: [], group: .training, usage: "train [N]",
      summary: "N updates (1 without N) of min-char-rnn's loop over the data",
      details: """
        min-char-rnn's loop exactly: consecutive seqlen-long chunks of the data (all of it, \
        when the data are shorter than seqlen), the hidden \
        state carried from chunk to chunk (hprev) and reset to zeros at the start and whenever the \
        next chunk would reach the last character (p + seqlen + 1 ≥ length); gradients clipped \
        (clip), then an update (optimizer, lr; Adagrad's square root and division correctly \
        rounded, as NumPy's). The model's own h0 is not used, as min-char-rnn has none. Reports \
        the loss and min-char-rnn's smoothed loss (0.999 · itself + 0.001 · the loss); on a \
        terminal a progress line shows updates per second as it goes. Ctrl-C stops after the \
        current update with the model whole. Adagrad's memory, the position in the data, the \
        iteration count and the smoothed loss carry on from one train to the next, until the \
        model's weights change other than by train (set, new, load of other weights) or the \
        data, loss, seqlen, optimizer or bptt do: training then starts over at iteration 1, \
        memory zero, the data from its start. Under bptt seed it trains with the seed's \
        gradients; under your equations or a mystery it refuses.
        """,
      examples: ["train 100", "train 5000"], completion: .none,
      run: { i, args in try i.train(args) }),
    CommandSpec(
      name: "optimizer", aliases: [], group: .training, usage: "optimizer [adagrad|sgd]",
      summary: "the update rule of train: Adagrad (min-char-rnn's) or plain SGD",
      details:
        "Adagrad divides each step by the square root of the sum of squared gradients so far; SGD steps by lr·gradient.",
      examples: ["optimizer sgd"], completion: .words(["adagrad", "sgd"]),
      run: { i, args in
        if args.words.isEmpty {
          let name = i.session.training.optimizer == .adagrad ? "adagrad" : "sgd"
          return i.say("optimizer \(name), learning rate \(i.style.number(i.session.training.learningRate))")
        }
        guard args.words.count == 1, ["adagrad", "sgd"].contains(args.words[0]) else {
          throw args.usageError()
        }
        i.session.training.optimizer = args.words[0] == "adagrad" ? .adagrad : .sgd
        i.say("optimizer \(args.words[0]), learning rate \(i.style.number(i.session.training.learningRate))")
      }),
    CommandSpec(
      name: "lr", aliases: [], group: .training, usage: "lr [X]",
      summary: "the learning rate of train (min-char-rnn: 0.1)",
      details: "A positive number.",
      examples: ["lr 0.05"], completion: .none,
      run: { i, args in
        // Alone: what it is.
        if args.words.isEmpty { return i.say("learning rate \(i.style.number(i.session.training.learningRate))") }
        guard args.words.count == 1 else { throw args.usageError() }
        guard let x = Double(args.words[0]), x > 0, x.isFinite else {
          let rounded = Double(args.words[0]) == 0 && args.words[0].contains(where: { "123456789".contains($0) })
          throw CommandError(
            "the learning rate must be a positive number, not '\(args.words[0])'"
              + (rounded ? " (too small for a Double: it rounds to 0)" : ""))
        }
        i.session.training.learningRate = x
        i.say("learning rate \(i.style.number(x))")
      }),
    CommandSpec(
      name: "clip", aliases: [], group: .training, usage: "clip [C | norm C | off]",
      summary: "limit gradients before each update: each element to ±C (min-char-rnn: 5), or their global norm to C",
      details: "Clipping changes only what the optimiser sees; the gradients a check compares are never clipped.",
      examples: ["clip 5", "clip norm 1", "clip off"], completion: .words(["norm", "off"]),
      run: { i, args in
        let w = args.words
        if w.isEmpty {
          let now: String =
            switch i.session.training.clipping {
            case .off: "clip off"
            case .value(let c): "clip \(i.style.number(c))"
            case .norm(let c): "clip norm \(i.style.number(c))"
            }
          return i.say(now)
        }
        if w == ["off"] {
          i.session.training.clipping = .off
        } else if w.count == 1, let c = Double(w[0]) {
          guard c > 0 && c.isFinite else {
            throw CommandError("clip C needs a finite C > 0 (or clip off), not \(w[0])")
          }
          i.session.training.clipping = .value(c)
        } else if w.count == 2, w[0] == "norm", let c = Double(w[1]) {
          guard c > 0 && c.isFinite else { throw CommandError("clip norm C needs a finite C > 0, not \(w[1])") }
          i.session.training.clipping = .norm(c)
        } else {
          throw args.usageError()
        }
        i.say("clip " + args.raw)
      }),
    CommandSpec(
      name: "sample", aliases: [], group: .training,
      usage: "sample N [from TEXT | at training] [temperature T] [seed S]",
      summary: "generate N characters from the model",
      details: """
        As min-char-rnn's sample: the state starts at h0, reads TEXT (default: the first \
        character of the data), then each character drawn from p = softmax(y / T) is fed back \
        in; prints TEXT, then the N characters drawn (newlines and tabs as they are; other \
        control characters, a carriage return among them, as escapes, never sent to the \
        terminal). Quote TEXT to hold spaces ("it was"), or \
        write ␣ for a space, as info model shows it. at training starts where min-char-rnn's \
        loop samples, from where train would go on: the state it carries into its next chunk \
        (hprev; zeros before the first update and at a reset) and that chunk's first character. \
        Lower temperatures pick likelier characters. Each draw is np.random.choice's, with \
        NumPy's random numbers: seed S draws what min-char-rnn's sample draws after \
        np.random.seed(S) (a seed of 2^32 or more as np.random.seed([S mod 2^32, S div 2^32])). \
        Without a seed, a session's first sample draws with seed 1, the next with seed 2, and \
        so on, so each sample is new text and a session replays the same.
        """,
      examples: ["sample 200", "sample 100 from \"the \" temperature 0.5 seed 3", "sample 200 at training"],
      completion: .words(["from", "at", "training", "temperature", "seed"]),
      run: { i, args in try i.sample(args) }),
  ]
}

extension Interpreter {
  /// The data the pass shows: the stream's first seqlen steps; `announcing` says what became of
  /// the recorded pass.
  func showChunk(announcing: Bool = true) throws {
    guard let stream = session.stream else {
      announcePass("")
      return
    }
    let chunk = try stream.chunk(from: 0, length: session.training.sequenceLength)
    session.inputs = chunk.inputs
    session.targets = chunk.targets
    cursor = nil
    if announcing { announcePass(" for the first \(counted(chunk.count, "step"))") }
  }

  func loadCorpus(_ args: Arguments) throws {
    guard !args.raw.isEmpty else { throw args.usageError() }
    let path = expandPath(args.raw)
    let text: String
    do { text = try JSONModelFormat.readText(path, limit: 64 << 20, what: "a corpus") } catch let error as FileError {
      throw CommandError("\(args.raw): \(error.problem)")
    }
    // Characters as Python counts them (min-char-rnn's set(data)): Unicode code points, so an
    // accent written as a combining mark is a character of its own, as in NumPy.
    let values = text.unicodeScalars.map(\.value)
    guard values.count >= 2 else { throw CommandError("\(args.raw): a corpus needs at least 2 characters") }
    // A table indexed by code point (at most 0x10FFFF + 1 entries): the sorted distinct
    // characters and each one's index in a pass over the text, without hashing a million times.
    var slot = [Int32](repeating: -1, count: Int(values.max()!) + 1)
    for v in values { slot[Int(v)] = 0 }
    var distinct: [UInt32] = []
    for v in slot.indices where slot[v] == 0 {
      slot[v] = Int32(distinct.count)
      distinct.append(UInt32(v))
    }
    guard distinct.count <= RNN.maximumSize else {
      throw CommandError("\(args.raw): \(distinct.count) distinct characters is more than \(RNN.maximumSize)")
    }
    let sorted = distinct.map { Character(Unicode.Scalar($0)!) }
    var vocabulary = sorted
    // The model's own vocabulary numbers the corpus where it holds every character of it and the
    // model is sized for it (a model loaded from a file, perhaps a NumPy script's with its own
    // order): its rows keep the characters they stand for. Otherwise the corpus's characters,
    // sorted, as min-char-rnn's sorted(set(data)).
    let model = session.model
    let sizedFor = { (v: [Character]) in model.inputSize == v.count && model.outputSize == v.count }
    var note: String?
    if let own = session.vocabulary, own != sorted, sizedFor(own) {
      let owned = Set(own)
      if own.allSatisfy({ $0.unicodeScalars.count == 1 }) && sorted.allSatisfy({ owned.contains($0) }) {
        for (k, c) in own.enumerated() {
          let v = Int(c.unicodeScalars.first!.value)
          if v < slot.count && slot[v] >= 0 { slot[v] = Int32(k) }
        }
        vocabulary = own
        note = "numbered by the model's vocabulary (\(own.count) characters, in its order)"
      } else if sizedFor(sorted) {
        note =
          "the model's vocabulary was another (\(own.count) characters): the corpus numbers its own, sorted, so "
          + "the model's rows no longer stand for the characters they were made for (new H for this corpus)"
      }
    }
    session.stream = try TrainingStream(characters: values.map { Int(slot[Int($0)]) })
    self.session.vocabulary = vocabulary
    session.loss = .softmax
    say("corpus \(args.raw): \(values.count) characters, vocabulary of \(vocabulary.count)")
    if let note { say(note) }
    if session.model.inputSize != vocabulary.count || session.model.outputSize != vocabulary.count {
      // No pass until then: that is what this says (the pass's own note named the first index
      // beyond the model, which read as an error in corpus's usual first steps).
      say(
        "the model has input \(session.model.inputSize) and output \(session.model.outputSize): new H sizes one for this vocabulary (e.g. new 100)"
      )
      try showChunk(announcing: false)
    } else {
      try showChunk()
    }
  }

  func loadSeries(_ args: Arguments) throws {
    guard args.raw.lowercased().hasSuffix(".csv") else { throw args.usageError() }
    let path = expandPath(args.raw)
    let text: String
    do { text = try JSONModelFormat.readText(path, limit: 64 << 20, what: "a series file") } catch let error
      as FileError
    {
      throw CommandError("\(args.raw): \(error.problem)")
    }
    let series = try SeriesFile.parse(text, name: args.raw)
    session.stream = try TrainingStream(inputs: .vectors(series.inputs), targets: .vectors(series.targets))
    session.vocabulary = nil
    session.loss = .squared
    say(
      Renderer.visible(
        "series \(args.raw): \(series.inputs.rows) steps; inputs \(series.inputNames.joined(separator: " ")); "
          + "targets \(series.targetNames.joined(separator: " ")); loss squared"))
    if session.model.inputSize != series.inputs.cols || session.model.outputSize != series.targets.cols {
      say(
        "the model has input \(session.model.inputSize) and output \(session.model.outputSize): new H sizes one (input \(series.inputs.cols), output \(series.targets.cols))"
      )
    }
    try showChunk()
  }

  func example(_ args: Arguments) throws {
    guard args.words.count == 1 else { throw args.usageError() }
    switch args.words[0] {
    case "hello":
      restoreBuiltIn()
      say("example hello: the built-in model, H = 3, vocabulary h e l o, data \"hello\"")
    case "sine":
      // Steps count from 1: x[t] = sin(0.3 (t − 1)), target[t] = sin(0.3 t).
      let n = 400
      let wave = (0...n).map { Foundation.sin(0.3 * Double($0)) }
      session.stream = try TrainingStream(
        inputs: .vectors(Matrix(rows: n, cols: 1, Array(wave.dropLast()))),
        targets: .vectors(Matrix(rows: n, cols: 1, Array(wave.dropFirst()))))
      session.model = try RNN(inputSize: 1, hiddenSize: 8, outputSize: 1, seed: 1, scale: 0.3)
      finishExample("sine: predict sin(0.3 t) from sin(0.3 (t−1)); H = 8, squared error, seqlen 25")
    case "echo":
      // target[t] = x[t-3]: the network must remember three steps.
      var rng = SeededGenerator(seed: 11)
      let n = 600
      let bits = (0..<n).map { _ in rng.nextUniform() < 0.5 ? -1.0 : 1.0 }
      let delayed = (0..<n).map { $0 >= 3 ? bits[$0 - 3] : 0 }
      session.stream = try TrainingStream(
        inputs: .vectors(Matrix(rows: n, cols: 1, bits)), targets: .vectors(Matrix(rows: n, cols: 1, delayed)))
      session.model = try RNN(inputSize: 1, hiddenSize: 8, outputSize: 1, seed: 1, scale: 0.3)
      finishExample("echo: repeat a random ±1 input 3 steps later; H = 8, squared error, seqlen 25")
    default:
      throw args.usageError()
    }
  }

  private func finishExample(_ description: String) {
    session.vocabulary = nil
    session.loss = .squared
    session.training.sequenceLength = 25
    cursor = nil
    say("example " + description)
    try? showChunk()
  }

  func train(_ args: Arguments) throws {
    let n = try args.count()
    let trainer = try trainerForSession()
    cancellation.reset()
    let start = Date()
    let first = trainer.iteration
    var interrupted = false
    let before = session.model
    defer {
      // Interrupted, the session keeps the model of the last complete update; an update that
      // made a parameter NaN or infinite leaves it as it was before this train.
      session.model = trainer.model.parameters.isFinite ? trainer.model : before
    }
    if progress != nil { showEarlierLines() }
    try trainer.keepingCoresApart { try trainSteps(n, trainer, start: start, interrupted: &interrupted) }
    progress?("")
    let done = trainer.iteration - first
    emit(
      .training(
        TrainingReport(
          requested: n, done: done, firstIteration: first + 1, lastIteration: trainer.iteration,
          lastLoss: trainer.losses.last ?? .nan, smoothedLoss: trainer.smoothLoss,
          updatesPerSecond: Double(done) / max(Date().timeIntervalSince(start), 1e-9), interrupted: interrupted,
          variant: trainer.variant)))
  }
  /// The updates of `train`, stopping at Ctrl-C.
  private func trainSteps(_ n: Int, _ trainer: Trainer, start: Date, interrupted: inout Bool) throws {
    var lastReport = Date.distantPast
    for k in 0..<n {
      if cancellation.isCancelled {
        interrupted = true
        break
      }
      let loss: Double
      do { loss = try trainer.step() } catch let error as RNNError {
        trainerCache = nil
        throw CommandError("\(error.description); the model is as it was before this train")
      }
      if let progress, Date().timeIntervalSince(lastReport) > 0.1 || k == n - 1 {
        lastReport = Date()
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(k + 1) / max(elapsed, 1e-9)
        progress(
          renderer.progressLine(
            TrainingProgress(
              iteration: trainer.iteration, loss: loss, smoothedLoss: trainer.smoothLoss, updatesPerSecond: rate,
              secondsLeft: Double(n - k - 1) / rate, variant: trainer.variant)))
      }
    }
  }

  func requireData() throws -> SequenceData {
    guard let data = session.data else {
      throw CommandError("there is no data: corpus FILE, series FILE.csv, example NAME, text, or inputs and targets")
    }
    return data
  }

  func sample(_ args: Arguments) throws {
    guard let vocabulary = session.vocabulary else {
      throw CommandError("sample draws characters: it needs a character model (corpus, text, example hello)")
    }
    guard session.model.inputSize == vocabulary.count && session.model.outputSize == vocabulary.count else {
      throw CommandError(
        "sample feeds each drawn character back in: the model's input and output sizes (\(session.model.inputSize), "
          + "\(session.model.outputSize)) must both be the vocabulary's \(vocabulary.count) (new H sizes one)")
    }
    guard session.model.parameters.isFinite else {
      throw CommandError("the model has NaN or infinite parameters: its samples mean nothing (new or load a model)")
    }
    var words = try args.quotedWords()
    guard let first = words.first, let n = Arguments.wholeNumber(first) else {
      if let first = words.first, Double(first) != nil {
        throw CommandError("sample draws 1 to 100000 characters, not \(first)")
      }
      throw args.usageError()
    }
    guard n >= 1 && n <= 100_000 else { throw CommandError("sample draws 1 to 100000 characters, not \(first)") }
    words.removeFirst()
    var prime: String?
    var temperature = 1.0
    var seed: UInt64?
    var given: Set<String> = []
    while !words.isEmpty {
      guard ["from", "at", "temperature", "seed"].contains(words[0]) else {
        throw CommandError("'\(words[0])' is not an option of sample (from, at, temperature, seed)")
      }
      guard words.count >= 2 else { throw CommandError("\(words[0]) needs a value") }
      guard given.insert(words[0]).inserted else { throw CommandError("\(words[0]) is given twice: give it once") }
      switch words[0] {
      case "from": prime = words[1]
      case "at":
        guard words[1] == "training" else {
          throw CommandError("sample starts at training (where train would go on), not '\(words[1])'")
        }
      case "temperature":
        guard let t = Double(words[1]), t >= 1e-6, t <= 1e6 else {
          throw CommandError("temperature must be a number from 1e-6 to 1e6, not '\(words[1])'")
        }
        temperature = t
      case "seed":
        seed = try Arguments.seed(words[1])
      default: throw CommandError("'\(words[0])' is not an option of sample (from, at, temperature, seed)")
      }
      words.removeFirst(2)
    }
    guard !(given.contains("from") && given.contains("at")) else {
      throw CommandError("sample starts from TEXT or at training, not both")
    }
    let start: [Int]
    var state: [Double]?
    if given.contains("at") {
      let trainer = try trainerForSession()
      let next = trainer.nextChunkStart
      guard case .indices(let indices) = try trainer.stream.chunk(from: next.position, length: 1).inputs else {
        throw CommandError("sample draws characters: it needs a character model (corpus, text, example hello)")
      }
      start = indices
      state = next.state
    } else if let prime {
      guard !prime.isEmpty else { throw CommandError("from needs at least one character") }
      // As long as a text may be: beyond, reading it would take seconds with nothing to stop it.
      guard prime.unicodeScalars.count <= SequenceData.maximumLength + 1 else {
        throw CommandError(
          "from takes up to \(SequenceData.maximumLength + 1) characters, not \(prime.unicodeScalars.count)")
      }
      start = try prime.enumerated().map { position, typed in
        // ␣ is how the vocabulary shows a space, unless ␣ is itself in it.
        let c: Character = typed == "␣" && !vocabulary.contains("␣") ? " " : typed
        guard let k = vocabulary.firstIndex(of: c) else {
          throw CommandError(
            "'\(printable(c))', character \(position + 1) of '\(prime.map(printable).joined())', is not in the "
              + "vocabulary (info model lists it)")
        }
        return k
      }
    } else {
      guard case .indices(let indices) = session.data?.inputs, let k = indices.first else {
        throw CommandError("give from TEXT to start from")
      }
      start = [k]
    }
    cancellation.reset()
    let drawn = try Sampler.sample(
      model: session.model, state: state, prime: start, count: n, temperature: temperature,
      seed: seed ?? session.nextSampleSeed, cancellation: cancellation)
    if seed == nil { session.nextSampleSeed &+= 1 }
    // Newlines and tabs as they are, as min-char-rnn prints its samples; other control
    // characters shown, not sent to the terminal.
    say(
      Renderer.visible(String(start.map { vocabulary[$0] }) + String(drawn.map { vocabulary[$0] }), keepingLines: true))
  }
}

/// A `series` CSV file: a header, then one step per row; columns named target… or y… are the
/// targets (the last column when none is), the others the inputs.
public struct SeriesFile {
  public var inputs: Matrix
  public var targets: Matrix
  public var inputNames: [String]
  public var targetNames: [String]

  /// - Throws: ``CommandError`` naming the file (`name`), the line and the column of the problem.
  public static func parse(_ text: String, name: String) throws -> SeriesFile {
    // Numbered as in the file: blank lines are skipped but counted.
    // "\r\n" is one Character in Swift, and a newline: LF, CRLF and CR all end a line.
    let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().map {
      (number: $0 + 1, text: String($1))
    }.filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
    guard lines.count >= 3 else { throw CommandError("\(name): a header and at least 2 rows are needed") }
    let headerLine = lines.removeFirst()
    let header = headerLine.text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    if let k = header.firstIndex(where: \.isEmpty) {
      throw CommandError("\(name):\(headerLine.number): column \(k + 1) of the header has no name")
    }
    if header.allSatisfy({ Double($0) != nil }) {
      throw CommandError(
        "\(name):\(headerLine.number): the first line must name the columns (as x1,x2,target), and it holds numbers")
    }
    let isTarget = header.map { $0.lowercased().hasPrefix("target") || $0.lowercased().hasPrefix("y") }
    let targetColumns = isTarget.contains(true) ? header.indices.filter { isTarget[$0] } : [header.count - 1]
    let inputColumns = header.indices.filter { !targetColumns.contains($0) }
    guard !inputColumns.isEmpty, !targetColumns.isEmpty else {
      throw CommandError("\(name): needs at least one input and one target column")
    }
    var rows: [[Double]] = []
    for line in lines {
      let cells = line.text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      guard cells.count == header.count else {
        throw CommandError("\(name):\(line.number): \(cells.count) values, the header names \(header.count) columns")
      }
      rows.append(
        try cells.enumerated().map { k, cell in
          guard let x = Double(cell), x.isFinite else {
            throw CommandError("\(name):\(line.number): '\(cell)' in column \(header[k]) is not a finite number")
          }
          return x
        })
    }
    return SeriesFile(
      inputs: Matrix(rowVectors: rows.map { row in inputColumns.map { row[$0] } }),
      targets: Matrix(rowVectors: rows.map { row in targetColumns.map { row[$0] } }),
      inputNames: inputColumns.map { header[$0] }, targetNames: targetColumns.map { header[$0] })
  }
}
