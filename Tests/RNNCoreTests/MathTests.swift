import CKernels
import Foundation
import Testing

@testable import RNNCore

@Suite("Matrix")
struct MatrixTests {
  @Test("product, transpose, norm")
  func basics() throws {
    let a = Matrix(rows: 2, cols: 3, [1, 2, 3, 4, 5, 6])
    let b = Matrix(rows: 3, cols: 2, [7, 8, 9, 10, 11, 12])
    #expect(try a.matmul(b) == Matrix(rows: 2, cols: 2, [58, 64, 139, 154]))
    #expect(a.transposed() == Matrix(rows: 3, cols: 2, [1, 4, 2, 5, 3, 6]))
    #expect(Matrix(column: [3, 4]).norm == 5)
    #expect(abs(Matrix(column: [3e200, 4e200]).norm - 5e200) <= 5e200.ulp)
    #expect(a[1, 2] == 6)
    #expect(a.column(1) == [2, 5])
  }

  @Test("a shape mismatch carries both shapes")
  func shapeErrors() {
    let a = Matrix(rows: 2, cols: 3)
    #expect(throws: ShapeError(operation: .product, left: a, right: a)) { try a.matmul(a) }
    let b = Matrix(rows: 3, cols: 2)
    #expect(throws: ShapeError(operation: .elementwise, left: a, right: b)) { try a.elementwise(b, +) }
    #expect(throws: Never.self) { try a.matmul(b) }
  }

  @Test("the vector transpose agrees with the plain one for every small shape")
  func kernelTranspose() {
    for rows in 1...9 {
      for cols in 1...9 {
        let m = Matrix(rows: rows, cols: cols, (0..<rows * cols).map(Double.init))
        var out = [Double](repeating: -1, count: rows * cols)
        m.storage.withUnsafeBufferPointer { src in
          out.withUnsafeMutableBufferPointer {
            transpose(src.baseAddress!, rows: rows, cols: cols, into: $0.baseAddress!)
          }
        }
        #expect(out == m.transposed().storage, "\(rows)×\(cols)")
      }
    }
  }

  @Test("weightedRowSum against a plain double loop, in both block orders")
  func kernelRowSum() {
    var rng = SeededGenerator(seed: 5)
    for n in [1, 3, 4, 5, 31, 32, 33, 36, 64, 65, 100, 130] {
      for terms in [1, 2, 3, 4, 7, 25] {
        let v = (0..<terms * n).map { _ in rng.nextGaussian() }
        let c = (0..<terms).map { _ in rng.nextGaussian() }
        let start = (0..<n).map { _ in rng.nextGaussian() }
        var outs: [[Double]] = []
        for (accumulate, reversed) in [(false, false), (false, true), (true, false), (true, true)] {
          var out = accumulate ? start : [Double](repeating: .nan, count: n)
          v.withUnsafeBufferPointer { vp in
            c.withUnsafeBufferPointer { cp in
              out.withUnsafeMutableBufferPointer {
                weightedRowSum(
                  into: $0.baseAddress!, n, terms: terms, coefficients: cp.baseAddress!, 1, rows: vp.baseAddress!, n,
                  accumulate: accumulate, reversed: reversed)
              }
            }
          }
          let expected = (0..<n).map { j in (0..<terms).reduce(accumulate ? start[j] : 0) { $0 + c[$1] * v[$1 * n + j] }
          }
          #expect(largestRelativeDifference(out, expected) < 1e-13, "n=\(n) terms=\(terms)")
          outs.append(out)
        }
        #expect(outs[0] == outs[1], "block order changes no bits (n=\(n))")
        #expect(outs[2] == outs[3])
      }
    }
  }

