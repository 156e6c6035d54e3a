import CKernels

// The inner loops of forward and BPTT, over raw pointers with wrapping index arithmetic so that
// the optimiser can vectorise them. Nothing here checks bounds: callers pass valid sizes.

/// Σ a[i]·b[i] for i in 0..<n, with eight partial sums in two SIMD registers.
///
/// Floating-point addition is not associative, so the compiler cannot vectorise a plain reduction
/// loop; the explicit partial sums allow it. The summation order differs from NumPy's only in
/// rounding (relative differences near 1e-16).
@inline(__always)
func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
  var acc0 = SIMD4<Double>()
  var acc1 = SIMD4<Double>()
  let ra = UnsafeRawPointer(a)
  let rb = UnsafeRawPointer(b)
  var i = 0
  while i &+ 8 <= n {
    let offset = i &* 8
    acc0 +=
      ra.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
      * rb.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
    acc1 +=
      ra.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
      * rb.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
    i &+= 8
  }
  var sum = (acc0 + acc1).sum()
  while i < n {
    sum += a[i] * b[i]
    i &+= 1
  }
  return sum
}

/// y[i] += alpha·x[i] for i in 0..<n.
@inline(__always)
func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
  var i = 0
  while i < n {
    y[i] += alpha * x[i]
    i &+= 1
  }
}

/// out[j] = Σ_m c[m·cStride] · v[m·vStride + j] for j in 0..<n, over m = count−1 down to 0;
/// with `accumulate`, out[j] += that sum (the sum starts from out[j]).
///
/// A sum of scaled rows: a gradient row summed over steps (`dWhh[i,:] = Σ_t dh_raw_t[i] h_{t−1}`),
/// or a transposed matrix–vector product (`Whh^T dh_raw = Σ_i dh_raw[i] Whh[i,:]`). The columns
/// go in blocks of 32 whose sums stay in registers for all the terms, so `out` is written once;
/// the last few columns go four or one at a time. `reversed` takes the blocks last to first: a
/// recurrence that alternates it from step to step starts each step on the block of `v` that
/// the previous step read last, still in L1. Each element's sum is the same chain of fused
/// multiply-adds in either order, so the same inputs always give the same bits. `vStride` 0
/// repeats one row.
@inline(__always)
func weightedRowSum(
  into out: UnsafeMutablePointer<Double>, _ n: Int, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, rows v: UnsafePointer<Double>, _ vStride: Int,
  accumulate: Bool = false, reversed: Bool = false
) {
  #if arch(x86_64) && !RNNSTEP_NATIVE
    // Built for any x86-64, Swift has no fused multiply-add instruction and calls libm's fma
    // for each one: the C kernel, built for AVX2 and FMA, does the same chains where the CPU
    // has them (a little faster than the inlined Swift in a native build too; defining
    // RNNSTEP_NATIVE keeps the Swift).
    if cpuHasFMA {
      rnnstep_weighted_row_sum(out, n, count, c, cStride, v, vStride, accumulate ? 1 : 0)
      return
    }
  #endif
  swiftWeightedRowSum(
    into: out, n, terms: count, coefficients: c, cStride, rows: v, vStride, accumulate: accumulate, reversed: reversed)
}

/// Columns `columns` of ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)``'s
/// n-column sum (`out` and `v` point at column 0), each with the chain the whole sum gives it, so
/// the same bits: one thread's share of a recurrence. The range must start and end where the
/// whole sum's blocks do: at multiples of 4 up to n/32·32, or at n.
@inline(__always)
func weightedRowSum(
  columns: Range<Int>, of n: Int, into out: UnsafeMutablePointer<Double>, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, rows v: UnsafePointer<Double>, _ vStride: Int,
  accumulate: Bool = false, reversed: Bool = false
) {
  #if arch(x86_64) && !RNNSTEP_NATIVE
    if cpuHasFMA {
      rnnstep_weighted_row_sum_columns(
        out, columns.lowerBound, columns.upperBound, n, count, c, cStride, v, vStride, accumulate ? 1 : 0,
        reversed ? 1 : 0)
      return
    }
  #endif
  swiftWeightedRowSum(
    columns: columns, of: n, into: out, terms: count, coefficients: c, cStride, rows: v, vStride,
    accumulate: accumulate, reversed: reversed)
}

