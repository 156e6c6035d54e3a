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
    // RFC 8259: UTF-8, with no byte order mark.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      throw Failure(message: "a UTF-8 byte order mark (EF BB BF) at the start, which JSON does not allow")
    }
    if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
      throw Failure(
        message: "UTF-16 text (byte order mark \(String(format: "%02X %02X", bytes[0], bytes[1]))); JSON is UTF-8")
    }
    if let bad = firstInvalidUTF8(bytes) {
      var reader = Reader(bytes: bytes)
      reader.position = bad
      throw reader.failure("byte \(String(format: "0x%02X", bytes[bad])), which is not UTF-8,")
    }
    var reader = Reader(bytes: bytes)
    reader.skipSpace()
    let value = try reader.value(depth: 0)
    reader.skipSpace()
    guard reader.position == bytes.count else {
      throw reader.failure("unexpected text after the end of the JSON value")
    }
    return value
  }

  /// The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
  /// forms, no surrogates, nothing above U+10FFFF), nil when all are.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b < 0x80 {
        i += 1
        continue
      }
      // The length of the sequence and the range its second byte must fall in.
      let (length, low, high): (Int, UInt8, UInt8) =
        switch b {
        case 0xC2...0xDF: (2, 0x80, 0xBF)
        case 0xE0: (3, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
        case 0xED: (3, 0x80, 0x9F)
        case 0xF0: (4, 0x90, 0xBF)
        case 0xF1...0xF3: (4, 0x80, 0xBF)
        case 0xF4: (4, 0x80, 0x8F)
        default: (0, 0, 0)
        }
      guard length > 0, i + length <= bytes.count, (low...high).contains(bytes[i + 1]) else { return i }
      for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return i }
      i += length
    }
    return nil
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

    /// A number as RFC 8259 writes it: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?, and
    /// within Double's range (1e400 is refused, not read as infinity).
    mutating func number() throws -> Double {
      let start = position
      func digits() -> Int {
        let from = position
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
          position += 1
        }
        return position - from
      }
      func at(_ c: Character) -> Bool {
        position < bytes.count && bytes[position] == UInt8(ascii: c.unicodeScalars.first!)
      }
      var valid = true
      if at("-") { position += 1 }
      if at("0") {
        position += 1
      } else if digits() == 0 {
        valid = false
      }
      if valid && at(".") {
        position += 1
        valid = digits() > 0
      }
      if valid && (at("e") || at("E")) {
        position += 1
        if at("+") || at("-") { position += 1 }
        valid = digits() > 0
      }
      let text = String(decoding: bytes[start..<position], as: UTF8.self)
      guard valid, !text.isEmpty, let x = Double(text) else {
        position = start
        let shown = text.isEmpty && start < bytes.count ? String(Character(Unicode.Scalar(bytes[start]))) : text
        throw failure(
          text.isEmpty ? "unexpected character '\(shown)'" : "'\(text)' is not a JSON number (RFC 8259)")
      }
      guard x.isFinite else {
        position = start
        throw failure("'\(text)' is outside the range of a double")
      }
      return x
    }

    /// A string as RFC 8259 writes it: no raw control characters; escapes \" \\ \/ \b \f \n \r
    /// \t and \uXXXX, a character outside the Basic Multilingual Plane as a surrogate pair.
    mutating func string() throws -> String {
      position += 1
      var scalars: [UInt8] = []
      func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
          let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
          bytes[position..<position + 4].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else { throw failure("bad \\u escape") }
        position += 4
        return code
      }
      while position < bytes.count {
        let b = bytes[position]
        position += 1
        if b == UInt8(ascii: "\"") { return String(decoding: scalars, as: UTF8.self) }
        if b < 0x20 { throw failure("a control character (\(b)) inside a string: write it as an escape") }
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
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(e)
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
              // A high surrogate must be followed by a low one: together one code point.
              guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
              else { throw failure("a lone surrogate \\u\(String(code, radix: 16, uppercase: true))") }
              position += 2
              let low = try hex4()
              guard (0xDC00...0xDFFF).contains(low) else {
                throw failure("a lone surrogate \\u\(String(code, radix: 16, uppercase: true))")
              }
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else {
              throw failure("a lone surrogate \\u\(String(code, radix: 16, uppercase: true))")
            }
            scalars += Array(String(Character(scalar)).utf8)
          default: throw failure("'\\\(Character(Unicode.Scalar(e)))' is not a JSON escape")
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
