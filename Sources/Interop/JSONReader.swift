/// A strict JSON reader that parses numbers with Swift's correctly rounded `Double(String)`,
/// so that a model saved and loaded keeps every bit, and that says where a file goes wrong.
///
/// Values come back as `[String: Any]`, `[Any]`, `String`, `Double`, `Bool` or `NSNull`-free
/// `Optional<Any>.none` for null.
enum JSONReader {
  struct Failure: Error {
    let message: String
  }

  /// Parses a whole document. - Throws: ``Failure`` with the line and column of the problem.
  static func parse(_ bytes: [UInt8]) throws -> Any {
    var reader = Reader(bytes: bytes)
    reader.skipSpace()
    let value = try reader.value(depth: 0)
    reader.skipSpace()
    guard reader.position == bytes.count else {
      throw reader.failure("unexpected text after the end of the JSON value")
    }
    return value
  }

  private struct Reader {
    let bytes: [UInt8]
    var position = 0

    func failure(_ message: String) -> Failure {
      var line = 1
      var column = 1
      for b in bytes[..<Swift.min(position, bytes.count)] {
        if b == UInt8(ascii: "\n") {
          line += 1
          column = 1
        } else {
          column += 1
        }
      }
      return Failure(message: "\(message) at line \(line), column \(column)")
    }

    mutating func skipSpace() {
      while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws -> Any {
      guard depth < 64 else { throw failure("nested too deeply") }
      guard position < bytes.count else { throw failure("the file ends where a value should be") }
      switch bytes[position] {
      case UInt8(ascii: "{"): return try object(depth: depth)
      case UInt8(ascii: "["): return try array(depth: depth)
      case UInt8(ascii: "\""): return try string()
      case UInt8(ascii: "t"): return try literal("true", true)
      case UInt8(ascii: "f"): return try literal("false", false)
      case UInt8(ascii: "n"): return try literal("null", Optional<Any>.none as Any)
      default: return try number()
      }
    }

    mutating func literal(_ word: String, _ value: Any) throws -> Any {
      let w = Array(word.utf8)
      guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
        throw failure("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
      }
      position += w.count
      return value
    }

    mutating func number() throws -> Double {
      let start = position
      let allowed = Set("+-0123456789.eE".utf8)
      while position < bytes.count, allowed.contains(bytes[position]) { position += 1 }
      let text = String(decoding: bytes[start..<position], as: UTF8.self)
      guard !text.isEmpty, let x = Double(text) else {
        position = start
        throw failure(
          text.isEmpty
            ? "unexpected character '\(Character(Unicode.Scalar(bytes[start])))'" : "'\(text)' is not a number")
      }
      return x
    }

    mutating func string() throws -> String {
      position += 1
      var scalars: [UInt8] = []
      while position < bytes.count {
        let b = bytes[position]
        position += 1
        if b == UInt8(ascii: "\"") { return String(decoding: scalars, as: UTF8.self) }
        if b == UInt8(ascii: "\\") {
          guard position < bytes.count else { break }
          let e = bytes[position]
          position += 1
          switch e {
          case UInt8(ascii: "n"): scalars.append(0x0A)
          case UInt8(ascii: "t"): scalars.append(0x09)
          case UInt8(ascii: "r"): scalars.append(0x0D)
          case UInt8(ascii: "b"): scalars.append(0x08)
          case UInt8(ascii: "f"): scalars.append(0x0C)
          case UInt8(ascii: "u"):
            guard position + 4 <= bytes.count,
              let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
              let scalar = Unicode.Scalar(code)
            else { throw failure("bad \\u escape") }
            position += 4
            scalars += Array(String(Character(scalar)).utf8)
          default: scalars.append(e)
          }
        } else {
          scalars.append(b)
        }
      }
      throw failure("a string is not closed")
    }

    mutating func array(depth: Int) throws -> [Any] {
      position += 1
      var result: [Any] = []
      skipSpace()
      if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
        position += 1
        return result
      }
      while true {
        skipSpace()
        result.append(try value(depth: depth + 1))
        skipSpace()
        guard position < bytes.count else { throw failure("a list is not closed") }
        if bytes[position] == UInt8(ascii: "]") {
          position += 1
          return result
        }
        guard bytes[position] == UInt8(ascii: ",") else { throw failure("expected ',' or ']'") }
        position += 1
      }
    }

    mutating func object(depth: Int) throws -> [String: Any] {
      position += 1
      var result: [String: Any] = [:]
      skipSpace()
      if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
        position += 1
        return result
      }
      while true {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
          throw failure("expected a field name in quotes")
        }
        let key = try string()
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
          throw failure("expected ':' after \"\(key)\"")
        }
        position += 1
        skipSpace()
        result[key] = try value(depth: depth + 1)
        skipSpace()
        guard position < bytes.count else { throw failure("an object is not closed") }
        if bytes[position] == UInt8(ascii: "}") {
          position += 1
          return result
        }
        guard bytes[position] == UInt8(ascii: ",") else { throw failure("expected ',' or '}'") }
        position += 1
      }
    }
  }
}
