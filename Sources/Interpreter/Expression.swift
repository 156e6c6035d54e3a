import Foundation
import RNNCore
import Stepper

/// An expression of `print`, `display`, `watch`, breakpoint conditions and `explain`:
/// NumPy-like arithmetic over the quantities of the recorded pass.
///
///     expression := comparison
///     comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
///     sum        := product (("+" | "-") product)*
///     product    := unary (("*" | "/" | "@") unary)*          * and / elementwise, @ matrix product
///     unary      := "-" unary | postfix
///     postfix    := primary ("[" index ("," index)? "]" | ".T")*      index := expression | ":"
///     primary    := number | name | name "(" expression ("," expression)* ")" | "(" expression ")"
indirect enum Expression: Equatable {
  case number(Double)
  case name(String, column: Int)
  case call(String, [Expression], column: Int)
  case index(Expression, [Expression], column: Int)
  case transpose(Expression)
  case negate(Expression)
  case binary(String, Expression, Expression, column: Int)
  /// `:` inside brackets: every row or every column.
  case all
  /// `a:b`, `a:` or `:b` inside brackets: the elements from a up to (not including) b, as NumPy's.
  case range(Expression?, Expression?)
}

/// A malformed expression or one that cannot be evaluated, with the column it concerns.
struct ExpressionError: Error, Equatable, CustomStringConvertible {
  let message: String
  /// 1-based column in the expression text, when known.
  var column: Int?
  /// The expression the column counts in, once known.
  var text: String?
  /// Whether the error is only that a value is not computed yet at the cursor.
  var notComputedYet = false

  init(message: String, column: Int?) {
    self.message = message
    self.column = column
  }

  var description: String { column.map { "\(message) (column \($0))" } ?? message }

  /// The error with its column counted in `line`, which holds the expression from `offset` on.
  func relative(to line: String, argumentsAt offset: Int) -> ExpressionError {
    guard let column, let text,
      let found = line.range(
        of: text, range: line.index(line.startIndex, offsetBy: min(offset, line.count))..<line.endIndex)
    else { return self }
    var shifted = self
    shifted.column = line.distance(from: line.startIndex, to: found.lowerBound) + column
    return shifted
  }
}

// MARK: Parsing

struct ExpressionParser {
  enum Token: Equatable {
    case number(Double)
    case name(String)
    case symbol(String)
    case end
  }

  private var tokens: [(token: Token, column: Int)] = []
  private var position = 0

  /// Parses `text` completely. - Throws: ``ExpressionError`` with the column of the problem.
  static func parse(_ text: String) throws -> Expression {
    do {
      var parser = ExpressionParser()
      parser.tokens = try tokenize(text)
      let expression = try parser.comparison()
      guard case .end = parser.peek else {
        throw ExpressionError(message: "unexpected \(parser.describe(parser.peek))", column: parser.column)
      }
      return expression
    } catch var error as ExpressionError {
      error.text = text
      throw error
    }
  }

  /// Characters of printed formulas read as what they mean: − (minus sign) as -, × and · as *.
  static let typographic: [Character: [Token]] = ["−": [.symbol("-")], "×": [.symbol("*")], "·": [.symbol("*")]]
  /// Superscript digits: a run of them is a power, h² as h ** 2 and 2²² as 2 ** 22.
  static let superscripts: [Character: Double] = [
    "⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9,
  ]

