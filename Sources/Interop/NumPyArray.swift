import Foundation

/// An n-dimensional array as NumPy stores it in a `.npy` file, converted to Double.
public struct NumPyArray: Equatable, Sendable {
  /// The shape, e.g. [3, 4]; [] for a single number.
  public var shape: [Int]
  /// The elements in C (row-major) order.
  public var values: [Double]
  /// Whether ``npyData()`` writes the values as 64-bit integers ('<i8', for values that are
  /// whole numbers, such as code points) rather than float64.
  public var integers: Bool

  public init(shape: [Int], values: [Double], integers: Bool = false) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
    precondition(!integers || values.allSatisfy { $0 == $0.rounded() && abs($0) < 0x1p63 }, "not 64-bit integers")
    self.shape = shape
    self.values = values
    self.integers = integers
  }

  /// The largest array rnnstep reads (2^26 elements, 512 MiB of Double).
  public static let maximumElements = 1 << 26

  // MARK: .npy

  /// The bytes of a `.npy` file (format 1.0, little-endian float64 or int64, C order).
  public func npyData() -> Data {
    let shapeText =
      shape.isEmpty
      ? "()" : shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(integers ? "<i8" : "<f8")', 'fortran_order': False, 'shape': \(shapeText), }"
    // Magic (6) + version (2) + length (2) + header + "\n", padded to a multiple of 64.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    for v in values {
      let bits = integers ? UInt64(bitPattern: Int64(v)) : v.bitPattern
      withUnsafeBytes(of: bits.littleEndian) { data.append(contentsOf: $0) }
    }
    return data
  }

  /// Reads a `.npy` file's bytes: float64, float32, int64, int32, int16, int8, uint8 and bool,
  /// either byte order, C or Fortran order.
  /// - Throws: ``NumPyError`` saying what is wrong.
  public static func parse(npy bytes: [UInt8]) throws -> NumPyArray {
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
      throw NumPyError("not a .npy array (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let (headerLength, headerStart): (Int, Int)
    switch major {
    case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
    case 2, 3:
      guard bytes.count >= 12 else { throw NumPyError("truncated header") }
      (headerLength, headerStart) = (
        Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12
      )
    default: throw NumPyError(".npy format version \(major) is not one rnnstep reads (1, 2, 3)")
    }
    guard headerStart + headerLength <= bytes.count else { throw NumPyError("truncated header") }
    let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
    // NumPy's header is a dict of exactly these three keys.
    let keys = try NSRegularExpression(pattern: "['\"]([^'\"]*)['\"]\\s*:").matches(
      in: header, range: NSRange(header.startIndex..., in: header)
    ).map { (header as NSString).substring(with: $0.range(at: 1)) }
    if let extra = keys.first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
      throw NumPyError("the header has a key '\(extra.prefix(40))', which .npy headers do not have")
    }
    if let twice = keys.first(where: { key in keys.filter { $0 == key }.count > 1 }) {
      throw NumPyError("the header has '\(twice)' twice")
    }
    let dictionary = header.trimmingCharacters(in: .whitespacesAndNewlines)
    guard dictionary.hasPrefix("{"), dictionary.hasSuffix("}") else {
      throw NumPyError("the header is not one dictionary: it has text after its closing }")
    }
    if header.range(of: #"['"]descr['"]\s*:\s*\["#, options: .regularExpression) != nil {
      throw NumPyError("a structured dtype (named fields) is not numeric data rnnstep reads (float, int, uint, bool)")
    }
    let descr = try field(header, "descr")
    let fortranOrder = try field(header, "fortran_order")
    guard fortranOrder == "True" || fortranOrder == "False" else {
      throw NumPyError("fortran_order is \(fortranOrder.prefix(20)), not True or False")
    }
    let fortran = fortranOrder == "True"
    let shape = try parseShape(try field(header, "shape"))
    guard shape.allSatisfy({ $0 >= 0 }) else { throw NumPyError("negative size in shape \(shape)") }
    let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
    guard count <= maximumElements else {
      let size = count == Int.max ? "more than 2^63 elements" : "\(count) elements"
      throw NumPyError("\(shape) is \(size), more than rnnstep reads (\(maximumElements))")
    }
    let descriptor = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
    guard descriptor.count >= 3 else { throw NumPyError("unknown dtype '\(descriptor)'") }
    let order = descriptor.first!
    let kind = descriptor.dropFirst().first!
    // Item sizes of the numeric types rnnstep reads are 1 to 8 bytes; checking that first keeps
    // count × size from overflowing and a size like -1 from making an empty range.
    guard let size = Int(descriptor.dropFirst(2)), (1...8).contains(size) else {
      throw NumPyError("dtype '\(descriptor)' is not numeric data rnnstep reads (float, int, uint, bool)")
    }
    let bigEndian = order == ">"
    let dataStart = headerStart + headerLength
    guard bytes.count - dataStart >= count * size else {
      throw NumPyError(
        "truncated: \(shape) of \(descriptor) needs \(count * size) bytes, the file has \(bytes.count - dataStart)")
    }
    func raw(_ i: Int) -> UInt64 {
      var v: UInt64 = 0
      let start = dataStart + i * size
      for b in 0..<size {
        let byte = UInt64(bytes[start + (bigEndian ? size - 1 - b : b)])
        v |= byte << (8 * UInt64(b))
      }
      return v
    }
    let convert: (UInt64) throws -> Double
    switch (kind, size) {
    case ("f", 8): convert = { Double(bitPattern: $0) }
    case ("f", 4): convert = { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
    case ("i", 8): convert = { Double(Int64(bitPattern: $0)) }
    case ("i", 4): convert = { Double(Int32(truncatingIfNeeded: $0)) }
    case ("i", 2): convert = { Double(Int16(truncatingIfNeeded: $0)) }
    case ("i", 1): convert = { Double(Int8(truncatingIfNeeded: $0)) }
    case ("u", _) where size <= 8: convert = { Double($0) }
    case ("b", 1): convert = { $0 == 0 ? 0 : 1 }
    default: throw NumPyError("dtype '\(descriptor)' is not numeric data rnnstep reads (float, int, uint, bool)")
    }
    var values = try (0..<count).map { try convert(raw($0)) }
    if fortran && shape.count == 2 {
      let (rows, cols) = (shape[0], shape[1])
      values = (0..<rows * cols).map { k in values[(k % cols) * rows + k / cols] }
    } else if fortran && shape.count > 2 {
      throw NumPyError("Fortran-ordered arrays of more than 2 dimensions are not read")
    }
    return NumPyArray(shape: shape, values: values)
  }

  private static func field(_ header: String, _ name: String) throws -> String {
    guard let key = header.range(of: "'\(name)'") ?? header.range(of: "\"\(name)\"") else {
      throw NumPyError("the header has no '\(name)'")
    }
    var rest = header[key.upperBound...].drop { $0 == " " || $0 == ":" }
    if rest.first == "(" {
      guard let close = rest.firstIndex(of: ")") else { throw NumPyError("bad shape in the header") }
      return String(rest[...close])
    }
    let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
    rest = rest[..<end]
    return rest.trimmingCharacters(in: .whitespaces)
  }

  private static func parseShape(_ text: String) throws -> [Int] {
    // One tuple of whole numbers: (), (3,), (3, 4).
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasPrefix("("), trimmed.hasSuffix(")"),
      !trimmed.dropFirst().dropLast().contains(where: { $0 == "(" || $0 == ")" })
    else { throw NumPyError("bad shape \(text.prefix(40)) in the header") }
    let inner = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
    if inner.isEmpty { return [] }
    return try inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
      guard let n = Int($0.hasSuffix("L") ? String($0.dropLast()) : $0) else { throw NumPyError("bad shape \(text)") }
      return n
    }
  }
}

/// A `.npy`/`.npz` problem, in a few words.
public struct NumPyError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
