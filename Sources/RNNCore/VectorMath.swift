import CKernels
import Foundation

// exp and tanh four lanes at a time, from arithmetic (and a table of 2^(k/128) for exp).
//
// The forward pass calls tanh H·T times and exp V·T times; libm's scalar calls cost more than all
// of the pass's multiply-adds together at min-char-rnn size. exp does what glibc's exp (2.28 and
// later) does on an x86-64 CPU with FMA, so there it gives the C library's bits, which np.exp
// calls on such a CPU without AVX-512: that is what makes p, and Adagrad's first step from it,
// agree with min-char-rnn's. Elsewhere (no FMA, arm64, another C library) the C library's exp
// may round a few values the other way; rnnstep's stays the same. tanh agrees with libm within a
// few ulp (Tests/RNNCoreTests/MathTests.swift measures both). Both give the same bits on every
// machine with IEEE-754 doubles and fused multiply-add, except exp where |x| ≥ 512 or x is NaN,
// which is the platform's own exp.

typealias Double4 = SIMD4<Double>

/// ln 2 in two parts (fdlibm's): n·ln2High is exact for |n| < 2^20.
private let ln2High = 6.931_471_803_691_238_164_90e-01
private let ln2Low = 1.908_214_929_270_587_700_02e-10
private let log2e = 1.442_695_040_888_963_387_00

/// x = n·ln2 + r with n an integer and |r| ≤ ln2/2, and e^r − 1 by its Taylor series.
@inline(__always)
private func reduce(_ x: Double4) -> (n: Double4, expm1r: Double4) {
  let n = (x * log2e).rounded(.toNearestOrEven)
  var r = x
  r.addProduct(-n, Double4(repeating: ln2High))
  r.addProduct(-n, Double4(repeating: ln2Low))
  // e^r − 1 = r + r²·(1/2! + r·(1/3! + r·(… + r/13!))): Taylor terms to r¹³, since |r| ≤ ln2/2
  // leaves r¹⁴/14! below 2⁻⁵⁴.
  var p = Double4(repeating: 1.6059043836821613e-10)  // 1/13!
  p = p * r + 2.08767569878681e-09  // 1/12!
  p = p * r + 2.505210838544172e-08  // 1/11!
  p = p * r + 2.755731922398589e-07  // 1/10!
  p = p * r + 2.7557319223985893e-06  // 1/9!
  p = p * r + 2.48015873015873e-05  // 1/8!
  p = p * r + 0.0001984126984126984  // 1/7!
  p = p * r + 0.001388888888888889  // 1/6!
  p = p * r + 0.008333333333333333  // 1/5!
  p = p * r + 0.041666666666666664  // 1/4!
  p = p * r + 0.16666666666666666  // 1/3!
  p = p * r + 0.5  // 1/2!
  var result = r
  result.addProduct(r * r, p)
  return (n, result)
}

/// 2^n for integer-valued n in −1022…1023, built from the exponent bits.
@inline(__always)
private func powerOfTwo(_ n: Double4) -> Double4 {
  // Adding 1.5·2⁵² puts n in the low bits of the significand (the usual round-to-integer trick).
  let shifted = n + 6_755_399_441_055_744.0
  let bits = unsafeBitCast(shifted, to: SIMD4<UInt64>.self) &- 6_755_399_441_055_744.0.bitPattern
  return unsafeBitCast((bits &+ 1023) &<< 52, to: Double4.self)
}

/// The table e^x reads 2^(k/128) from (``exp(_:)``): a constant C array, read by any thread.
nonisolated(unsafe) private let expTable: UnsafePointer<UInt64> = rnnstep_exp_table_address()

