import Foundation
import RNNCore

/// What a model file holds: the model, and optionally its vocabulary, loss and data.
public struct ModelFile: Equatable, Sendable {
  /// Files larger than this are refused before they are read (64 MiB).
  public static let maximumBytes = 64 << 20

  public var model: RNN
  /// The characters of a character model, index by index; nil for a numeric model.
  public var vocabulary: [Character]?
  public var loss: LossKind
  public var data: SequenceData?

  public init(model: RNN, vocabulary: [Character]? = nil, loss: LossKind = .softmax, data: SequenceData? = nil) {
    self.model = model
    self.vocabulary = vocabulary
    self.loss = loss
    self.data = data
  }
}

/// The JSON model format (docs/files.md):
///
///     {"format": "rnnstep-model", "version": 1, "loss": "softmax", "vocabulary": ["h", "e", "l", "o"],
///      "Wxh": [[…], …], "Whh": …, "Why": …, "bh": […], "by": […], "h0": […],
///      "inputs": [0, 1, 2, 2], "targets": [1, 2, 2, 3]}
///
/// Matrices are lists of rows; biases and h0 are lists (or H×1 lists of rows); inputs and targets
/// are lists of indices or lists of rows. Only the five parameters are required.
public enum JSONModelFormat {
  /// Reads a model file.
  /// - Throws: ``FileError`` naming the file and the first problem found.
  public static func read(path: String) throws -> ModelFile {
    try decode(Array(try readLimited(path)), path: path)
  }

