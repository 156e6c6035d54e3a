import Testing

@testable import RNNCore

@Suite("Optimisers and clipping")
struct OptimizerTests {
  func set(_ value: Double) -> ParameterSet {
    ParameterSet(inputSize: 2, hiddenSize: 2, outputSize: 1).map { _ in value }
  }

  @Test("SGD: θ − lr·g")
  func sgd() {
    var theta = set(1)
    var sgd = Optimizer.sgd(learningRate: 0.1)
    sgd.update(&theta, with: set(2))
    #expect(theta == set(1 - 0.1 * 2))
  }

  @Test("Adagrad: memory grows by g², steps shrink as 1/sqrt(memory)")
  func adagrad() {
    var theta = set(1)
    var adagrad = Optimizer.adagrad(learningRate: 0.1, memory: nil)
    adagrad.update(&theta, with: set(2))
    // The step lr·g/sqrt(mem) is computed to about 1e-10 relative (1/sqrt by three Newton
    // steps), so θ agrees with the formula to 1e-10 times the step (0.1 here).
    let first = 1 - 0.1 * 2 / (4 + 1e-8).squareRoot()
    #expect(abs(theta.whh.storage[0] - first) < 1e-10 * 0.1)
    adagrad.update(&theta, with: set(3))
    let second = first - 0.1 * 3 / (4 + 9 + 1e-8).squareRoot()
    for p in Parameter.allCases { #expect(theta[p].storage.allSatisfy { abs($0 - second) < 2e-10 * 0.1 }) }
    // A zero gradient leaves θ and mem exactly as they were.
    let before = theta
    adagrad.update(&theta, with: set(0))
    #expect(theta == before)
    #expect(adagrad.memory == set(13))
  }

  @Test("Adagrad split over two threads gives the same bits as on one")
  func parallelUpdate() throws {
    let (model, data) = try randomProblem(
      seed: 42, hidden: 60, input: 40, output: 40, steps: 8, loss: .softmax, vectorInputs: false, scale: 0.5)
    let gradients = try BPTTEngine().gradients(of: model, on: data, loss: .softmax).gradients
    let helper = HelperThread()
    defer { helper.stop() }
    var one = Optimizer.adagrad(learningRate: 0.1, memory: nil)
    var two = one
    var a = model.parameters
    var b = model.parameters
    for _ in 0..<3 {
      #expect(one.update(&a, with: gradients, clipping: .value(5), helper: nil))
      #expect(two.update(&b, with: gradients, clipping: .value(5), helper: helper))
    }
    #expect(a == b)
    #expect(one.memory == two.memory)
    #expect(a != model.parameters)
  }

  @Test("clipping by value clamps each element; the input is untouched")
  func clipValue() {
    var g = set(0)
    g.whh = Matrix(rows: 2, cols: 2, [-7, 3, 5.5, -5])
    let clipped = Clipping.value(5).apply(to: g)
    #expect(clipped.whh.storage == [-5, 3, 5, -5])
    #expect(g.whh.storage == [-7, 3, 5.5, -5])
  }

  @Test("clipping by norm rescales to the bound only when it is exceeded")
  func clipNorm() {
    var g = set(0)
    g.why = Matrix(rows: 1, cols: 2, [3, 4])
    #expect(Clipping.norm(10).apply(to: g) == g)
    let clipped = Clipping.norm(1).apply(to: g)
    #expect(abs(clipped.globalNorm - 1) < 1e-15)
    #expect(largestRelativeDifference(clipped.why.storage, [0.6, 0.8]) < 1e-15)
    #expect(Clipping.off.apply(to: g) == g)
  }

  @Test("a training step never touches the gradients a check compares")
  func checkSeesUnclipped() throws {
    let (model, data) = try randomProblem(
      seed: 41, hidden: 4, input: 3, output: 3, steps: 5, loss: .softmax, vectorInputs: false, scale: 3)
    let checker = try GradientChecker(model: model, data: data, lossKind: .softmax)
    let before = checker.trace.gradients
    var theta = model.parameters
    var optimizer = Optimizer.adagrad(learningRate: 0.1, memory: nil)
    optimizer.update(&theta, with: Clipping.value(1e-3).apply(to: before))
    #expect(checker.trace.gradients == before)
    #expect(try checker.checkAll().allSatisfy { $0.passed })
  }
}

@Suite("Bad input")
struct ValidationTests {
  @Test("sizes outside 1…4096 are refused")
  func sizes() {
    #expect(throws: RNNError.outOfRange("hidden size H must be from 1 to 4096, not 0")) {
      try RNN(inputSize: 3, hiddenSize: 0, outputSize: 3, seed: 1)
    }
    #expect(throws: RNNError.outOfRange("input size must be from 1 to 4096, not 100000")) {
      try RNN(inputSize: 100_000, hiddenSize: 3, outputSize: 3, seed: 1)
    }
  }

  @Test("parameters that do not fit together name the one that does not fit")
  func shapes() {
    #expect(throws: RNNError.shape("Whh is 3×2 but must be 3×3 (H×H, H = rows of Wxh)")) {
      try ParameterSet(
        wxh: Matrix(rows: 3, cols: 4), whh: Matrix(rows: 3, cols: 2), why: Matrix(rows: 4, cols: 3),
        bh: Matrix(rows: 3, cols: 1), by: Matrix(rows: 4, cols: 1))
    }
    #expect(throws: RNNError.shape("by is 3×1 but must be 4×1 (V×1, V = rows of Why)")) {
      try ParameterSet(
        wxh: Matrix(rows: 3, cols: 4), whh: Matrix(rows: 3, cols: 3), why: Matrix(rows: 4, cols: 3),
        bh: Matrix(rows: 3, cols: 1), by: Matrix(rows: 3, cols: 1))
    }
  }

  @Test("NaN weights and a wrong h0 are refused")
  func values() throws {
    var p = ParameterSet(inputSize: 2, hiddenSize: 2, outputSize: 2)
    p.whh[1, 0] = .nan
    #expect(throws: RNNError.notFinite("Whh holds a NaN or infinite value")) { try RNN(parameters: p) }
    var model = try RNN(inputSize: 2, hiddenSize: 2, outputSize: 2, seed: 1)
    #expect(throws: RNNError.shape("h0 needs H = 2 values, got 3")) { try model.setH0([1, 2, 3]) }
    #expect(model.h0 == [0, 0])
  }

  @Test("data that do not fit the model name the step")
  func data() throws {
    let model = try RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 1)
    let tooBig = try SequenceData(inputs: .indices([0, 1, 4]), targets: .indices([1, 2, 3]))
    #expect(throws: RNNError.data("input at t=3 is index 4, outside 0 to 3 (the input size is 4)")) {
      try tooBig.validate(for: model, loss: .softmax)
    }
    #expect(throws: RNNError.data("3 inputs but 2 targets: each step needs one of each")) {
      try SequenceData(inputs: .indices([0, 1, 2]), targets: .indices([1, 2]))
    }
    let vectors = try SequenceData(inputs: .indices([0]), targets: .vectors(Matrix(rows: 1, cols: 4)))
    #expect(throws: RNNError.data("softmax needs class indices as targets, not vectors: use `loss squared`")) {
      try vectors.validate(for: model, loss: .softmax)
    }
    #expect(throws: RNNError.data("there are no inputs: a sequence needs at least one step")) {
      try SequenceData(inputs: .indices([]), targets: .indices([]))
    }
  }
}