/// e^x in each lane, with the C library's bits (glibc's exp, built for CPUs with FMA): x =
/// (k/128)·ln2 + r with k an integer and |r| ≤ ln2/256, e^x = 2^(k/128)·e^r with 2^(k/128) =
/// H·(1 + T) from the table, and e^x ≈ H + H·(T + r + r²·(C2 + r·C3) + r⁴·(C4 + r·C5)), each fused
/// multiply-add where the C library has one (Sources/CKernels/lanes.c does the same four lanes at
/// a time). Lanes with |x| ≥ 512, where the C library scales in two steps, and NaN are the C
/// library's exp itself. e^x underflows to 0 below about −745 and overflows to ∞ above 709.8.
@inline(__always)
func exp(_ x: Double4) -> Double4 {
  let shift = Double4(repeating: 0x1.8p52)
  // k = round(x·128/ln2), in the low bits of kd's significand.
  var kd = shift
  kd.addProduct(Double4(repeating: 0x1.71547652b82fep7), x)
  let ki = unsafeBitCast(kd, to: SIMD4<UInt64>.self)
  kd -= shift
  // r = x − k·ln2/128, ln2/128 in two parts.
  var r = x
  r.addProduct(kd, Double4(repeating: -0x1.62e42fefa0000p-8))
  r.addProduct(kd, Double4(repeating: -0x1.cf79abc9e3b3ap-47))
  var tail = Double4()
  var bits = SIMD4<UInt64>()
  for lane in 0..<4 {
    let index = Int(truncatingIfNeeded: ki[lane] & 127) &* 2
    tail[lane] = Double(bitPattern: expTable[index])
    bits[lane] = expTable[index &+ 1] &+ (ki[lane] &<< 45)
  }
  let scale = unsafeBitCast(bits, to: Double4.self)
  let r2 = r * r
  var c23 = Double4(repeating: 0x1.ffffffffffdbdp-2)
  c23.addProduct(r, Double4(repeating: 0x1.555555555543cp-3))
  var c45 = Double4(repeating: 0x1.55555cf172b91p-5)
  c45.addProduct(r, Double4(repeating: 0x1.1111167a4d017p-7))
  var tmp = tail + r
  tmp.addProduct(r2, c23)
  tmp.addProduct(r2 * r2, c45)
  var e = scale
  e.addProduct(scale, tmp)
  for lane in 0..<4 where !(Swift.abs(x[lane]) < 512) { e[lane] = Foundation.exp(x[lane]) }
  return e
}

/// tanh(x) in each lane: sign(x) · u / (u + 2) with u = e^{2|x|} − 1, accurate near 0 as well.
@inline(__always)
func tanh(_ x: Double4) -> Double4 {
  let signMask = SIMD4<UInt64>(repeating: 1 << 63)
  let xBits = unsafeBitCast(x, to: SIMD4<UInt64>.self)
  var z = unsafeBitCast(xBits & ~signMask, to: Double4.self) * 2
  // tanh(x) rounds to ±1 for |x| > 19.1; capping 2|x| at 40 keeps 2^n small. NaN stays NaN.
  z = z.replacing(with: 40, where: z .> 40)
  let (n, expm1r) = reduce(z)
  // e^z − 1 = 2^n (e^r − 1) + (2^n − 1), both terms exact enough for n in 0…58
  let scale = powerOfTwo(n)
  let u = scale * expm1r + (scale - 1)
  let t = u / (u + 2)
  return unsafeBitCast(unsafeBitCast(t, to: SIMD4<UInt64>.self) | (xBits & signMask), to: Double4.self)
}

/// The elementwise functions a pass applies to whole vectors.
enum LaneFunction: Int32 {
  case exp = 0
  case tanh = 1
}

/// out[i] = f(x[i]) for i in 0..<n: ``applyLanewise(_:_:_:_:)`` with ``exp(_:)`` or ``tanh(_:)``,
/// or the C kernel that does the same operations where Swift, built for any x86-64, would call
/// libm for each fused multiply-add and rounding (the same bits either way).
@inline(__always)
func applyLanewise(
  _ f: LaneFunction, _ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int
) {
  #if arch(x86_64) && !RNNSTEP_NATIVE
    if cpuHasFMA { return rnnstep_lanes(f.rawValue, x, out, n) }
  #endif
  switch f {
  case .exp: applyLanewise(exp, x, out, n)
  case .tanh: applyLanewise(tanh, x, out, n)
  }
}

/// out[i] = f(x[i]) for i in 0..<n, four at a time; the last few go through a padded vector so
/// every element gets the same arithmetic.
@inline(__always)
func applyLanewise(
  _ f: (Double4) -> Double4, _ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int
) {
  var i = 0
  while i &+ 4 <= n {
    let v = UnsafeRawPointer(x + i).loadUnaligned(as: Double4.self)
    UnsafeMutableRawPointer(out + i).storeBytes(of: f(v), as: Double4.self)
    i &+= 4
  }
  if i < n {
    var v = Double4()
    for k in 0..<(n &- i) { v[k] = x[i &+ k] }
    let r = f(v)
    for k in 0..<(n &- i) { out[i &+ k] = r[k] }
  }
}

/// p = softmax(y) as min-char-rnn writes it, `np.exp(y) / np.sum(np.exp(y))`: e^y, summed in
/// NumPy's order (``pairwiseSum(_:count:)``), then each divided by the sum, so that p has NumPy's
/// bits wherever e^y does. Where e^y could overflow or underflow to zero (max y beyond
/// ±``softmaxUnshiftedLimit``, or not finite), y − max y takes y's place: the same numbers, stable
/// for any y. The forward pass's and `print softmax(…)`'s arithmetic, so that both give the same
/// bits.
/// - Returns: the shift (0, or max y) and Σ e^(y − shift), from which L = log Σ + shift − y[target].
@inline(__always)
func softmax(_ y: UnsafePointer<Double>, into p: UnsafeMutablePointer<Double>, count n: Int) -> (
  shift: Double, sum: Double
) {
  var m = -Double.infinity
  for k in 0..<n { m = Swift.max(m, y[k]) }
  let shift = softmaxShift(max: m)
  for k in 0..<n { p[k] = y[k] - shift }
  applyLanewise(.exp, p, p, n)
  let sum = pairwiseSum(p, count: n)
  for k in 0..<n { p[k] /= sum }
  return (shift, sum)
}

