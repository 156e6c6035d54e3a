import Foundation
import RNNCore

/// Models as `.npz` files with min-char-rnn's arrays: `Wxh` (H×V), `Whh` (H×H), `Why` (V×H),
/// `bh` and `by` as (n,) or (n, 1); optionally `h0` and `vocabulary` (Unicode code points).
public enum NumPyModelFormat {
  public static func read(path: String) throws -> ModelFile {
    try model(from: try NPZ.read(path: path), path: path)
  }

  /// An `.npz` file's bytes, read as ``read(path:)`` reads them; `path` names it in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> ModelFile {
    do {
      return try model(from: try NPZ.parse(bytes), path: path)
    } catch let error as NumPyError {
      throw FileError(path: path, problem: error.description)
    }
  }

  private static func model(from arrays: [String: NumPyArray], path: String) throws -> ModelFile {
    func problem(_ text: String) -> FileError { FileError(path: path, problem: text) }
    func matrix(_ name: String) throws -> Matrix {
      guard let a = arrays[name] else {
        throw problem("not a model: no array \(name) (it has \(arrays.keys.sorted().joined(separator: " ")))")
      }
      guard a.shape.count == 2 else { throw problem("\(name) has shape \(a.shape), not (rows, cols)") }
      guard a.values.allSatisfy(\.isFinite) else { throw problem("\(name) holds a NaN or infinite value") }
      return Matrix(rows: a.shape[0], cols: a.shape[1], a.values)
    }
    func column(_ name: String) throws -> Matrix? {
      guard let a = arrays[name] else { return nil }
      guard a.shape.count == 1 || (a.shape.count == 2 && a.shape[1] == 1) else {
        throw problem("\(name) has shape \(a.shape), not (n,) or (n, 1)")
      }
      guard a.values.allSatisfy(\.isFinite) else { throw problem("\(name) holds a NaN or infinite value") }
      return Matrix(column: a.values)
    }
    do {
      let (wxh, whh, why) = (try matrix("Wxh"), try matrix("Whh"), try matrix("Why"))
      guard let bh = try column("bh"), let by = try column("by") else {
        throw problem("not a model: bh and by are needed")
      }
      let parameters = try ParameterSet(wxh: wxh, whh: whh, why: why, bh: bh, by: by)
      for (size, what) in [
        (parameters.wxh.rows, "H"), (parameters.wxh.cols, "the input size"), (parameters.why.rows, "the output size"),
      ]
      where size > RNN.maximumSize {
        throw problem("\(what) is \(size), more than the \(RNN.maximumSize) rnnstep accepts")
      }
      let model = try RNN(parameters: parameters, h0: try column("h0")?.storage)
      var vocabulary: [Character]?
      if let codes = arrays["vocabulary"] {
        let scalars = codes.values.compactMap {
          $0 >= 0 && $0 < 0x11_0000 && $0 == $0.rounded() ? Unicode.Scalar(UInt32($0)) : nil
        }
        guard scalars.count == codes.values.count, scalars.count == model.inputSize, Set(scalars).count == scalars.count
        else {
          throw problem("vocabulary must hold \(model.inputSize) distinct Unicode code points")
        }
        vocabulary = scalars.map { Character($0) }
      }
      return ModelFile(model: model, vocabulary: vocabulary)
    } catch let error as RNNError {
      throw problem(error.description)
    }
  }

  public static func write(_ file: ModelFile, to path: String) throws {
    // One code point per character is what the array holds; a character of several (e + ◌́, a
    // flag) would come back cut to its first, or not load at all.
    if let long = file.vocabulary?.first(where: { $0.unicodeScalars.count > 1 }) {
      let points = long.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
      throw NumPyError(
        "the vocabulary's character \(points.joined(separator: " ")) is \(long.unicodeScalars.count) code points, "
          + "and .npz keeps one per character: save it as .json; nothing was written")
    }
    let p = file.model.parameters
    var arrays: [(String, NumPyArray)] = [
      ("Wxh", array(p.wxh)), ("Whh", array(p.whh)), ("Why", array(p.why)), ("bh", array(p.bh)), ("by", array(p.by)),
      ("h0", NumPyArray(shape: [file.model.hiddenSize, 1], values: file.model.h0)),
    ]
    if let vocabulary = file.vocabulary {
      arrays.append(
        (
          "vocabulary",
          NumPyArray(
            shape: [vocabulary.count], values: vocabulary.map { Double($0.unicodeScalars.first!.value) },
            integers: true)
        ))
    }
    try NPZ.write(arrays.map { (name: $0.0, array: $0.1) }, to: path)
  }

  /// A matrix as a 2-D array (biases stay (n, 1), as in min-char-rnn).
  public static func array(_ m: Matrix) -> NumPyArray { NumPyArray(shape: [m.rows, m.cols], values: m.storage) }
}