  /// A model file's bytes, read as ``read(path:)`` reads them; `path` names it in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> ModelFile {
    let object: Any
    do {
      object = try JSONReader.parse(Array(bytes))
    } catch let error as JSONReader.Failure {
      throw FileError(path: path, problem: "not valid JSON: \(error.message)")
    }
    do {
      return try decode(object)
    } catch let error as DecodeError {
      throw FileError(path: path, problem: error.message)
    } catch let error as RNNError {
      throw FileError(path: path, problem: error.description)
    }
  }

  /// Writes a model file atomically.
  /// - Throws: ``FileError`` when the text would be larger than ``read(path:)`` reads (a model
  ///   rnnstep writes, rnnstep loads back): such a model goes to `.npz`.
  public static func write(_ file: ModelFile, to path: String) throws {
    let data = encode(file)
    guard data.count <= ModelFile.maximumBytes else {
      throw FileError(
        path: path,
        problem:
          "this model is \(data.count >> 20) MiB as JSON, more than the \(ModelFile.maximumBytes >> 20) MiB load reads; "
          + "save it as .npz (up to \(NPZ.maximumInflatedBytes >> 20) MiB), nothing was written")
    }
    try AtomicFile.write(data, to: path)
  }

  /// The JSON text of a model file: one parameter row per line, so that it reads and diffs well.
  public static func encode(_ file: ModelFile) -> Data {
    func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(format: "%.1f", x) : "\(x)" }
    func row(_ values: [Double]) -> String { "[" + values.map(number).joined(separator: ", ") + "]" }
    func matrix(_ m: Matrix) -> String {
      "[\n    " + (0..<m.rows).map { row(m.row($0)) }.joined(separator: ",\n    ") + "\n  ]"
    }
    let p = file.model.parameters
    var fields: [String] = [
      "\"format\": \"rnnstep-model\"", "\"version\": 1", "\"loss\": \"\(file.loss.rawValue)\"",
    ]
    if let vocabulary = file.vocabulary {
      let encoded = vocabulary.map { String(decoding: try! JSONEncoder().encode(String($0)), as: UTF8.self) }
      fields.append("\"vocabulary\": [" + encoded.joined(separator: ", ") + "]")
    }
    fields += [
      "\"Wxh\": \(matrix(p.wxh))", "\"Whh\": \(matrix(p.whh))", "\"Why\": \(matrix(p.why))",
      "\"bh\": \(row(p.bh.storage))", "\"by\": \(row(p.by.storage))", "\"h0\": \(row(file.model.h0))",
    ]
    if let data = file.data {
      switch data.inputs {
      case .indices(let i): fields.append("\"inputs\": [" + i.map(String.init).joined(separator: ", ") + "]")
      case .vectors(let m): fields.append("\"inputs\": \(matrix(m))")
      }
      switch data.targets {
      case .indices(let i): fields.append("\"targets\": [" + i.map(String.init).joined(separator: ", ") + "]")
      case .vectors(let m): fields.append("\"targets\": \(matrix(m))")
      }
    }
    return Data(("{\n  " + fields.joined(separator: ",\n  ") + "\n}\n").utf8)
  }

  // MARK: Decoding

  struct DecodeError: Error {
    let message: String
  }

  /// The bytes of the regular file at `path`, at most `limit` of them (`what` names the kind of
  /// file in the error).
  /// - Throws: ``FileError``: no such file, a folder, a pipe or device, too large, unreadable.
  public static func readLimited(
    _ path: String, limit: Int = ModelFile.maximumBytes, what: String = "a model file"
  ) throws -> Data {
    let attributes: [FileAttributeKey: Any]
    do {
      attributes = try FileManager.default.attributesOfItem(atPath: path)
    } catch {
      throw FileError(path: path, problem: "no such file")
    }
    switch attributes[.type] as? FileAttributeType {
    case .typeDirectory?: throw FileError(path: path, problem: "is a folder, not a file")
    case .typeRegular?: break
    default: throw FileError(path: path, problem: "is not a regular file (a pipe, a device, a socket?)")
    }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    guard size <= limit else {
      throw FileError(path: path, problem: "\(size) bytes is more than the \(limit >> 20) MiB \(what) may have")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw FileError(path: path, problem: "cannot be read (permissions?)")
    }
    return data
  }

  /// The UTF-8 text of the regular file at `path`, at most `limit` bytes.
  /// - Throws: ``FileError`` as ``readLimited(_:limit:what:)``, or naming the first byte that
  ///   is not UTF-8.
  public static func readText(_ path: String, limit: Int, what: String) throws -> String {
    let bytes = Array(try readLimited(path, limit: limit, what: what))
    if let bad = JSONReader.firstInvalidUTF8(bytes) {
      throw FileError(
        path: path, problem: "not UTF-8 text: byte \(bad) is \(String(format: "0x%02X", bytes[bad])) (save it as UTF-8)"
      )
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func decode(_ object: Any) throws -> ModelFile {
    guard let dictionary = object as? [String: Any] else {
      throw DecodeError(message: "not a model file: the top level is not a JSON object")
    }
    if let format = dictionary["format"] as? String, format != "rnnstep-model" {
      throw DecodeError(message: "not a model file: its format is \"\(format)\", not \"rnnstep-model\"")
    }
    if let value = dictionary["version"] {
      guard let version = value as? Double, version == 1 else {
        if let version = value as? Double, version > 1, version == version.rounded(), version < 1e9 {
          throw DecodeError(message: "model file version \(Int(version)) is newer than this rnnstep reads (1)")
        }
        throw DecodeError(message: "\"version\" must be the number 1, the version this rnnstep reads and writes")
      }
    }
    let wxh = try matrix(dictionary, "Wxh")
    let whh = try matrix(dictionary, "Whh")
    let why = try matrix(dictionary, "Why")
    let bh = try column(dictionary, "bh")
    let by = try column(dictionary, "by")
    let parameters = try ParameterSet(wxh: wxh, whh: whh, why: why, bh: bh, by: by)
    for (size, what) in [(wxh.rows, "H"), (wxh.cols, "the input size"), (why.rows, "the output size")]
    where size > RNN.maximumSize {
      throw DecodeError(message: "\(what) is \(size), more than the \(RNN.maximumSize) rnnstep accepts")
    }
    let h0 = dictionary["h0"] == nil ? nil : try column(dictionary, "h0").storage
    let model = try RNN(parameters: parameters, h0: h0)
    var loss = LossKind.softmax
    if let name = dictionary["loss"] {
      guard let text = name as? String, let kind = LossKind(rawValue: text) else {
        throw DecodeError(message: "\"loss\" must be \"softmax\" or \"squared\"")
      }
      loss = kind
    }
    var vocabulary: [Character]?
    if let list = dictionary["vocabulary"] {
      // One code point each, as corpus counts characters (and Python's set(data)): "\r\n" or an
      // e with a combining accent are two.
      guard let strings = list as? [String], strings.allSatisfy({ $0.unicodeScalars.count == 1 }) else {
        throw DecodeError(
          message: "\"vocabulary\" must be a list of single characters (one code point each, as corpus counts them)")
      }
      vocabulary = strings.map { $0.first! }
      guard Set(vocabulary!).count == strings.count else {
        throw DecodeError(message: "\"vocabulary\" lists a character twice")
      }
      guard strings.count == model.inputSize else {
        throw DecodeError(
          message: "the vocabulary has \(strings.count) characters but Wxh has \(model.inputSize) columns")
      }
    }
    var data: SequenceData?
    if dictionary["inputs"] != nil || dictionary["targets"] != nil {
      data = try SequenceData(inputs: inputs(dictionary), targets: targets(dictionary))
      try data!.validate(for: model, loss: loss)
    }
    return ModelFile(model: model, vocabulary: vocabulary, loss: loss, data: data)
  }

  private static func numbers(_ value: Any, _ what: String) throws -> [Double] {
    guard let list = value as? [Any] else { throw DecodeError(message: "\(what) is not a list of numbers") }
    return try list.enumerated().map { i, element in
      guard let x = element as? Double else { throw DecodeError(message: "\(what) element \(i) is not a number") }
      guard x.isFinite else { throw DecodeError(message: "\(what) element \(i) is not finite") }
      return x
    }
  }

  private static func matrix(_ d: [String: Any], _ name: String) throws -> Matrix {
    guard let value = d[name] else { throw DecodeError(message: "not a model file: \"\(name)\" is missing") }
    return try rows(value, "\"\(name)\"")
  }

  /// A list of rows of equal, nonzero length, within rnnstep's sizes.
  private static func rows(_ value: Any, _ what: String) throws -> Matrix {
    guard let rows = value as? [Any], !rows.isEmpty else {
      throw DecodeError(message: "\(what) must be a non-empty list of rows")
    }
    let parsed = try rows.enumerated().map { try numbers($1, "\(what) row \($0)") }
    let width = parsed[0].count
    if let bad = parsed.firstIndex(where: { $0.count != width }) {
      throw DecodeError(message: "\(what) row \(bad) has \(parsed[bad].count) values, row 0 has \(width)")
    }
    guard width > 0 else { throw DecodeError(message: "\(what) has empty rows") }
    guard parsed.count <= SequenceData.maximumLength && width <= RNN.maximumSize else {
      throw DecodeError(message: "\(what) is \(parsed.count)×\(width), beyond the sizes rnnstep accepts")
    }
    return Matrix(rowVectors: parsed)
  }

  /// A vector given as a list, or as a list of one-element rows (n×1).
  private static func column(_ d: [String: Any], _ name: String) throws -> Matrix {
    guard let value = d[name] else { throw DecodeError(message: "not a model file: \"\(name)\" is missing") }
    if let rows = value as? [[Any]], rows.allSatisfy({ $0.count == 1 }) {
      return Matrix(column: try numbers(rows.map { $0[0] }, "\"\(name)\""))
    }
    return Matrix(column: try numbers(value, "\"\(name)\""))
  }

  /// A list of whole numbers ≥ 0 as indices; nil when it is anything else.
  private static func wholeNumbers(_ list: [Any]) -> [Int]? {
    let numbers = list.compactMap { $0 as? Double }
    guard numbers.count == list.count, numbers.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 1e9 }) else {
      return nil
    }
    return numbers.map { Int($0) }
  }

  /// Indices when `list` holds numbers (the first that is not an index said as such), rows of
  /// vectors otherwise.
  private static func steps(_ list: [Any], _ name: String) throws -> Either {
    if let indices = wholeNumbers(list) { return .indices(indices) }
    if list.allSatisfy({ $0 is Double }), let i = list.firstIndex(where: { wholeNumbers([$0]) == nil }) {
      throw DecodeError(
        message: "\"\(name)\" element \(i) is \(list[i]): an index is a whole number from 0 (or give rows of vectors)")
    }
    return .vectors(try rows(list, "\"\(name)\""))
  }

  private enum Either {
    case indices([Int])
    case vectors(Matrix)
  }

  private static func inputs(_ d: [String: Any]) throws -> SequenceData.Inputs {
    guard let list = d["inputs"] as? [Any] else { throw DecodeError(message: "\"inputs\" is missing or not a list") }
    switch try steps(list, "inputs") {
    case .indices(let i): return .indices(i)
    case .vectors(let m): return .vectors(m)
    }
  }

  private static func targets(_ d: [String: Any]) throws -> SequenceData.Targets {
    guard let list = d["targets"] as? [Any] else { throw DecodeError(message: "\"targets\" is missing or not a list") }
    switch try steps(list, "targets") {
    case .indices(let i): return .indices(i)
    case .vectors(let m): return .vectors(m)
    }
  }
}