/// ``weightedRowSum(columns:of:into:terms:coefficients:_:rows:_:accumulate:reversed:)`` in Swift alone.
@inline(__always)
func swiftWeightedRowSum(
  columns: Range<Int>, of n: Int, into out: UnsafeMutablePointer<Double>, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, rows v: UnsafePointer<Double>, _ vStride: Int,
  accumulate: Bool, reversed: Bool
) {
  let sum = RowSum(out: out, count: count, c: c, cStride: cStride, v: v, vStride: vStride, accumulate: accumulate)
  // The blocks: of 32 and then of 4 where each column is one chain, of 4 and then of 1 with
  // four partial sums past n/32·32 (as the whole sum has them).
  let wide = n / 32 &* 32
  let narrowEnd = wide &+ (n &- wide) / 4 &* 4
  let singleEnd = Swift.min(columns.upperBound, wide)
  let (lo, hi) = (columns.lowerBound, columns.upperBound)
  let blocks32 = Swift.max(0, singleEnd &- lo) / 32
  let chains = Swift.max(0, singleEnd &- lo &- blocks32 &* 32) / 4
  let narrowStart = Swift.max(lo, wide)
  let narrow = Swift.max(0, Swift.min(hi, narrowEnd) &- narrowStart) / 4
  let singles = Swift.max(0, hi &- Swift.max(lo, narrowEnd))
  let total = blocks32 &+ chains &+ narrow &+ singles
  for b in 0..<total {
    let k = reversed ? total &- 1 &- b : b
    if k < blocks32 {
      sum.columns32(from: lo &+ k &* 32)
    } else if k < blocks32 &+ chains {
      sum.chain4(from: lo &+ blocks32 &* 32 &+ (k &- blocks32) &* 4)
    } else if k < blocks32 &+ chains &+ narrow {
      sum.columns4(from: narrowStart &+ (k &- blocks32 &- chains) &* 4)
    } else {
      sum.column(Swift.max(lo, narrowEnd) &+ (k &- blocks32 &- chains &- narrow))
    }
  }
}

/// ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)`` in Swift alone.
@inline(__always)
func swiftWeightedRowSum(
  into out: UnsafeMutablePointer<Double>, _ n: Int, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, rows v: UnsafePointer<Double>, _ vStride: Int,
  accumulate: Bool = false, reversed: Bool = false
) {
  let sum = RowSum(out: out, count: count, c: c, cStride: cStride, v: v, vStride: vStride, accumulate: accumulate)
  let wide = n / 32
  let narrow = (n &- wide &* 32) / 4
  let blocks = wide &+ narrow &+ (n &- wide &* 32 &- narrow &* 4)
  for b in 0..<blocks {
    let k = reversed ? blocks &- 1 &- b : b
    if k < wide {
      sum.columns32(from: k &* 32)
    } else if k < wide &+ narrow {
      sum.columns4(from: wide &* 32 &+ (k &- wide) &* 4)
    } else {
      sum.column(wide &* 32 &+ narrow &* 4 &+ (k &- wide &- narrow))
    }
  }
}

/// Whether the CPU has AVX2 and FMA (checked once).
let cpuHasFMA = rnnstep_has_fma() != 0

/// The operands of one ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)``.
private struct RowSum {
  typealias V4 = SIMD4<Double>
  let out: UnsafeMutablePointer<Double>
  let count: Int
  let c: UnsafePointer<Double>
  let cStride: Int
  let v: UnsafePointer<Double>
  let vStride: Int
  let accumulate: Bool

  @inline(__always)
  func load(_ m: Int, _ j: Int) -> V4 {
    UnsafeRawPointer(v + (m &* vStride &+ j)).loadUnaligned(as: V4.self)
  }

  @inline(__always)
  func start(_ j: Int) -> V4 {
    accumulate ? UnsafeRawPointer(out + j).loadUnaligned(as: V4.self) : V4()
  }