  @Test("the C kernels give the Swift kernels' bits: row sums whole, in parts and several at once; exp and tanh")
  func cKernelsMatchSwift() {
    guard cpuHasFMA else { return }  // without AVX2 and FMA only the Swift code runs
    var rng = SeededGenerator(seed: 11)
    // The row sum: every block kind (32, 4, 1 columns), strides, accumulate or not.
    for n in [1, 3, 4, 5, 31, 32, 33, 36, 65, 100] {
      for terms in [1, 3, 4, 7, 25] {
        let v = (0..<terms * n).map { _ in rng.nextGaussian() }
        let c = (0..<2 * terms).map { _ in rng.nextGaussian() }
        let start = (0..<n).map { _ in rng.nextGaussian() }
        for accumulate in [false, true] {
          var swift = accumulate ? start : [Double](repeating: 0, count: n)
          var kernel = swift
          v.withUnsafeBufferPointer { vp in
            c.withUnsafeBufferPointer { cp in
              let sum = RowSumForTests(count: terms, c: cp.baseAddress!, v: vp.baseAddress!, n: n)
              swift.withUnsafeMutableBufferPointer { sum.swift(into: $0.baseAddress!, accumulate: accumulate) }
              kernel.withUnsafeMutableBufferPointer {
                rnnstep_weighted_row_sum(
                  $0.baseAddress!, n, terms, cp.baseAddress!, 2, vp.baseAddress!, n, accumulate ? 1 : 0)
              }
            }
          }
          #expect(swift.map(\.bitPattern) == kernel.map(\.bitPattern), "n=\(n) terms=\(terms)")
        }
      }
    }
    // Parts of a row sum (one thread's share of a recurrence), in either block order, and several
    // sums over the same rows at once: each element the whole single sum's bits.
    for n in [4, 33, 64, 65, 100, 131] {
      let terms = 9
      let v = (0..<terms * n).map { _ in rng.nextGaussian() }
      let c = (0..<2 * terms * 6).map { _ in rng.nextGaussian() }
      let start = (0..<6 * n).map { _ in rng.nextGaussian() }
      v.withUnsafeBufferPointer { vp in
        c.withUnsafeBufferPointer { cp in
          let (vb, cb) = (vp.baseAddress!, cp.baseAddress!)
          var whole = start
          whole.withUnsafeMutableBufferPointer {
            swiftWeightedRowSum(
              into: $0.baseAddress!, n, terms: terms, coefficients: cb, 2, rows: vb, n, accumulate: true)
          }
          let wide = n / 32 * 32
          for split in Set([0, 4, wide / 2 / 4 * 4, wide, n].filter { $0 <= n }) {
            for reversed in [false, true] {
              var swift = start
              var kernel = start
              swift.withUnsafeMutableBufferPointer { o in
                for part in [0..<split, split..<n] {
                  swiftWeightedRowSum(
                    columns: part, of: n, into: o.baseAddress!, terms: terms, coefficients: cb, 2, rows: vb, n,
                    accumulate: true, reversed: reversed)
                }
              }
              kernel.withUnsafeMutableBufferPointer { o in
                for part in [0..<split, split..<n] {
                  rnnstep_weighted_row_sum_columns(
                    o.baseAddress!, part.lowerBound, part.upperBound, n, terms, cb, 2, vb, n, 1, reversed ? 1 : 0)
                }
              }
              #expect(swift.prefix(n).map(\.bitPattern) == whole.prefix(n).map(\.bitPattern), "n=\(n) split=\(split)")
              #expect(kernel.prefix(n).map(\.bitPattern) == whole.prefix(n).map(\.bitPattern), "n=\(n) split=\(split)")
            }
          }
          // Several sums: outputs s read coefficients c[s + 6m·… ] (stride 2·6 between terms).
          for outputs in [1, 3, 4, 5, 6] {
            for accumulate in [false, true] {
              var single = accumulate ? start : [Double](repeating: 0, count: 6 * n)
              var swift = single
              var kernel = single
              single.withUnsafeMutableBufferPointer { o in
                for s in 0..<outputs {
                  swiftWeightedRowSum(
                    into: o.baseAddress! + s * n, n, terms: terms, coefficients: cb + s, 12, rows: vb, n,
                    accumulate: accumulate)
                }
              }
              swift.withUnsafeMutableBufferPointer {
                swiftWeightedRowSums(
                  outputs: outputs, into: $0.baseAddress!, n, n, terms: terms, coefficients: cb, 12, outputStride: 1,
                  rows: vb, n, accumulate: accumulate)
              }
              kernel.withUnsafeMutableBufferPointer {
                rnnstep_weighted_row_sums(outputs, $0.baseAddress!, n, n, terms, cb, 12, 1, vb, n, accumulate ? 1 : 0)
              }
              #expect(swift.map(\.bitPattern) == single.map(\.bitPattern), "n=\(n) outputs=\(outputs)")
              #expect(kernel.map(\.bitPattern) == single.map(\.bitPattern), "n=\(n) outputs=\(outputs)")
            }
          }
        }
      }
    }
    // exp and tanh: random values over the whole range, and the edges (±0, subnormals, where exp
    // overflows and underflows, tanh's cap, ±∞, NaN), in lengths that leave a padded last vector.
    var x: [Double] = [
      0, -0.0, 1e-310, -1e-310, 19.06, -19.06, 20, 709.78, 709.79, -745.2, -745.1, 1080, -1081, .infinity, -.infinity,
      .nan,
    ]
    for _ in 0..<4000 { x.append(rng.nextGaussian() * [1e-8, 0.5, 3, 30, 400][rng.nextIndex(below: 5)]) }
    for count in [x.count, x.count - 1, x.count - 3] {
      let part = Array(x.prefix(count))
      var outExp = [Double](repeating: 0, count: count)
      var outTanh = outExp
      part.withUnsafeBufferPointer { p in
        outExp.withUnsafeMutableBufferPointer { rnnstep_lanes(0, p.baseAddress!, $0.baseAddress!, count) }
        outTanh.withUnsafeMutableBufferPointer { rnnstep_lanes(1, p.baseAddress!, $0.baseAddress!, count) }
      }
      // The same bits, except that a NaN's sign and payload carry no meaning (nor are shown).
      func same(_ a: [Double], _ b: [Double]) -> Bool {
        zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
      }
      #expect(same(outExp, VectorMath.exp(part)))
      #expect(same(outTanh, VectorMath.tanh(part)))
    }
  }
}