  static func tokenize(_ text: String) throws -> [(token: Token, column: Int)] {
    var result: [(Token, Int)] = []
    let characters = Array(text)
    var i = 0
    // Digits 0–9 only: ² is a number to Unicode, an operator here.
    func digit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
    while i < characters.count {
      let c = characters[i]
      let column = i + 1
      if c.isWhitespace {
        i += 1
      } else if let symbols = ExpressionParser.typographic[c] {
        // As the lessons print formulas: 1 − h², Why × h.
        result += symbols.map { ($0, column) }
        i += 1
      } else if ExpressionParser.superscripts[c] != nil {
        var exponent = 0.0
        while i < characters.count, let d = ExpressionParser.superscripts[characters[i]] {
          exponent = exponent * 10 + d
          i += 1
        }
        result += [(.symbol("**"), column), (.number(exponent), column)]
      } else if digit(c) || (c == "." && i + 1 < characters.count && digit(characters[i + 1])) {
        var j = i
        while j < characters.count && (digit(characters[j]) || characters[j] == ".") { j += 1 }
        if j < characters.count && (characters[j] == "e" || characters[j] == "E") {
          var k = j + 1
          if k < characters.count && (characters[k] == "-" || characters[k] == "+" || characters[k] == "−") { k += 1 }
          if k < characters.count && digit(characters[k]) {
            j = k
            while j < characters.count && digit(characters[j]) { j += 1 }
          }
        }
        let literal = String(characters[i..<j]).replacingOccurrences(of: "−", with: "-")
        guard let value = Double(literal) else {
          throw ExpressionError(message: "bad number '\(literal)'", column: column)
        }
        result.append((.number(value), column))
        i = j
      } else if c.isLetter || c == "_" {
        var j = i
        while j < characters.count && (characters[j].isLetter || digit(characters[j]) || characters[j] == "_") {
          j += 1
        }
        result.append((.name(String(characters[i..<j])), column))
        i = j
      } else {
        let two = i + 1 < characters.count ? String(characters[i...i + 1]) : ""
        if ["<=", ">=", "==", "!=", "**"].contains(two) {
          result.append((.symbol(two), column))
          i += 2
        } else if "+-*/@()[],.<>:^".contains(c) {
          result.append((.symbol(String(c)), column))
          i += 1
        } else {
          throw ExpressionError(message: "unexpected character '\(c)'", column: column)
        }
      }
    }
    result.append((.end, characters.count + 1))
    return result
  }

  private var peek: Token { tokens[position].token }
  private var column: Int { tokens[position].column }

  private mutating func advance() -> (token: Token, column: Int) {
    defer { position += 1 }
    return tokens[position]
  }

  private func describe(_ token: Token) -> String {
    switch token {
    // As typed when it is whole: 0, not 0.0.
    case .number(let x): "number \(x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)")"
    case .name(let n): "'\(n)'"
    case .symbol(let s): "'\(s)'"
    case .end: "end of expression"
    }
  }

  private mutating func expect(_ symbol: String) throws {
    guard case .symbol(symbol) = peek else {
      throw ExpressionError(message: "expected '\(symbol)' but found \(describe(peek))", column: column)
    }
    position += 1
  }

  /// How deep an expression may nest: parentheses, calls, indices, unary minus, and chains of
  /// operators (1+1+…+1 is a tree as deep as it has terms). Evaluating, comparing and freeing a
  /// tree recurse as deep as it is, so a deeper one is refused before it is built.
  static let maximumDepth = 200

  private var depth = 0

  /// Counts one more level of nesting; throws past ``maximumDepth``.
  private mutating func deeper(_ levels: Int = 1) throws {
    depth += levels
    guard depth <= ExpressionParser.maximumDepth else {
      throw ExpressionError(
        message:
          "the expression is more than \(ExpressionParser.maximumDepth) levels deep (each parenthesis, call, index, "
          + "minus sign and operator in a chain is one); split it up", column: column)
    }
  }

  private mutating func comparison() throws -> Expression {
    let left = try sum()
    if case .symbol(let s) = peek, ["<", "<=", ">", ">=", "==", "!="].contains(s) {
      let c = advance().column
      return .binary(s, left, try sum(), column: c)
    }
    return left
  }

  private mutating func sum() throws -> Expression {
    var left = try product()
    var chain = 0
    defer { depth -= chain }
    while case .symbol(let s) = peek, s == "+" || s == "-" {
      let c = advance().column
      try deeper()
      chain += 1
      left = .binary(s, left, try product(), column: c)
    }
    return left
  }

  private mutating func product() throws -> Expression {
    var left = try unary()
    var chain = 0
    defer { depth -= chain }
    while case .symbol(let s) = peek, s == "*" || s == "/" || s == "@" {
      let c = advance().column
      try deeper()
      chain += 1
      left = .binary(s, left, try unary(), column: c)
    }
    return left
  }

  private mutating func unary() throws -> Expression {
    try deeper()
    defer { depth -= 1 }
    if case .symbol("-") = peek {
      position += 1
      return .negate(try unary())
    }
    if case .symbol("+") = peek {
      position += 1
      return try unary()
    }
    return try power()
  }

  /// x ** y or x ^ y (the same: rnnstep prints h[4]^2): elementwise, right to left, binding
  /// tighter than a minus in front (-h**2 is -(h**2), as in Python).
  private mutating func power() throws -> Expression {
    let base = try postfix()
    if case .symbol(let s) = peek, s == "**" || s == "^" {
      let c = advance().column
      return .binary("^", base, try unary(), column: c)
    }
    return base
  }

  private mutating func postfix() throws -> Expression {
    var base = try primary()
    var chain = 0
    defer { depth -= chain }
    while true {
      if case .symbol(let s) = peek, s == "[" || s == "." {
        try deeper()
        chain += 1
      }
      if case .symbol("[") = peek {
        let c = advance().column
        var indices = [try indexOrAll()]
        if case .symbol(",") = peek {
          position += 1
          indices.append(try indexOrAll())
        }
        try expect("]")
        base = .index(base, indices, column: c)
      } else if case .symbol(".") = peek {
        position += 1
        guard case .name("T") = peek else {
          throw ExpressionError(message: "expected 'T' after '.' (transpose is .T)", column: column)
        }
        position += 1
        base = .transpose(base)
      } else {
        return base
      }
    }
  }

  /// An index, `:` for a whole row or column (NumPy's Wxh[:, 0]), or a slice a:b, a:, :b.
  private mutating func indexOrAll() throws -> Expression {
    func ends() -> Bool {
      if case .symbol(let s) = peek { return s == "]" || s == "," }
      return false
    }
    var start: Expression?
    if case .symbol(":") = peek {} else { start = try comparison() }
    guard case .symbol(":") = peek else { return start! }
    position += 1
    let end = ends() ? nil : try comparison()
    return start == nil && end == nil ? .all : .range(start, end)
  }

  private mutating func primary() throws -> Expression {
    let (token, c) = advance()
    switch token {
    case .number(let x):
      return .number(x)
    case .name(let n):
      if case .symbol("(") = peek {
        position += 1
        var arguments = [try comparison()]
        while case .symbol(",") = peek {
          position += 1
          arguments.append(try comparison())
        }
        try expect(")")
        return .call(n, arguments, column: c)
      }
      return .name(n, column: c)
    case .symbol("("):
      let inner = try comparison()
      try expect(")")
      return inner
    default:
      position -= 1
      throw ExpressionError(message: "expected a number, a name or '(' but found \(describe(token))", column: c)
    }
  }
}

