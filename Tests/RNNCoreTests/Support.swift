import Foundation
import Testing

@testable import RNNCore

/// The NumPy reference written by Fixtures/make_fixtures.py.
struct Reference: Decodable {
  struct Case: Decodable {
    let name: String
    let loss: String
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let input_kind: String
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let target_kind: String
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let Wxh: [[Double]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let Whh: [[Double]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let Why: [[Double]]
    let bh: [Double]
    let by: [Double]
    let h0: [Double]
    let inputs: Steps
    let targets: Steps
    let expected: Expected
  }

  /// Inputs or targets: one index per step, or one vector per step.
  enum Steps: Decodable {
    case indices([Int])
    case vectors([[Double]])

    init(from decoder: Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let indices = try? container.decode([Int].self) {
        self = .indices(indices)
      } else {
        self = .vectors(try container.decode([[Double]].self))
      }
    }
  }

  struct Expected: Decodable {
    let losses: [Double]
    let loss: Double
    let hs: [[Double]]
    let ys: [[Double]]
    let ps: [[Double]]?
    let correct: Backward
    let seed: Backward
  }

  struct Backward: Decodable {
    let dy: [[Double]]
    let dh: [[Double]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let dh_raw: [[Double]]
    // swift-format-ignore: AlwaysUseLowerCamelCase
    let dh_next: [[Double]]
    let dWxh: [[Double]]
    let dWhh: [[Double]]
    let dWhy: [[Double]]
    let dbh: [Double]
    let dby: [Double]
  }

  struct Random: Decodable {
    let seed: String
    let next: [String]
    let gaussians: [Double]
  }

  let cases: [Case]
  let random: [Random]

  static let shared: Reference = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/reference.json")
    do {
      return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error); run Tests/RNNCoreTests/Fixtures/make_fixtures.py")
    }
  }()
}

extension Reference.Case {
  var model: RNN {
    get throws {
      let p = try ParameterSet(
        wxh: Matrix(rowVectors: Wxh), whh: Matrix(rowVectors: Whh), why: Matrix(rowVectors: Why),
        bh: Matrix(column: bh), by: Matrix(column: by))
      return try RNN(parameters: p, h0: h0)
    }
  }

  var data: SequenceData {
    get throws {
      let inputs: SequenceData.Inputs =
        switch self.inputs {
        case .indices(let i): .indices(i)
        case .vectors(let v): .vectors(Matrix(rowVectors: v))
        }
      let targets: SequenceData.Targets =
        switch self.targets {
        case .indices(let i): .indices(i)
        case .vectors(let v): .vectors(Matrix(rowVectors: v))
        }
      return try SequenceData(inputs: inputs, targets: targets)
    }
  }

  var lossKind: LossKind { LossKind(rawValue: loss)! }
}

/// The largest relative difference between two arrays, element by element:
/// |a − b| / max(|a|, |b|), where differences below `floor` × the largest magnitude in `expected`
/// count as zero: an element that cancels to 1e-19 where its neighbours are near 1 carries the
/// rounding of its terms, not a relative error of 1.
func largestRelativeDifference(_ actual: [Double], _ expected: [Double], floor: Double = 1e-14) -> Double {
  precondition(actual.count == expected.count, "\(actual.count) values against \(expected.count)")
  let scale = expected.reduce(0) { max($0, abs($1)) }
  var worst = 0.0
  for (a, e) in zip(actual, expected) {
    let difference = abs(a - e)
    if difference <= floor * scale { continue }
    worst = max(worst, difference / max(abs(a), abs(e)))
  }
  return worst
}

/// A small random model and sequence for property tests.
func randomProblem(
  seed: UInt64, hidden: Int, input: Int, output: Int, steps: Int, loss: LossKind, vectorInputs: Bool,
  scale: Double = 0.5
) throws -> (RNN, SequenceData) {
  var rng = SeededGenerator(seed: seed &+ 1000)
  var model = try RNN(inputSize: input, hiddenSize: hidden, outputSize: output, seed: seed, scale: scale)
  model.parameters.bh = model.parameters.bh.map { _ in rng.nextGaussian() * 0.1 }
  model.parameters.by = model.parameters.by.map { _ in rng.nextGaussian() * 0.1 }
  try model.setH0((0..<hidden).map { _ in rng.nextUniform() - 0.5 })
  let inputs: SequenceData.Inputs =
    vectorInputs
    ? .vectors(Matrix(rows: steps, cols: input, (0..<steps * input).map { _ in rng.nextUniform() * 2 - 1 }))
    : .indices((0..<steps).map { _ in rng.nextIndex(below: input) })
  let targets: SequenceData.Targets =
    loss == .softmax || rng.nextUniform() < 0.3
    ? .indices((0..<steps).map { _ in rng.nextIndex(below: output) })
    : .vectors(Matrix(rows: steps, cols: output, (0..<steps * output).map { _ in rng.nextUniform() * 2 - 1 }))
  return (model, try SequenceData(inputs: inputs, targets: targets))
}