/// Below this |max y|, softmax takes e^y unshifted: e^690 · 10⁸ terms stays finite, and e^−690 is
/// a normal number.
let softmaxUnshiftedLimit = 690.0

/// What softmax subtracts from y before e^: nothing (min-char-rnn's formula) while max y is within
/// ±``softmaxUnshiftedLimit``, max y beyond (or when it is not finite).
@inline(__always)
func softmaxShift(max m: Double) -> Double {
  Swift.abs(m) <= softmaxUnshiftedLimit ? 0 : m
}

/// Σ a[0..<n] in the order of NumPy's `np.sum` on contiguous doubles (its pairwise summation):
/// under 8 terms one running sum; up to 128, eight running sums over blocks of eight, combined as
/// ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest one by one; above 128, the two
/// halves (the first a multiple of 8 long) summed so and added.
func pairwiseSum(_ a: UnsafePointer<Double>, count n: Int) -> Double {
  if n < 8 {
    var sum = 0.0
    for i in 0..<n { sum += a[i] }
    return sum
  }
  if n <= 128 {
    var r = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    var i = 8
    while i < n &- n % 8 {
      r.0 += a[i]
      r.1 += a[i &+ 1]
      r.2 += a[i &+ 2]
      r.3 += a[i &+ 3]
      r.4 += a[i &+ 4]
      r.5 += a[i &+ 5]
      r.6 += a[i &+ 6]
      r.7 += a[i &+ 7]
      i &+= 8
    }
    var sum = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
    while i < n {
      sum += a[i]
      i &+= 1
    }
    return sum
  }
  var half = n / 2
  half -= half % 8
  return pairwiseSum(a, count: half) + pairwiseSum(a + half, count: n &- half)
}

/// The engine's elementwise functions, for whoever must recompute what it computed bit for bit
/// (the expression language's tanh, exp, log and softmax).
public enum VectorMath {
  /// tanh of each element, as the forward pass computes h = tanh(a).
  public static func tanh(_ x: [Double]) -> [Double] { lanewise(RNNCore.tanh, x) }

  /// e^x of each element, as softmax computes it.
  public static func exp(_ x: [Double]) -> [Double] { lanewise(RNNCore.exp, x) }

  /// The natural logarithm of each element: the one the loss uses (the platform's correctly
  /// rounded-or-nearly `log`; NaN below 0, −∞ at 0).
  public static func log(_ x: [Double]) -> [Double] { x.map { Foundation.log($0) } }

  /// softmax of a vector, as the forward pass computes p from y.
  public static func softmax(_ y: [Double]) -> [Double] {
    guard !y.isEmpty else { return [] }
    var p = [Double](repeating: 0, count: y.count)
    y.withUnsafeBufferPointer { yb in
      p.withUnsafeMutableBufferPointer { pb in
        _ = RNNCore.softmax(yb.baseAddress!, into: pb.baseAddress!, count: y.count)
      }
    }
    return p
  }

  /// What softmax computes on the way to p: the shift it subtracts from y (0 but for huge y),
  /// e^(y − shift) of each element, and their sum in NumPy's order.
  public static func softmaxParts(_ y: [Double]) -> (shift: Double, exps: [Double], sum: Double) {
    let shift = softmaxShift(max: y.reduce(-Double.infinity) { Swift.max($0, $1) })
    let exps = exp(y.map { $0 - shift })
    let sum = exps.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, count: y.count) }
    return (shift, exps, sum)
  }

  private static func lanewise(_ f: (Double4) -> Double4, _ x: [Double]) -> [Double] {
    guard !x.isEmpty else { return [] }
    var out = [Double](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xb in
      out.withUnsafeMutableBufferPointer { ob in applyLanewise(f, xb.baseAddress!, ob.baseAddress!, x.count) }
    }
    return out
  }
}

/// e^x and tanh(x) of one number, through the same four-lane code as the vectors.
public enum LaneMath {
  public static func exp(_ x: Double) -> Double { RNNCore.exp(Double4(repeating: x))[0] }
  public static func tanh(_ x: Double) -> Double { RNNCore.tanh(Double4(repeating: x))[0] }
}