// MARK: Names

/// The names an expression can use, for completion, help and error messages.
enum ExpressionNames {
  static let stepQuantities = StepQuantity.allCases.map(\.rawValue)
  static let parameters = Parameter.allCases.map(\.name)
  static let gradients = Parameter.allCases.map(\.gradientName)
  static let contributions = Parameter.allCases.map { $0.gradientName + "_t" }
  static let others = ["h0", "hs", "t", "T"]
  static let functions = [
    "norm", "sum", "max", "min", "mean", "shape", "tanh", "exp", "log", "abs", "sqrt", "softmax", "clip", "svd",
    "jacobian", "dL_dh",
  ]
  static let all = stepQuantities + parameters + gradients + contributions + others
}

// MARK: Evaluation

/// Evaluates expressions against the session's model and, when there is one, the recorded pass
/// at the cursor.
struct Evaluator {
  let model: RNN
  let snapshot: Snapshot?
  /// Names bound by whoever evaluates (a backward equation's dy, dh_next, t…): the value at a step
  /// (nil: the name alone). They come before the usual meanings.
  var bindings: [String: (Int?) throws -> Matrix] = [:]
  /// Whether h[-1] counts from the end (print: NumPy's way). A backward equation says no: there
  /// h[t-5] at t = 4 is a mistake, not h[T].
  var indicesFromTheEnd = true
  /// Why there is no recorded pass, when there is none (the data do not fit the model…).
  var noPass = "give inputs and targets first"
  /// The multiply-adds one expression may take, a few seconds' worth: a larger one is refused
  /// before it starts (Whh @ Whh at H = 4096 alone is 6.9e10), so that print always answers.
  static let maximumWork = 2_000_000_000
  private let work = WorkCounter()

  private final class WorkCounter {
    var used = 0
  }