  /// Columns j..<j+32, eight independent accumulators: enough to hide the latency of the
  /// fused multiply-adds.
  @inline(__always)
  func columns32(from j: Int) {
    var acc = (
      start(j), start(j &+ 4), start(j &+ 8), start(j &+ 12), start(j &+ 16), start(j &+ 20), start(j &+ 24),
      start(j &+ 28)
    )
    var m = count &- 1
    while m >= 0 {
      let g = V4(repeating: c[m &* cStride])
      acc.0.addProduct(g, load(m, j))
      acc.1.addProduct(g, load(m, j &+ 4))
      acc.2.addProduct(g, load(m, j &+ 8))
      acc.3.addProduct(g, load(m, j &+ 12))
      acc.4.addProduct(g, load(m, j &+ 16))
      acc.5.addProduct(g, load(m, j &+ 20))
      acc.6.addProduct(g, load(m, j &+ 24))
      acc.7.addProduct(g, load(m, j &+ 28))
      m &-= 1
    }
    let o = UnsafeMutableRawPointer(out + j)
    o.storeBytes(of: acc.0, as: V4.self)
    o.storeBytes(of: acc.1, toByteOffset: 32, as: V4.self)
    o.storeBytes(of: acc.2, toByteOffset: 64, as: V4.self)
    o.storeBytes(of: acc.3, toByteOffset: 96, as: V4.self)
    o.storeBytes(of: acc.4, toByteOffset: 128, as: V4.self)
    o.storeBytes(of: acc.5, toByteOffset: 160, as: V4.self)
    o.storeBytes(of: acc.6, toByteOffset: 192, as: V4.self)
    o.storeBytes(of: acc.7, toByteOffset: 224, as: V4.self)
  }

  /// Columns j..<j+4 in one chain per element, as ``columns32(from:)`` sums them: part of a
  /// block of 32.
  @inline(__always)
  func chain4(from j: Int) {
    var acc = start(j)
    var m = count &- 1
    while m >= 0 {
      acc.addProduct(V4(repeating: c[m &* cStride]), load(m, j))
      m &-= 1
    }
    UnsafeMutableRawPointer(out + j).storeBytes(of: acc, as: V4.self)
  }

  /// Columns j..<j+4. One accumulator would wait on each multiply-add, so the terms go into
  /// four interleaved partial sums, added at the end.
  @inline(__always)
  func columns4(from j: Int) {
    var p = (start(j), V4(), V4(), V4())
    var m = count &- 1
    while m >= 3 {
      p.0.addProduct(V4(repeating: c[m &* cStride]), load(m, j))
      p.1.addProduct(V4(repeating: c[(m &- 1) &* cStride]), load(m &- 1, j))
      p.2.addProduct(V4(repeating: c[(m &- 2) &* cStride]), load(m &- 2, j))
      p.3.addProduct(V4(repeating: c[(m &- 3) &* cStride]), load(m &- 3, j))
      m &-= 4
    }
    while m >= 0 {
      p.0.addProduct(V4(repeating: c[m &* cStride]), load(m, j))
      m &-= 1
    }
    UnsafeMutableRawPointer(out + j).storeBytes(of: (p.0 + p.1) + (p.2 + p.3), as: V4.self)
  }

  /// Column j alone, in four interleaved partial sums like ``columns4(from:)``.
  @inline(__always)
  func column(_ j: Int) {
    var p = (accumulate ? out[j] : 0, 0.0, 0.0, 0.0)
    var m = count &- 1
    while m >= 3 {
      p.0.addProduct(c[m &* cStride], v[m &* vStride &+ j])
      p.1.addProduct(c[(m &- 1) &* cStride], v[(m &- 1) &* vStride &+ j])
      p.2.addProduct(c[(m &- 2) &* cStride], v[(m &- 2) &* vStride &+ j])
      p.3.addProduct(c[(m &- 3) &* cStride], v[(m &- 3) &* vStride &+ j])
      m &-= 4
    }
    while m >= 0 {
      p.0.addProduct(c[m &* cStride], v[m &* vStride &+ j])
      m &-= 1
    }
    out[j] = (p.0 + p.1) + (p.2 + p.3)
  }
}

