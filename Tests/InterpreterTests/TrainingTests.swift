import Foundation
import Interop
import RNNCore
import Testing

@testable import Interpreter

@Suite("Data, training, sampling, pictures")
struct TrainingTests {
  func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "rnnstep-\(UInt64.random(in: 0...UInt64.max))-\(name)"
    ).path
  }

  @Test("corpus: sorted distinct characters, new H sizes the model, seqlen chunks, the loss falls with training")
  func corpus() throws {
    let path = temporary("corpus.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let text = String(repeating: "the cat sat on the mat. ", count: 20)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let (i, out) = session("corpus \(path)", "new 16 seed 3", "seqlen 10", "info data")
    #expect(out[0].lines[0] == "corpus \(path): \(text.count) characters, vocabulary of 11")
    #expect(i.session.vocabulary == Array(" .acehmnost"))
    #expect(out[2].lines.last!.contains("for the first 10 steps"))
    #expect(out[3].lines[1] == "  t=1  x: 't' (10)  target: 'h' (5)")
    let before = i.trace!.loss
    let trained = i.execute("train 150")
    #expect(trained.lines[0].hasPrefix("trained 150 updates (iterations 1…150): loss "))
    #expect(i.trace!.loss < before / 2, "the first chunk's loss after training: \(i.trace!.loss) vs \(before)")
    // Training goes on from where it stopped.
    #expect(i.execute("train 10").lines[0].hasPrefix("trained 10 updates (iterations 151…160)"))
    #expect(i.execute("gradcheck sample 3").lines.last!.hasPrefix("PASS"))
    // Data given by hand replace the corpus: train then repeats them.
    i.execute("text the")
    #expect(i.execute("train 2").lines[0].hasPrefix("trained 2 updates (iterations 1…2)"))
    #expect(i.session.stream == nil)
  }

  @Test("a model loaded after corpus numbers the corpus by its vocabulary, lends it the corpus's, or sets it aside")
  func loadAfterCorpus() throws {
    let (textPath, modelPath) = (temporary("corpus.txt"), temporary("model.npz"))
    defer { for p in [textPath, modelPath] { try? FileManager.default.removeItem(atPath: p) } }
    let text = String(repeating: "abcab dcba ", count: 30)
    try text.write(toFile: textPath, atomically: true, encoding: .utf8)
    let sorted = Array(" abcd")
    let model = try RNN(inputSize: 5, hiddenSize: 6, outputSize: 5, seed: 4)
    func indices(_ vocabulary: [Character]) -> [Int] { text.map { vocabulary.firstIndex(of: $0)! } }
    // The same characters in another order: the corpus is numbered again, the pass's data too.
    let reversed = Array(sorted.reversed())
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: reversed), to: modelPath)
    let (i, out) = session("corpus \(textPath)", "load \(modelPath)")
    #expect(out[1].lines.contains("the corpus is numbered by the model's vocabulary now (5 characters, in its order)"))
    #expect(i.session.vocabulary == reversed)
    let expected = indices(reversed)
    let renumbered = try TrainingStream(characters: expected)
    #expect(i.session.stream == renumbered)
    guard case .indices(let shown) = i.session.inputs else { throw CommandError("no inputs") }
    #expect(shown == Array(expected.prefix(shown.count)))
    #expect(i.execute("train 3").error == nil)
    // No vocabulary in the file, the corpus's sizes: the corpus's vocabulary is the model's.
    try NumPyModelFormat.write(ModelFile(model: model), to: modelPath)
    let (j, again) = session("corpus \(textPath)", "load \(modelPath)", "sample 5 seed 1")
    #expect(again[1].lines.contains("the file has no vocabulary: the corpus's 5 characters are the model's"))
    let asRead = try TrainingStream(characters: indices(sorted))
    #expect(j.session.vocabulary == sorted && j.session.stream == asRead)
    #expect(again[2].error == nil && again[2].lines[0].count == 6)
    // A vocabulary without some of the corpus's characters: the corpus is set aside, and so said.
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: Array("abcxy")), to: modelPath)
    let (k, aside) = session("corpus \(textPath)", "load \(modelPath)")
    #expect(
      aside[1].lines.contains(
        "the corpus is set aside: '␣', 'd' of its characters are not in the model's vocabulary (corpus FILE again "
          + "for a text the model can read, or new H for this one)"))
    #expect(k.session.stream == nil && k.session.inputs == nil && k.session.vocabulary == Array("abcxy"))
    // The model first, then a corpus of its characters (all or some): numbered by the model's vocabulary.
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: reversed), to: modelPath)
    let (m, first) = session("load \(modelPath)", "corpus \(textPath)")
    #expect(first[1].lines.contains("numbered by the model's vocabulary (5 characters, in its order)"))
    #expect(m.session.vocabulary == reversed && m.session.stream == renumbered)
    let fewer = temporary("fewer.txt")
    defer { try? FileManager.default.removeItem(atPath: fewer) }
    try "abba cab".write(toFile: fewer, atomically: true, encoding: .utf8)
    let (n, _) = session("load \(modelPath)", "corpus \(fewer)", "train 2")
    #expect(n.session.vocabulary == reversed)
    #expect(n.session.stream == (try? TrainingStream(characters: "abba cab".map { reversed.firstIndex(of: $0)! })))
    // Another vocabulary of the same size: the corpus's own, and a note that the rows changed meaning.
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: Array("vwxyz")), to: modelPath)
    let (o, other) = session("load \(modelPath)", "corpus \(textPath)")
    #expect(other[1].lines.contains { $0.hasPrefix("the model's vocabulary was another (5 characters)") })
    #expect(o.session.vocabulary == sorted)
    // A corpus the model is not sized for: train says so, as help says it waits for new H.
    let two = temporary("two.txt")
    defer { try? FileManager.default.removeItem(atPath: two) }
    try "abab".write(toFile: two, atomically: true, encoding: .utf8)
    #expect(
      run("train 2", after: ["new 10", "corpus \(two)"]).error
        == "the model has input 4 and output 4, the vocabulary 2 characters: new H sizes a model for it (e.g. new 100)")
    // Data given as characters (the built-in "hello") are numbered by a loaded model's vocabulary,
    // or set aside where it lacks them.
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: Array("olehx")), to: modelPath)
    let (q, hello) = session("load \(modelPath)")
    #expect(hello[0].lines.contains("the data are numbered by the model's vocabulary now: the same characters"))
    #expect(q.session.inputs == .indices([3, 2, 1, 1]) && q.session.targets == .indices([2, 1, 1, 0]))
    try NumPyModelFormat.write(ModelFile(model: model, vocabulary: Array("abcde")), to: modelPath)
    let (u, aside2) = session("load \(modelPath)")
    #expect(
      aside2[0].lines.contains(
        "the data are set aside: 'h', 'l', 'o' of their characters are not in the model's vocabulary "
          + "(text or corpus gives it data)"))
    #expect(u.session.inputs == nil)
  }

  @Test("corpus for a model of other sizes says what to do, once; explain h[0][i] is h0; load of a folder says so")
  func newcomerMessages() throws {
    let path = temporary("words.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "the cat sat on the mat".write(toFile: path, atomically: true, encoding: .utf8)
    let (_, out) = session("corpus \(path)", "new 8")
    #expect(
      out[0].lines == [
        "corpus \(path): 22 characters, vocabulary of 10",
        "the model has input 4 and output 4: new H sizes one for this vocabulary (e.g. new 100)",
      ])
    #expect(out[1].lines.last!.hasPrefix("(recorded the pass again for the new model"))
    #expect(
      run("explain h[0][1]").lines == ["h[0][1] = h0[1] = 0: the initial state (min-char-rnn's hprev), not computed"])
    // Counts and sizes as typed, whole numbers in any notation.
    #expect(run("new 1e300").error == "hidden size H must be from 1 to 4096, not 1e300")
    #expect(run("train 1e30").error == "1e30 is more than the 1000000 train takes")
    #expect(run("sample 2.5").error == "sample draws 1 to 100000 characters, not 2.5")
    #expect(run("sample 1e1 seed 1").lines == run("sample 10 seed 1").lines)
    let folder = temporary("folder")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(
      run("load \(folder)").error == "\(folder): is a folder, not a file (rnnstep reads .json and .npz model files)")
  }

  @Test("corpus counts characters as Python's set(data) does: code points, a combining accent one of its own")
  func corpusCodePoints() throws {
    let path = temporary("accents.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    // "cafe" + U+0301 (combining acute) + " e": Python's sorted(set(data)) is
    // [' ', 'a', 'c', 'e', 'f', '\u0301'], and the text's indices are 2 1 4 3 5 0 3.
    try "cafe\u{0301} e".write(toFile: path, atomically: true, encoding: .utf8)
    let i = Interpreter()
    #expect(i.execute("corpus \(path)").lines[0] == "corpus \(path): 7 characters, vocabulary of 6")
    #expect(i.session.vocabulary?.map { $0.unicodeScalars.first!.value } == [32, 97, 99, 101, 102, 0x301])
    let chunk = try i.session.stream!.chunk(from: 0, length: 6)
    #expect(chunk.inputs == .indices([2, 1, 4, 3, 5, 0]) && chunk.targets == .indices([1, 4, 3, 5, 0, 3]))
  }

  @Test("data shorter than seqlen train whole, and the smoothed loss starts at −log(1/V) × their steps")
  func shortData() throws {
    let stream = try TrainingStream(characters: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])  // 9 steps
    let model = try RNN(inputSize: 4, hiddenSize: 5, outputSize: 4, seed: 2, scale: 0.5)
    let trainer = try Trainer(
      model: model, stream: stream, loss: .softmax, sequenceLength: 25, optimizer: .sgd(learningRate: 0),
      clipping: .off)
    #expect(trainer.smoothLoss == -Foundation.log(0.25) * 9)
    let expected = try BPTTEngine().loss(of: model, on: try stream.chunk(from: 0, length: 9), loss: .softmax)
    #expect(try trainer.step() == expected)
    #expect(trainer.smoothLoss == -Foundation.log(0.25) * 9 * 0.999 + expected * 0.001)
  }

  @Test("sample at training starts where min-char-rnn's loop samples: hprev and the next chunk's first character")
  func sampleAtTraining() throws {
    let path = temporary("at-training.txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 3).write(
      toFile: path, atomically: true, encoding: .utf8)
    let i = Interpreter()
    for line in ["corpus \(path)", "new 8", "seqlen 10"] { #expect(i.execute(line).error == nil) }
    let vocabulary = i.session.vocabulary!
    func expected(_ state: [Double], _ first: Int) throws -> String {
      let drawn = try Sampler.sample(
        model: i.session.model, state: state, prime: [first], count: 30, temperature: 1, seed: 5)
      return String(([first] + drawn).map { vocabulary[$0] })
    }
    // Before any update: zeros and the data's first character, as min-char-rnn's first sample.
    let stream = i.session.stream!
    guard case .indices(let inputs) = stream.inputs else {
      Issue.record("not characters")
      return
    }
    #expect(
      i.execute("sample 30 at training seed 5").lines == [try expected([Double](repeating: 0, count: 8), inputs[0])])
    // After 3 updates of 10 steps: hprev, and the character at position 30.
    #expect(i.execute("train 3").error == nil)
    let trainer = i.currentTrainer!
    #expect(trainer.nextChunkStart.position == 30 && trainer.nextChunkStart.state == trainer.hprev)
    #expect(i.execute("sample 30 at training seed 5").lines == [try expected(trainer.hprev, inputs[30])])
    #expect(i.execute("sample 30 at home").error?.contains("not 'home'") == true)
    #expect(i.execute("sample 30 at training from the").error == "sample starts from TEXT or at training, not both")
  }

  @Test("sample refuses an option given twice instead of keeping the last")
  func sampleOptionTwice() {
    for line in ["sample 10 seed 1 seed 2", "sample 10 from h from e", "sample 10 temperature 1 temperature 2"] {
      let outcome = run(line, after: ["example hello"])
      #expect(outcome.error?.contains("is given twice: give it once") == true, "\(line): \(outcome)")
    }
  }

  @Test("the trainer follows min-char-rnn: chunks in order, hprev carried, reset at the end of the data")
  func trainerLoop() throws {
    let stream = try TrainingStream(characters: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])  // 9 steps
    let model = try RNN(inputSize: 4, hiddenSize: 5, outputSize: 4, seed: 2, scale: 0.5)
    let trainer = try Trainer(
      model: model, stream: stream, loss: .softmax, sequenceLength: 4, optimizer: .sgd(learningRate: 0), clipping: .off)
    #expect(trainer.smoothLoss == -Foundation.log(0.25) * 4)
    // With lr 0 the model never changes, so each chunk's loss can be recomputed from scratch.
    let engine = BPTTEngine()
    var hprev = model.h0
    for start in [0, 4, 0, 4] {  // 0..<4, 4..<8, then 8 + 4 > 9: back to the start
      if start == 0 { hprev = model.h0 }
      var m = model
      try m.setH0(hprev)
      let chunk = try stream.chunk(from: start, length: 4)
      let expected = try engine.loss(of: m, on: chunk, loss: .softmax)
      #expect(try trainer.step() == expected)
      hprev = try engine.record(model: m, data: chunk, loss: .softmax).h(4).storage
      #expect(trainer.hprev == hprev)
    }
  }

  @Test("training carries on across train commands until the weights change other than by train, as help says")
  func trainingStartsOver() {
    let corpus = temporary("text.txt")
    defer {
      try? FileManager.default.removeItem(atPath: corpus)
      try? FileManager.default.removeItem(atPath: corpus + ".npz")
    }
    try? "hello world, hello rnn\n".write(toFile: corpus, atomically: true, encoding: .utf8)
    func iterations(_ between: String) -> String? {
      let (_, out) = session("corpus \(corpus)", "new 5", "seqlen 4", "train 5", between, "train 2")
      return out[5].lines.first?.components(separatedBy: "(iterations ").last?.components(separatedBy: ")").first
    }
    #expect(iterations("lr 0.05") == "6…7")
    #expect(iterations("clip 1") == "6…7")
    #expect(iterations("optimizer adagrad") == "6…7")
    #expect(iterations("set Whh[0,0] 0.5") == "1…2")
    #expect(iterations("seqlen 4") == "6…7")
    #expect(iterations("seqlen 3") == "1…2")
    #expect(iterations("save \(corpus).npz; load \(corpus).npz") == "6…7")
    #expect(iterations("new 5") == "1…2")
    #expect(iterations("optimizer sgd") == "1…2")
    #expect(iterations("bptt seed") == "1…2")
    // Training does not read h0: a new one carries on, and the model keeps it after train.
    #expect(iterations("h0 0.1 0.2 0.3 0.4 0.5") == "6…7")
    let (i, _) = session("corpus \(corpus)", "new 5", "train 2", "h0 0.1 0.2 0.3 0.4 0.5", "train 2")
    #expect(i.session.model.h0 == [0.1, 0.2, 0.3, 0.4, 0.5])
  }

  @Test("on a terminal, the commands before train on one line show before its progress, once")
  func linesBeforeProgress() {
    let i = Interpreter()
    var shown: [String] = []
    i.progress = { shown.append("progress: " + $0) }
    i.earlyLines = { shown += $0 }
    let outcome = i.execute("echo one; echo two; train 3; echo three")
    #expect(shown.prefix(2) == ["one", "two"])
    #expect(shown.count > 2 && shown.dropFirst(2).allSatisfy { $0.hasPrefix("progress: ") })
    #expect(outcome.lines.first?.hasPrefix("trained 3 updates (iterations 1…3)") == true)
    #expect(outcome.lines.count == 2 && outcome.lines.last == "three")
    // Without a terminal every line stays in the outcome, in order.
    let plain = Interpreter().execute("echo one; echo two; train 3; echo three").lines
    #expect(plain.count == 4 && plain.prefix(2) == ["one", "two"] && plain.last == "three")
  }

  @Test("train follows the selected backward: under bptt seed it trains with the seed's gradients")
  func trainsWithVariant() throws {
    let correct = Interpreter()
    let c = correct.execute("optimizer sgd; clip off; train 1; train 49")
    let seed = Interpreter()
    let s = seed.execute("bptt seed; optimizer sgd; clip off; train 1")
    // One SGD step of lr 0.1 with the seed's gradients, computed by the engine's seed variant
    // (which the NumPy fixtures check).
    let start = Session.builtIn()
    let (_, g) = try BPTTEngine().gradients(
      of: start.model, on: start.data!, loss: .softmax, variant: .seed)
    var expected = start.model.parameters
    for p in Parameter.allCases {
      expected[p] = try expected[p].elementwise(g[p]) { $0 - 0.1 * $1 }
    }
    #expect(seed.session.model.parameters == expected)
    #expect(s.training?.variant == .seed && c.training?.variant == .correct)
    #expect(s.lines.last!.hasPrefix("trained 1 update with bptt seed's gradients"))
    let s50 = seed.execute("train 49")
    #expect(s50.training!.lastLoss != c.training!.lastLoss)
  }

  @Test("SGD and Adagrad, clipping settings, and their errors")
  func settings() {
    let (i, out) = session(
      "optimizer sgd", "lr 0.05", "clip norm 1", "clip off", "clip 5", "lr -1", "clip what", "optimizer adam")
    #expect(out[0].lines == ["optimizer sgd, learning rate 0.1"])
    #expect(
      i.session.training.optimizer == .sgd && i.session.training.learningRate == 0.05
        && i.session.training.clipping == .value(5))
    #expect(out[5].error == "the learning rate must be a positive number, not '-1'")
    #expect(out[6].error == "usage: clip [C | norm C | off]")
    #expect(out[7].error == "usage: optimizer [adagrad|sgd]")
  }

  @Test("examples: sine and echo train to a small loss; the check passes on them")
  func examples() {
    for name in ["sine", "echo"] {
      let i = Interpreter()
      i.execute("example \(name)")
      let start = i.trace!.loss
      i.execute("train 400")
      #expect(i.trace!.loss < start / 5, "\(name): \(start) → \(i.trace!.loss)")
      #expect(i.execute("gradcheck sample 4").lines.last!.hasPrefix("PASS"), "\(name)")
    }
    #expect(run("example nope").error == "usage: example hello|sine|echo")
    // What the announcement says, step t counting from 1: x[t] = sin(0.3 (t − 1)), target sin(0.3 t).
    let sine = run("example sine")
    #expect(sine.lines[0].hasPrefix("example sine: predict sin(0.3 t) from sin(0.3 (t−1))"))
    let i = Interpreter()
    i.execute("example sine")
    let data = i.session.data!
    #expect(data.input(at: 1, size: 1) == [0] && data.input(at: 3, size: 1) == [sin(0.3 * 2)])
    guard case .vectors(let targets) = data.targets else { return #expect(Bool(false)) }
    #expect(targets[0, 0] == sin(0.3) && targets[2, 0] == sin(0.3 * 3))
  }

  @Test("series: columns named target are targets; bad rows name the line")
  func series() throws {
    let path = temporary("wave.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "x1,x2,target\n0,1,0.5\n1,0,0.25\n0.5,0.5,1\n".write(toFile: path, atomically: true, encoding: .utf8)
    let (i, out) = session("new 4 input 2 output 1", "series \(path)", "last", "print x[2]")
    #expect(out[1].lines[0] == "series \(path): 3 steps; inputs x1 x2; targets target; loss squared")
    #expect(i.session.loss == .squared)
    #expect(out[3].lines == ["x[2] = [1, 0]  (2×1)"])
    // new H after series takes the sizes from its columns, and the data stay.
    let resized = run("new 6", after: ["series \(path)"])
    #expect(resized.lines.first == "new model: H = 6, input 2, output 1, seed 1, weights randn × 0.01")
    #expect(resized.lines.last?.hasPrefix("(recorded the pass again for the new model") == true)
    try "a,b\n1,2\n3,oops\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(run("series \(path)").error == "\(path):3: 'oops' in column b is not a finite number")
    // Lines are counted as in the file; a header must name every column.
    try "a,b\n\n1,2\n3,oops\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(run("series \(path)").error == "\(path):4: 'oops' in column b is not a finite number")
    try "x,target,\n0,1,\n1,2,\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(run("series \(path)").error == "\(path):1: column 3 of the header has no name")
    try "0,1\n1,2\n2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(
      run("series \(path)").error
        == "\(path):1: the first line must name the columns (as x1,x2,target), and it holds numbers")
  }

  @Test("sample: seeded and reproducible, starts from the given text, only vocabulary characters")
  func sample() {
    let a = run("sample 30 from he seed 4").lines[0]
    #expect(a == run("sample 30 from he seed 4").lines[0])
    #expect(a != run("sample 30 from he seed 5").lines[0])
    #expect(a.hasPrefix("he") && a.count == 32)
    #expect(a.allSatisfy { "helo".contains($0) })
    #expect(run("sample 5 from hx").error == "'x', character 2 of 'hx', is not in the vocabulary (info model lists it)")
    #expect(run("sample 5 foo").error == "'foo' is not an option of sample (from, at, temperature, seed)")
    #expect(run("example sine; sample 5").error?.hasPrefix("sample draws characters") == true)
    // Without a seed: seed 1, then 2, … so each sample is new text and a session replays the same.
    let (_, out) = session("sample 30", "sample 30", "sample 30 seed 9", "sample 30")
    #expect(out[0].lines == run("sample 30 seed 1").lines && out[1].lines == run("sample 30 seed 2").lines)
    #expect(out[3].lines == run("sample 30 seed 3").lines && out[0].lines != out[1].lines)
    // A start with spaces: quoted, or as info model shows a space.
    let corpus = temporary("words.txt")
    defer { try? FileManager.default.removeItem(atPath: corpus) }
    try? "it was the best of times\n".write(toFile: corpus, atomically: true, encoding: .utf8)
    let setup = ["corpus \(corpus)", "new 5"]
    let quoted = run("sample 10 from \"it was\" seed 2", after: setup).lines[0]
    #expect(quoted.hasPrefix("it was") && quoted.count == 16)
    #expect(run("sample 10 from it␣was seed 2", after: setup).lines[0] == quoted)
    #expect(run("sample 3 from 's\\n' seed 2", after: setup).lines[0].hasPrefix("s\n"))
    #expect(run("sample 3 from \"it", after: setup).error == "the quote \" is not closed")
    #expect(run("sample 3 from \"\"").error == "from needs at least one character")
  }

  @Test("plots: heatmaps with a legend, line charts, SVG files")
  func plots() throws {
    let heat = run("plot Whh").lines
    #expect(heat[0] == "Whh  (3×3; rows down, columns across)")
    #expect(heat.count == 6)
    #expect(heat[1] == "       0")  // the columns' numbers: every fifth
    #expect(heat.last!.hasPrefix("scale: shade ░▒▓█ = |value| up to "))
    // The largest |value| gets the darkest shade; its sign is marked.
    let whh = Interpreter().session.model.parameters.whh
    let (bi, bj) = (0..<9).map { ($0 / 3, $0 % 3) }.max { abs(whh[$0.0, $0.1]) < abs(whh[$1.0, $1.1]) }!
    let row = Array(heat[2 + bi].dropFirst(6))
    #expect(row[2 * bj + 1] == "█" && (row[2 * bj] == "-") == (whh[bi, bj] < 0), "\(heat)")
    #expect(run("plot h", after: ["last"]).lines[0] == "h  (4×3; time steps down, columns across)")
    #expect(
      run("plot h").error == "h[1] is not computed yet at the start, before forward t=1: plot it after last or run")
    let chart = run("plot norm dh_next", after: ["last"]).lines
    #expect(chart[0] == "norm(dh_next[t]) for t = 1…4")
    #expect(chart.count == 1 + 14 + 3)
    #expect(run("plot loss").error == "there is no training curve yet: train N first")
    let svg = temporary("plot.svg")
    defer { try? FileManager.default.removeItem(atPath: svg) }
    #expect(run("train 20; plot loss --svg \(svg)").lines.last == "wrote \(svg)")
    let text = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(text.contains("<polyline") && text.hasSuffix("</svg>\n"))
    #expect(run("plot Whh --svg \(svg)").lines.last == "wrote \(svg)")
    #expect(
      try String(contentsOfFile: svg, encoding: .utf8).components(separatedBy: "<rect x=").count - 1 == 9 + 20 + 0)
  }

  /// training.json: min-char-rnn's own loop in NumPy (Fixtures/training/make_training_fixture.py),
  /// from the same initial models on the same corpus, and how far that loop drifts when every
  /// gradient element is moved by one ulp (training is chaotic).
  struct MinCharRNNFixture: Decodable {
    struct Case: Decodable {
      struct Clip: Decodable {
        let kind: String
        let c: Double?
      }
      let name: String
      let optimizer: String
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let learning_rate: Double
      let clipping: Clip
      let model: String
      // swift-format-ignore: AlwaysUseLowerCamelCase
      struct Checkpoint: Decodable {
        let Wxh: [Double]
        let Whh: [Double]
        let Why: [Double]
        let bh: [Double]
        let by: [Double]
        let hprev: [Double]
        subscript(p: Parameter) -> [Double] {
          switch p {
          case .wxh: Wxh
          case .whh: Whh
          case .why: Why
          case .bh: bh
          case .by: by
          }
        }
      }
      let checkpoints: [String: Checkpoint]
      let losses: [Double]
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let smooth_losses: [Double]
      let drift: [String: Double]
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let loss_drift_per_update: [Double]
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let drift_per_update: [Double]
      let samples: [Sample]
    }
    struct Sample: Decodable {
      let model: String
      let seed: UInt64
      let from: Int
      let drawn: [Int]
    }
    let corpus: String
    let cases: [Case]
  }

  @Test("train is min-char-rnn's loop: parameters as NumPy's after 1 update to 1e-13, later within 30× its own drift")
  func minCharRNN() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/training")
    let fixture = try JSONDecoder().decode(
      MinCharRNNFixture.self, from: Data(contentsOf: folder.appendingPathComponent("training.json")))
    let text = try String(contentsOf: folder.appendingPathComponent(fixture.corpus), encoding: .utf8)
    let vocabulary = Array(Set(text.unicodeScalars.map(\.value))).sorted()
    let indices = text.unicodeScalars.map { vocabulary.firstIndex(of: $0.value)! }
    for c in fixture.cases {
      let model = try NumPyModelFormat.read(path: folder.appendingPathComponent(c.model).path).model
      let optimizer: Optimizer =
        c.optimizer == "adagrad"
        ? .adagrad(learningRate: c.learning_rate, memory: nil) : .sgd(learningRate: c.learning_rate)
      let clipping: Clipping =
        switch c.clipping.kind {
        case "value": .value(c.clipping.c!)
        case "global_norm": .norm(c.clipping.c!)
        default: .off
        }
      let trainer = try Trainer(
        model: model, stream: try TrainingStream(characters: indices), loss: .softmax, sequenceLength: 25,
        optimizer: optimizer, clipping: clipping)
      for update in 1...120 {
        let loss = try trainer.step()
        // Every update's loss as NumPy's, to 1e-14 of it (or 30× what the NumPy loop's own loss
        // moves by under the one-ulp jitter, if more), as long as that loop's parameters move by
        // less than 1e-6 under the jitter: past that the two runs are chaos apart.
        if update == 1 || c.drift_per_update[update - 2] < 1e-6 {
          let lossAllowed = max(1e-14, 30 * c.loss_drift_per_update[update - 1]) * c.losses[update - 1]
          #expect(
            abs(loss - c.losses[update - 1]) <= lossAllowed,
            "\(c.name) update \(update): loss \(loss), NumPy's \(c.losses[update - 1])")
        }
        guard let expected = c.checkpoints[String(update)] else { continue }
        var difference = 0.0
        for p in Parameter.allCases {
          let ours = trainer.model.parameters[p].storage
          let theirs = expected[p]
          let scale = theirs.reduce(0.0) { max($0, abs($1)) }
          let d = zip(ours, theirs).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
          difference = max(difference, d / scale)
        }
        // After one update the parameters agree to 1e-13 of their scale, as the issue asks; later
        // the two runs may drift apart no faster than 30× what the NumPy loop drifts from a one-ulp
        // jitter of its gradients (training is chaotic). Measured, with e^x the C library's (as
        // the fixture's loop and np.exp on a CPU without AVX-512): 1.6e-14 after one update with
        // Adagrad and clip 5 (a dby element near 6e-5, which Adagrad's first step g/sqrt(g² + 1e-8)
        // is most sensitive to), 4.0e-15 with global norm 1, 3.2e-16 or less with SGD; later at
        // most 10× the drift (Adagrad, clip 5, after 5 updates), 3.6× with global norm 1. Where
        // the NumPy loop's own drift has grown to the parameters' size (Adagrad with clip 5 from
        // about 20 updates, SGD with clip 5 by 120) the bound says only that rnnstep's run stayed
        // as close as chaos allows; the other two cases stay within 1e-15 to the end, and so must
        // rnnstep's.
        let allowed = update == 1 ? 1e-13 : 30 * c.drift[String(update)]!
        #expect(
          difference <= allowed,
          "\(c.name) after \(update) updates: \(difference), NumPy drifts \(c.drift[String(update)]!)")
      }
      // min-char-rnn's sample after np.random.seed(S): the same characters, from NumPy's model
      // before training and after its 120 updates.
      for sample in c.samples {
        var sampled = model
        if sample.model != "initial" {
          let trained = c.checkpoints["120"]!
          for p in Parameter.allCases {
            let m = sampled.parameters[p]
            sampled.parameters[p] = Matrix(rows: m.rows, cols: m.cols, trained[p])
          }
        }
        let drawn = try Sampler.sample(
          model: sampled, prime: [sample.from], count: sample.drawn.count, temperature: 1, seed: sample.seed)
        #expect(drawn == sample.drawn, "\(c.name), \(sample.model), seed \(sample.seed)")
      }
      // min-char-rnn's smoothed loss, update by update, while the runs agree.
      #expect(abs(trainer.smoothLosses[0] - c.smooth_losses[0]) <= 1e-12 * c.smooth_losses[0])
    }
  }
}