  /// Counts `factors`' product of multiply-adds against ``maximumWork`` before `what` runs.
  private func spend(_ factors: [Int], on what: String, column: Int) throws {
    var cost = 1
    for f in factors {
      let (product, overflow) = cost.multipliedReportingOverflow(by: Swift.max(f, 0))
      cost = overflow ? Int.max : product
    }
    let (total, overflow) = work.used.addingReportingOverflow(cost)
    guard !overflow, total <= Evaluator.maximumWork else {
      // One part too large, or the parts together.
      let (subject, amount) =
        cost > Evaluator.maximumWork ? (what, cost) : ("the expression", overflow ? Int.max : total)
      throw ExpressionError(
        message: "\(subject) would take \(amount == Int.max ? "over 9e+18" : String(format: "%.2g", Double(amount))) "
          + "multiply-adds\(subject == what ? "" : " in all"); an expression may take up to "
          + String(format: "%.2g", Double(Evaluator.maximumWork)),
        column: column)
    }
    work.used = total
  }

  /// A value under evaluation: a matrix, or a quantity over time still waiting for its step.
  private enum Value {
    case matrix(Matrix)
    /// A quantity over time: indexed by t, or, alone, the current step's value (or `whole`).
    case series(String, column: Int, (Int) throws -> Matrix, whole: (() throws -> Matrix)? = nil)
  }

  func evaluate(_ e: Expression) throws -> Matrix {
    try resolve(value(e), column: nil)
  }

  /// The current time step, for a step quantity written without one.
  private func currentStep(_ name: String, column: Int?) throws -> Int {
    guard let snapshot else {
      throw ExpressionError(message: "there is no recorded pass: \(noPass)", column: nil)
    }
    guard let position = snapshot.cursor.position else {
      // A watch or display of h waits for the first step, as for a value not computed yet.
      var error = ExpressionError(
        message: "the cursor is before the first step, so '\(name)' has no current t: name one, as in \(name)[1]",
        column: column)
      error.notComputedYet = true
      throw error
    }
    return position.t
  }

  private func resolve(_ v: Value, column: Int?) throws -> Matrix {
    switch v {
    case .matrix(let m): return m
    case .series(let name, let nameColumn, let at, let whole):
      if let whole { return try whole() }
      return try at(try currentStep(name, column: nameColumn))
    }
  }

  private func needSnapshot(_ name: String, _ column: Int) throws -> Snapshot {
    guard let snapshot else {
      throw ExpressionError(
        message: "'\(name)' needs a recorded pass, and there is none: \(noPass)",
        column: nil)
    }
    return snapshot
  }