/// Swift's weightedRowSum with the C kernel bypassed, for comparing the two.
private struct RowSumForTests {
  let count: Int
  let c: UnsafePointer<Double>
  let v: UnsafePointer<Double>
  let n: Int

  func swift(into out: UnsafeMutablePointer<Double>, accumulate: Bool) {
    swiftWeightedRowSum(into: out, n, terms: count, coefficients: c, 2, rows: v, n, accumulate: accumulate)
  }
}

@Suite("Elementary functions")
struct ElementaryFunctionTests {
  /// Distance in units in the last place.
  func ulps(_ a: Double, _ b: Double) -> Double {
    if a == b { return 0 }
    return abs(a - b) / b.ulp
  }

  @Test("four-lane exp is glibc's exp bit for bit (on x86-64 with FMA); tanh agrees with libm within 4 ulp")
  func againstLibm() {
    var rng = SeededGenerator(seed: 77)
    var worstTanh = 0.0
    var points: [Double] = [
      0, -0.0, 1e-300, -1e-300, 1e-17, 0.5, -0.5, 0.3465, 0.3466, 1, 20, 19.06, 30, -30, 700, -700,
      0x1p-54, -0x1p-54, 0x1p-1074, 511.999, -511.999, 512, -512, 709.78, 709.79, -745.13, -745.14, 1e300,
      -1e300, .infinity, -.infinity, .greatestFiniteMagnitude,
    ]
    for _ in 0..<20_000 { points.append((rng.nextUniform() * 2 - 1) * pow(10, rng.nextUniform() * 6 - 4)) }
    for x in points {
      worstTanh = max(worstTanh, ulps(LaneMath.tanh(x), Foundation.tanh(x)))
    }
    // e^x: the C library's bits (glibc's exp, which np.exp calls on a CPU without AVX-512), on
    // the points above, 400,000 more where softmax takes it (|y| below 40, and near 0), the
    // range up to ±760 and the integers and half-integers there: through the path the pass takes
    // (the C kernel where the CPU has FMA), the Swift four-lane code and the one-number path.
    for _ in 0..<200_000 { points.append(rng.nextGaussian() * [1e-6, 0.3, 3, 12][rng.nextIndex(below: 4)]) }
    for _ in 0..<200_000 { points.append((rng.nextUniform() * 2 - 1) * 760) }
    for k in -1520...1520 { points.append(Double(k) / 2) }
    var pass = [Double](repeating: 0, count: points.count)
    points.withUnsafeBufferPointer { x in
      pass.withUnsafeMutableBufferPointer { applyLanewise(.exp, x.baseAddress!, $0.baseAddress!, points.count) }
    }
    // The same bits where the C library computes as rnnstep does (glibc 2.28 or later on x86-64
    // with FMA, as here and in CI); elsewhere within an ulp.
    #if arch(x86_64) && os(Linux)
      let sameAlgorithm = cpuHasFMA
    #else
      let sameAlgorithm = false
    #endif
    func agrees(_ e: Double, _ x: Double) -> Bool {
      let libm = Foundation.exp(x)
      return e.bitPattern == libm.bitPattern || (!sameAlgorithm && ulps(e, libm) <= 1)
    }
    for (name, values) in [("the pass's", pass), ("Swift's", VectorMath.exp(points))] {
      var differ: [Double] = []
      for (x, e) in zip(points, values) where !agrees(e, x) { differ.append(x) }
      #expect(differ.isEmpty, "\(name) e^x differs from the C library's at \(differ.count) points: \(differ.prefix(3))")
    }
    let scalar = points.prefix(40_000).filter { !agrees(LaneMath.exp($0), $0) }
    #expect(scalar.isEmpty, "LaneMath.exp differs at \(scalar.prefix(3))")
    #expect(worstTanh <= 4, "tanh: \(worstTanh) ulp")
  }

  @Test("edges: signs, limits, NaN")
  func edges() {
    #expect(LaneMath.tanh(-0.0).sign == .minus)
    #expect(LaneMath.tanh(50) == 1)
    #expect(LaneMath.tanh(-50) == -1)
    #expect(LaneMath.tanh(.infinity) == 1)
    #expect(LaneMath.tanh(.nan).isNaN)
    #expect(LaneMath.exp(0) == 1)
    #expect(LaneMath.exp(-800) == 0)
    #expect(LaneMath.exp(800) == .infinity)
    #expect(LaneMath.exp(.nan).isNaN)
  }