/// Element `column` of a ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)``
/// over `n` columns, accumulated onto `start`, where `term(m)` gives (c[m], v[m, column]): the
/// same fused multiply-adds in the same order, so the same bits, for one element alone.
@inline(__always)
func rowSumElement(column j: Int, of n: Int, terms count: Int, start: Double, _ term: (Int) -> (Double, Double))
  -> Double
{
  if j < n / 32 &* 32 {
    // A block of 32 columns: one chain per element, m from the last term down.
    var acc = start
    for m in stride(from: count &- 1, through: 0, by: -1) {
      let (c, v) = term(m)
      acc.addProduct(c, v)
    }
    return acc
  }
  // Four columns or one: four interleaved partial sums.
  var p = (start, 0.0, 0.0, 0.0)
  var m = count &- 1
  while m >= 3 {
    let (c0, v0) = term(m)
    let (c1, v1) = term(m &- 1)
    let (c2, v2) = term(m &- 2)
    let (c3, v3) = term(m &- 3)
    p.0.addProduct(c0, v0)
    p.1.addProduct(c1, v1)
    p.2.addProduct(c2, v2)
    p.3.addProduct(c3, v3)
    m &-= 4
  }
  while m >= 0 {
    let (c, v) = term(m)
    p.0.addProduct(c, v)
    m &-= 1
  }
  return (p.0 + p.1) + (p.2 + p.3)
}

/// out = m^T for a row-major `rows×cols` matrix m (out is cols×rows, its rows `outputStride`
/// apart, `rows` by default): 4×4 blocks through vector registers, the edges one element at a time.
@inline(__always)
func transpose(
  _ m: UnsafePointer<Double>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Double>, outputStride: Int? = nil
) {
  typealias V4 = SIMD4<Double>
  let stride = outputStride ?? rows
  let rows4 = rows & ~3
  let cols4 = cols & ~3
  var i = 0
  while i < rows4 {
    var j = 0
    while j < cols4 {
      let src = UnsafeRawPointer(m + (i &* cols &+ j))
      let rowBytes = cols &* 8
      let r0 = src.loadUnaligned(as: V4.self)
      let r1 = src.loadUnaligned(fromByteOffset: rowBytes, as: V4.self)
      let r2 = src.loadUnaligned(fromByteOffset: 2 &* rowBytes, as: V4.self)
      let r3 = src.loadUnaligned(fromByteOffset: 3 &* rowBytes, as: V4.self)
      let dst = UnsafeMutableRawPointer(out + (j &* stride &+ i))
      let outBytes = stride &* 8
      dst.storeBytes(of: V4(r0[0], r1[0], r2[0], r3[0]), as: V4.self)
      dst.storeBytes(of: V4(r0[1], r1[1], r2[1], r3[1]), toByteOffset: outBytes, as: V4.self)
      dst.storeBytes(of: V4(r0[2], r1[2], r2[2], r3[2]), toByteOffset: 2 &* outBytes, as: V4.self)
      dst.storeBytes(of: V4(r0[3], r1[3], r2[3], r3[3]), toByteOffset: 3 &* outBytes, as: V4.self)
      j &+= 4
    }
    i &+= 4
  }
  for i in 0..<rows {
    for j in (i < rows4 ? cols4 : 0)..<cols { out[j &* stride &+ i] = m[i &* cols &+ j] }
  }
}

/// Several ``weightedRowSum(into:_:terms:coefficients:_:rows:_:accumulate:reversed:)`` over the
/// same rows `v` at once: for s in 0..<outputs, out[s·outStride + j] = Σ_m c[s·cOutputStride +
/// m·cStride] · v[m·vStride + j] (plus out's own value with `accumulate`).
///
/// A matrix–matrix product, where the single sum is a matrix–vector one: four outputs share every
/// row of `v` they load, so a matrix too large for L1 (Whh at min-char-rnn size) is read once for
/// four vectors instead of once for each. Each element's sum is the same chain of fused
/// multiply-adds as the single sum's, so both give the same bits.
@inline(__always)
func weightedRowSums(
  outputs: Int, into out: UnsafeMutablePointer<Double>, _ outStride: Int, _ n: Int, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, outputStride cOutputStride: Int,
  rows v: UnsafePointer<Double>, _ vStride: Int, accumulate: Bool = false
) {
  #if arch(x86_64) && !RNNSTEP_NATIVE
    if cpuHasFMA {
      rnnstep_weighted_row_sums(
        outputs, out, outStride, n, count, c, cStride, cOutputStride, v, vStride, accumulate ? 1 : 0)
      return
    }
  #endif
  swiftWeightedRowSums(
    outputs: outputs, into: out, outStride, n, terms: count, coefficients: c, cStride, outputStride: cOutputStride,
    rows: v, vStride, accumulate: accumulate)
}