  private func value(_ e: Expression) throws -> Value {
    switch e {
    case .number(let x):
      return .matrix(Matrix(column: [x]))
    case .name(let n, let column):
      return try name(n, column: column)
    case .call(let f, let arguments, let column) where ["jacobian", "dL_dh"].contains(f):
      // Two steps, t and k: how the recorded pass carries a gradient from step t back to k.
      guard arguments.count == 2 else {
        throw ExpressionError(message: "\(f)(t, k) takes two steps, as in \(f)(19, 9)", column: column)
      }
      let steps = try arguments.map { try integer(resolve(value($0), column: column), column: column) }
      guard let snapshot else {
        throw ExpressionError(
          message: "\(f) needs a recorded pass, and there is none: \(noPass)",
          column: nil)
      }
      let flow = GradientFlow(snapshot: snapshot)
      let nh = snapshot.trace.model.hiddenSize
      try spend(
        [steps[0] - steps[1], nh, nh, f == "jacobian" ? nh : 1], on: "\(f)(\(steps[0]), \(steps[1]))", column: column)
      do {
        return .matrix(
          try wrap(column) {
            f == "jacobian" ? try flow.jacobian(steps[0], steps[1]) : try flow.lossGradient(steps[0], steps[1])
          })
      } catch let error as CommandError {
        throw ExpressionError(message: error.description, column: column)
      }
    case .call(let f, let arguments, let column):
      return .matrix(try call(f, try arguments.map { try resolve(value($0), column: column) }, column: column))
    case .index(let base, let indices, let column):
      let b = try value(base)
      if indices.contains(where: { if case .range = $0 { true } else { false } }) {
        return .matrix(try slice(try resolve(b, column: column), indices, column: column))
      }
      if indices.contains(.all) {
        guard case .matrix(let m) = b, indices.count == 2, indices != [.all, .all] else {
          throw ExpressionError(
            message: "':' selects a row or a column of a matrix, as in Wxh[:, 0] or Whh[1, :]", column: column)
        }
        if indices[0] == .all {
          let j = try integer(resolve(value(indices[1]), column: column), column: column)
          guard j >= 0 && j < m.cols else {
            throw ExpressionError(
              message: "column index \(j) is outside 0 to \(m.cols - 1) (shape \(m.shapeDescription))", column: column)
          }
          return .matrix(Matrix(column: m.column(j)))
        }
        let i = try integer(resolve(value(indices[0]), column: column), column: column)
        guard i >= 0 && i < m.rows else {
          throw ExpressionError(
            message: "row index \(i) is outside 0 to \(m.rows - 1) (shape \(m.shapeDescription))", column: column)
        }
        return .matrix(Matrix(rows: 1, cols: m.cols, m.row(i)))
      }
      let numbers = try indices.map { try integer(resolve(value($0), column: column), column: column) }
      if case .series(_, _, let at, _) = b {
        guard numbers.count == 1 else {
          throw ExpressionError(
            message: "a quantity over time takes one time index first, as in h[3][0]", column: column)
        }
        guard numbers[0] >= 0 || indicesFromTheEnd else {
          throw ExpressionError(
            message: "\(name(of: base))[\(numbers[0])] does not exist: in an equation a step counts from 0 (h0) up, "
              + "never from the end", column: column)
        }
        // h[-1] is the last step, h[T]; x[-2] the one before it.
        let steps = numbers[0] < 0 ? try needSnapshot(name(of: base), column).trace.steps : 0
        let t = numbers[0] < 0 ? steps + 1 + numbers[0] : numbers[0]
        // A negative index past the start is named as typed, not as the step it counted to.
        guard t >= 0 else {
          throw ExpressionError(
            message:
              "\(name(of: base))[\(numbers[0])] does not exist: from the end, t runs from -1 back to -\(steps + 1)",
            column: column)
        }
        return .matrix(try at(t))
      }
      return .matrix(try element(try resolve(b, column: column), numbers, column: column))
    case .transpose(let inner):
      return .matrix(try resolve(value(inner), column: nil).transposed())
    case .negate(let inner):
      return .matrix(try resolve(value(inner), column: nil).map { -$0 })
    case .binary(let op, let l, let r, let column):
      return .matrix(
        try binary(op, try resolve(value(l), column: column), try resolve(value(r), column: column), column: column))
    case .all, .range:
      throw ExpressionError(message: "':' belongs inside brackets, as in Wxh[:, 0] or h[1][0:2]", column: nil)
    }
  }

  /// m[a:b], m[a:b, c], m[i, a:b], m[a:b, c:d]: NumPy's slices (negative ends count from the end).
  private func slice(_ m: Matrix, _ indices: [Expression], column: Int) throws -> Matrix {
    guard indices.count <= 2 else {
      throw ExpressionError(message: "at most two indices, as in Whh[0:2, 1]", column: column)
    }
    func bounds(_ e: Expression, _ n: Int) throws -> Range<Int> {
      func wrap(_ i: Int) -> Int { i < 0 ? i + n : i }
      switch e {
      case .all: return 0..<n
      case .range(let a, let b):
        let lower = try a.map { wrap(try integer(resolve(value($0), column: column), column: column)) } ?? 0
        let upper = try b.map { wrap(try integer(resolve(value($0), column: column), column: column)) } ?? n
        let (l, u) = (max(0, min(lower, n)), max(0, min(upper, n)))
        guard l < u else {
          throw ExpressionError(message: "the slice selects nothing (\(l) to \(u) of \(n))", column: column)
        }
        return l..<u
      default:
        let i = wrap(try integer(resolve(value(e), column: column), column: column))
        guard i >= 0 && i < n else {
          throw ExpressionError(
            message: "index \(i) is outside 0 to \(n - 1) (shape \(m.shapeDescription))", column: column)
        }
        return i..<(i + 1)
      }
    }
    let rows: Range<Int>
    let cols: Range<Int>
    if indices.count == 2 {
      (rows, cols) = (try bounds(indices[0], m.rows), try bounds(indices[1], m.cols))
    } else if m.cols == 1 {
      (rows, cols) = (try bounds(indices[0], m.rows), 0..<1)
    } else if m.rows == 1 {
      (rows, cols) = (0..<1, try bounds(indices[0], m.cols))
    } else {
      (rows, cols) = (try bounds(indices[0], m.rows), 0..<m.cols)
    }
    return Matrix(rows: rows.count, cols: cols.count, rows.flatMap { i in cols.map { m[i, $0] } })
  }