  @Test("PortableMath.log agrees with libm within 4 ulp")
  func portableLog() {
    var rng = SeededGenerator(seed: 78)
    var worst = 0.0
    for _ in 0..<20_000 {
      let x = rng.nextUniform() + 1e-12
      worst = max(worst, ulps(PortableMath.log(x), Foundation.log(x)))
    }
    for x in [1.0, 2, 0.5, 1e-300, 1e300, 1.4142135623730951, 1.4142135623730954] {
      worst = max(worst, ulps(PortableMath.log(x), Foundation.log(x)))
    }
    #expect(worst <= 4, "\(worst) ulp")
  }
}

@Suite("Seeded randomness")
struct RandomnessTests {
  @Test("the same seed gives the same model; another seed another")
  func reproducible() throws {
    let a = try RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 42)
    let b = try RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 42)
    let c = try RNN(inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 43)
    #expect(a == b)
    #expect(a != c)
    #expect(a.parameters.bh.storage == [0, 0, 0])
    #expect(a.h0 == [0, 0, 0])
  }

  @Test("weights are randn × 0.01 in the order Wxh, Whh, Why")
  func initialisation() throws {
    let model = try RNN(inputSize: 2, hiddenSize: 2, outputSize: 3, seed: 7)
    var rng = SeededGenerator(seed: 7)
    let draws = (0..<(4 + 4 + 6)).map { _ in rng.nextGaussian() * 0.01 }
    #expect(model.parameters.wxh.storage == Array(draws[0..<4]))
    #expect(model.parameters.whh.storage == Array(draws[4..<8]))
    #expect(model.parameters.why.storage == Array(draws[8..<14]))
  }

  @Test("Gaussian draws have mean 0 and variance 1")
  func moments() {
    var rng = SeededGenerator(seed: 3)
    let n = 200_000
    let draws = (0..<n).map { _ in rng.nextGaussian() }
    let mean = draws.reduce(0, +) / Double(n)
    let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    // Five standard errors: 5/sqrt(n) for the mean, 5·sqrt(2/n) for the variance.
    #expect(abs(mean) < 5 / Double(n).squareRoot())
    #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
  }

  @Test("indices are uniform and within the bound")
  func indices() {
    var rng = SeededGenerator(seed: 4)
    var counts = [Int](repeating: 0, count: 7)
    for _ in 0..<70_000 { counts[rng.nextIndex(below: 7)] += 1 }
    #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
  }
}

@Suite("softmax as min-char-rnn computes it")
struct SoftmaxTests {
  struct Sums: Decodable {
    struct Case: Decodable {
      let values: [Double]
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let numpy_sum: Double
      // swift-format-ignore: AlwaysUseLowerCamelCase
      let sequential_sum: Double
    }
    let cases: [Case]
  }

  @Test("e^y is summed in np.sum's order: the bits NumPy gives, for 1 to 1000 terms")
  func numpyOrder() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
      "Fixtures/sums.json")
    let sums = try JSONDecoder().decode(Sums.self, from: Data(contentsOf: url))
    // The fixture tells orders apart: a left-to-right sum differs in many of its cases.
    #expect(sums.cases.filter { $0.sequential_sum != $0.numpy_sum }.count >= 10)
    for c in sums.cases {
      let ours = c.values.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, count: c.values.count) }
      #expect(ours == c.numpy_sum, "\(c.values.count) terms")
    }
  }

  @Test("p = e^y / Σ e^y unshifted while max |y| ≤ 690; shifted beyond, finite for any y")
  func shift() {
    // min-char-rnn's formula: each p is e^y divided by the sum, with no shift.
    let y = [-0.3, 0.02, 1.5, -2.25, 0.7]
    let e = VectorMath.exp(y)
    let sum = e.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, count: e.count) }
    #expect(VectorMath.softmax(y) == e.map { $0 / sum })
    #expect(VectorMath.softmaxParts(y).shift == 0)
    #expect(VectorMath.softmaxParts([690, 0]).shift == 0)
    // e^700 · 2 is finite but e^710 is not: past ±690 the shift is max y, and p stays right.
    for (big, expected) in [([710.0, 710.0], [0.5, 0.5]), ([-800.0, -800.0 - log(3.0)], [0.75, 0.25])] {
      #expect(VectorMath.softmaxParts(big).shift == big.max())
      let p = VectorMath.softmax(big)
      // (−800 − ln 3 is rounded to a multiple of 1.1e-13, which p carries)
      #expect(zip(p, expected).allSatisfy { abs($0 - $1) <= 1e-12 }, "\(big): \(p)")
    }
  }
}