/// ``weightedRowSums(outputs:into:_:_:terms:coefficients:_:outputStride:rows:_:accumulate:)`` in Swift alone.
@inline(__always)
func swiftWeightedRowSums(
  outputs: Int, into out: UnsafeMutablePointer<Double>, _ outStride: Int, _ n: Int, terms count: Int,
  coefficients c: UnsafePointer<Double>, _ cStride: Int, outputStride cOutputStride: Int,
  rows v: UnsafePointer<Double>, _ vStride: Int, accumulate: Bool
) {
  typealias V4 = SIMD4<Double>
  // The columns in blocks of 32, which the single sum gives one chain per element.
  let wide = n / 32 &* 32
  let grouped = outputs / 4 &* 4
  // Eight columns at a time for every group of four outputs: the eight columns of v (one cache
  // line per row) stay in L1 while each group reads them, so a v larger than L1 is read from
  // further out once, not once per group.
  var j = 0
  while j < wide {
    var s = 0
    while s < grouped {
      let o = (
        out + s &* outStride, out + (s &+ 1) &* outStride, out + (s &+ 2) &* outStride, out + (s &+ 3) &* outStride
      )
      let k = (
        c + s &* cOutputStride, c + (s &+ 1) &* cOutputStride, c + (s &+ 2) &* cOutputStride,
        c + (s &+ 3) &* cOutputStride
      )
      @inline(__always) func start(_ p: UnsafeMutablePointer<Double>, _ j: Int) -> V4 {
        accumulate ? UnsafeRawPointer(p + j).loadUnaligned(as: V4.self) : V4()
      }
      @inline(__always) func store(_ x: V4, _ p: UnsafeMutablePointer<Double>, _ j: Int) {
        UnsafeMutableRawPointer(p + j).storeBytes(of: x, as: V4.self)
      }
      // Eight columns of four outputs: eight accumulators, two loads of v and four broadcasts
      // for eight fused multiply-adds.
      var a0 = start(o.0, j)
      var b0 = start(o.0, j &+ 4)
      var a1 = start(o.1, j)
      var b1 = start(o.1, j &+ 4)
      var a2 = start(o.2, j)
      var b2 = start(o.2, j &+ 4)
      var a3 = start(o.3, j)
      var b3 = start(o.3, j &+ 4)
      var m = count &- 1
      while m >= 0 {
        let row = UnsafeRawPointer(v + (m &* vStride &+ j))
        let x = row.loadUnaligned(as: V4.self)
        let y = row.loadUnaligned(fromByteOffset: 32, as: V4.self)
        let mc = m &* cStride
        let g0 = V4(repeating: k.0[mc])
        a0.addProduct(g0, x)
        b0.addProduct(g0, y)
        let g1 = V4(repeating: k.1[mc])
        a1.addProduct(g1, x)
        b1.addProduct(g1, y)
        let g2 = V4(repeating: k.2[mc])
        a2.addProduct(g2, x)
        b2.addProduct(g2, y)
        let g3 = V4(repeating: k.3[mc])
        a3.addProduct(g3, x)
        b3.addProduct(g3, y)
        m &-= 1
      }
      store(a0, o.0, j)
      store(b0, o.0, j &+ 4)
      store(a1, o.1, j)
      store(b1, o.1, j &+ 4)
      store(a2, o.2, j)
      store(b2, o.2, j &+ 4)
      store(a3, o.3, j)
      store(b3, o.3, j &+ 4)
      s &+= 4
    }
    j &+= 8
  }
  let s = grouped
  // The columns past the last block of 32 of every output, and the outputs past the last four,
  // as the single sum does them.
  for t in 0..<outputs {
    let first = t < s ? wide : 0
    guard first < n else { continue }
    swiftWeightedRowSum(
      into: out + (t &* outStride &+ first), n &- first, terms: count, coefficients: c + t &* cOutputStride, cStride,
      rows: v + first, vStride, accumulate: accumulate)
  }
}