  /// The name an indexed expression starts from (for messages).
  private func name(of e: Expression) -> String {
    if case .name(let n, _) = e { return n }
    if case .index(let inner, _, _) = e { return name(of: inner) }
    return "the value"
  }

  private func name(_ n: String, column: Int) throws -> Value {
    if let bound = bindings[n] {
      // The stepper's errors read as everywhere else: where a value is computed, which steps exist.
      return .series(
        n, column: column, { t in try wrap(column) { try bound(t) } }, whole: { try wrap(column) { try bound(nil) } })
    }
    if let parameter = Parameter.allCases.first(where: { $0.name == n }) {
      return .matrix(model.parameters[parameter])
    }
    if n == "h0" { return .matrix(Matrix(column: model.h0)) }
    if let parameter = Parameter.allCases.first(where: { $0.gradientName == n }) {
      return .matrix(try needSnapshot(n, column).runningTotal(parameter))
    }
    if let parameter = Parameter.allCases.first(where: { $0.gradientName + "_t" == n }) {
      let snapshot = try needSnapshot(n, column)
      return .series(n, column: column) { t in try wrap(column) { try snapshot.contribution(parameter, t: t) } }
    }
    if n == "loss" {
      let snapshot = try needSnapshot(n, column)
      // `loss` alone is the total Σ_t L_t; loss[t] is one step's L_t.
      return .series(
        n, column: column, { t in try wrap(column) { try snapshot.value(.loss, t: t) } },
        whole: { Matrix(column: [try wrap(column) { try snapshot.totalLoss() }]) })
    }
    if n == "dh_next" {
      // dh_next alone is what BPTT holds at the cursor, as the stop shows it: at backward t=3 dh,
      // the one step 4 passed down. dh_next[t] is the one step t computes.
      let snapshot = try needSnapshot(n, column)
      return .series(
        n, column: column, { t in try wrap(column) { try snapshot.value(.dhNext, t: t) } },
        whole: { try wrap(column) { try snapshot.heldDhNext() } })
    }
    if let quantity = StepQuantity(rawValue: n) {
      let snapshot = try needSnapshot(n, column)
      return .series(n, column: column) { t in try wrap(column) { try snapshot.value(quantity, t: t) } }
    }
    if n == "T" { return .matrix(Matrix(column: [Double(try needSnapshot(n, column).trace.steps)])) }
    if n == "hs" {
      // Every hidden state, one row per step (row 0 is h0): h over time as a table.
      let snapshot = try needSnapshot(n, column)
      _ = try wrap(column) { try snapshot.value(.h, t: snapshot.trace.steps) }
      return .matrix(snapshot.trace.hs)
    }
    if n == "t" { return .matrix(Matrix(column: [Double(try currentStep("t", column: column))])) }
    // min-char-rnn's own names for what rnnstep calls otherwise.
    let theirs = [
      "hprev": "h0 here (the state before the first step; the one before step t is h[t-1])",
      "dhnext": "dh_next here", "dhraw": "dh_raw here", "xs": "x here",
    ]
    if ExpressionNames.functions.contains(n) {
      throw ExpressionError(message: "\(n) is a function: write \(n)(…)", column: column)
    }
    let suggestion =
      theirs[n].map { "; min-char-rnn's \(n) is \($0)" }
      ?? closest(n, among: ExpressionNames.all + ExpressionNames.functions).map { "; did you mean '\($0)'?" } ?? ""
    let shown = n.count > 40 ? n.prefix(40) + "…" : n
    throw ExpressionError(message: "unknown name '\(shown)'\(suggestion)", column: column)
  }

  /// Turns the stepper's errors into expression errors that say where things are.
  private func wrap<R>(_ column: Int, _ body: () throws -> R) throws -> R {
    do {
      return try body()
    } catch let error as NotComputedYet {
      let at = error.computedAt.map { " it is computed at \(describe($0))," } ?? ""
      let cursor =
        error.cursor.map { "the cursor is at \(describe($0))" }
        ?? "the cursor is before the first step (last goes to the end of the pass)"
      var wrapped = ExpressionError(
        message: "\(passValueName(error.value)) is not computed yet:\(at) \(cursor)", column: nil)
      wrapped.notComputedYet = true
      throw wrapped
    } catch let error as NoSuchStep {
      throw ExpressionError(
        message:
          "\(passValueName(error.value)) does not exist: t runs from \(error.steps.lowerBound) to \(error.steps.upperBound)",
        column: column)
    } catch is NoProbabilities {
      throw ExpressionError(
        message: "p does not exist under squared error (it is softmax's probability)", column: column)
    } catch let error as RNNError {
      throw ExpressionError(message: error.description, column: column)
    }
  }

  private func integer(_ m: Matrix, column: Int) throws -> Int {
    guard m.count == 1, let value = m.storage.first, value == value.rounded(), abs(value) < 1e9 else {
      let what =
        m.count != 1
        ? "one number, not \(m.rows)×\(m.cols)"
        : m.storage[0].isFinite && m.storage[0] == m.storage[0].rounded()
          ? "a whole number below 1e9" : "a whole number"
      throw ExpressionError(message: "an index must be \(what)", column: column)
    }
    return Int(value)
  }

  private func element(_ m: Matrix, _ given: [Int], column: Int) throws -> Matrix {
    // Negative indices count from the end, as NumPy's: h[1][-1] is the last element.
    let sizes = given.count == 2 ? [m.rows, m.cols] : [m.cols == 1 || m.rows == 1 ? m.count : m.rows]
    let indices = zip(given, sizes).map { $0 < 0 ? $0 + $1 : $0 }
    func check(_ i: Int, _ n: Int, _ what: String) throws {
      guard i >= 0 && i < n else {
        // Named as typed: -4 of 3 elements, not the -1 it counted to.
        let typed = given[indices.firstIndex(of: i) ?? 0]
        let range = typed < 0 ? "\(-n) to -1 (from the end)" : "0 to \(n - 1)"
        throw ExpressionError(
          message: "\(what) index \(typed) is outside \(range) (shape \(m.shapeDescription))", column: column)
      }
    }
    if indices.count == 2 {
      try check(indices[0], m.rows, "row")
      try check(indices[1], m.cols, "column")
      return Matrix(column: [m[indices[0], indices[1]]])
    }
    let i = indices[0]
    if m.cols == 1 || m.rows == 1 {
      try check(i, m.count, "element")
      return Matrix(column: [m.storage[i]])
    }
    try check(i, m.rows, "row")
    return Matrix(rows: 1, cols: m.cols, m.row(i))
  }

  private func binary(_ op: String, _ a: Matrix, _ b: Matrix, column: Int) throws -> Matrix {
    if op == "@" {
      if a.cols == b.rows { try spend([a.rows, a.cols, b.cols], on: "this product", column: column) }
      do { return try a.matmul(b) } catch let error as ShapeError {
        throw ExpressionError(message: describe(error, "multiply"), column: column)
      }
    }
    let f: (Double, Double) -> Double =
      switch op {
      case "+": (+)
      case "-": (-)
      case "*": (*)
      case "/": (/)
      case "^": { Foundation.pow($0, $1) }
      case "<": { $0 < $1 ? 1 : 0 }
      case "<=": { $0 <= $1 ? 1 : 0 }
      case ">": { $0 > $1 ? 1 : 0 }
      case ">=": { $0 >= $1 ? 1 : 0 }
      case "==": { $0 == $1 ? 1 : 0 }
      default: { $0 != $1 ? 1 : 0 }
      }
    if a.count == 1 { return b.map { f(a.storage[0], $0) } }
    if b.count == 1 { return a.map { f($0, b.storage[0]) } }
    let names = ["+": "add", "-": "subtract", "*": "multiply elementwise", "/": "divide"]
    do {
      return try a.elementwise(b, f)
    } catch let error as ShapeError {
      throw ExpressionError(
        message: describe(error, names[op] ?? "compare") + (op == "*" ? " (for a matrix product use @)" : ""),
        column: column)
    }
  }

  private func call(_ f: String, _ args: [Matrix], column: Int) throws -> Matrix {
    let expected = f == "clip" ? 2 : 1
    guard args.count == expected else {
      throw ExpressionError(
        message: "\(f) takes \(expected) argument\(expected == 1 ? "" : "s"), not \(args.count)", column: column)
    }
    let x = args[0]
    func scalar(_ v: Double) -> Matrix { Matrix(column: [v]) }
    switch f {
    case "norm": return scalar(x.norm)
    case "svd":
      // Jacobi sweeps over pairs of columns, rows · cols² each (a dozen at most, in practice).
      try spend([x.rows + 24 * x.cols, x.cols, x.cols], on: "svd of \(x.rows)×\(x.cols)", column: column)
      return Matrix(column: singularValues(x))
    case "sum": return scalar(x.sum)
    case "max": return scalar(x.storage.max()!)
    case "min": return scalar(x.storage.min()!)
    case "mean": return scalar(x.sum / Double(x.count))
    case "shape": return Matrix(rows: 1, cols: 2, [Double(x.rows), Double(x.cols)])
    // The engine's own functions: what it computed, print recomputes to the last bit.
    case "tanh": return Matrix(rows: x.rows, cols: x.cols, VectorMath.tanh(x.storage))
    case "exp": return Matrix(rows: x.rows, cols: x.cols, VectorMath.exp(x.storage))
    case "log": return Matrix(rows: x.rows, cols: x.cols, VectorMath.log(x.storage))
    case "abs": return x.map { Swift.abs($0) }
    case "sqrt": return x.map { $0.squareRoot() }
    case "clip":
      // clip(x, c): every element limited to [-c, c], as min-char-rnn's np.clip(d, -5, 5).
      guard args[1].count == 1, args[1].storage[0] >= 0 else {
        throw ExpressionError(message: "clip(x, c) needs one number c ≥ 0", column: column)
      }
      let c = args[1].storage[0]
      return x.map { Swift.min(Swift.max($0, -c), c) }
    case "softmax":
      return Matrix(rows: x.rows, cols: x.cols, VectorMath.softmax(x.storage))
    default:
      let suggestion = closest(f, among: ExpressionNames.functions).map { "; did you mean '\($0)'?" } ?? ""
      throw ExpressionError(
        message:
          "unknown function '\(f)'\(suggestion) (functions: \(ExpressionNames.functions.joined(separator: " ")))",
        column: column)
    }
  }
}

/// "cannot multiply 2×3 and 2×3: inner sizes 3 and 2 differ".
func describe(_ error: ShapeError, _ verb: String) -> String {
  let shapes = "\(error.left.rows)×\(error.left.cols) and \(error.right.rows)×\(error.right.cols)"
  switch error.operation {
  case .product: return "cannot \(verb) \(shapes): inner sizes \(error.left.cols) and \(error.right.rows) differ"
  case .elementwise: return "cannot \(verb) \(shapes): shapes differ"
  }
}

/// A value of the pass as a learner writes it: `h[3]`, `loss`, `dWhh_t[3]`.
func passValueName(_ value: PassValue) -> String {
  switch value {
  case .quantity(let q, let t): "\(q.rawValue)[\(t)]"
  case .totalLoss: "loss"
  case .contribution(let p, let t): "\(p.gradientName)_t[\(t)]"
  }
}

/// A place as a learner reads it: `forward t=2 h`.
func describe(_ p: Position) -> String {
  "\(p.phase.rawValue) t=\(p.t) \(p.equation.rawValue)"
}

/// The candidate nearest to `word` by edit distance (a swap of two neighbours counts as one
/// edit), if it is near enough to be a typo.
func closest(_ word: String, among candidates: [String]) -> String? {
  // A typo is a few edits from a name of at most a few dozen characters: a long word is none.
  let a = Array(word)
  let limit = Swift.min(Swift.max(1, a.count / 3), a.count - 1)
  guard a.count <= 40, limit >= 0 else { return nil }
  // Three rows of the edit-distance table: two back (for the swap), the last, this one.
  var (older, previous, row) = ([Int](), [Int](), [Int]())
  var best: (name: String, distance: Int)?
  for candidate in candidates {
    let b = Array(candidate)
    // Each character the lengths differ by is an edit: too many, and no need to count them.
    guard abs(a.count - b.count) <= limit else { continue }
    older = [Int](repeating: 0, count: b.count + 1)
    previous = Array(0...b.count)
    row = previous
    for i in 1...a.count {
      row[0] = i
      for j in stride(from: 1, through: b.count, by: 1) {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        row[j] = Swift.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          row[j] = Swift.min(row[j], older[j - 2] + 1)
        }
      }
      (older, previous, row) = (previous, row, older)
    }
    let d = previous[b.count]
    if d <= limit && d < (best?.distance ?? .max) { best = (candidate, d) }
  }
  return best?.name
}
