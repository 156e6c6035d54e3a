/// A seeded random number generator that gives the same numbers on every machine.
///
/// xoshiro256** (Blackman and Vigna), its state filled from the seed by SplitMix64. Gaussian
/// numbers come from Marsaglia's polar method with ``PortableMath/log(_:)``, which uses only
/// IEEE-754 addition, multiplication and division, so no platform's libm can change a model
/// that a seed makes. `benchmarks/`-independent check: `Tests/RNNCoreTests/Fixtures/make_fixtures.py`
/// implements the same generator in Python.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64
  private var spareGaussian: Double?

  /// A generator whose whole sequence is fixed by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotateLeft(s3, 45)
    return result
  }

  /// A uniform double in [0, 1) with 53 random bits.
  public mutating func nextUniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A standard normal number (mean 0, variance 1), like one element of NumPy's `randn`.
  public mutating func nextGaussian() -> Double {
    if let spare = spareGaussian {
      spareGaussian = nil
      return spare
    }
    while true {
      let u = 2 * nextUniform() - 1
      let v = 2 * nextUniform() - 1
      let s = u * u + v * v
      if s >= 1 || s == 0 { continue }
      let factor = (-2 * PortableMath.log(s) / s).squareRoot()
      spareGaussian = v * factor
      return u * factor
    }
  }

  /// An integer uniformly drawn from `0..<bound`, without modulo bias (Lemire's method).
  public mutating func nextIndex(below bound: Int) -> Int {
    precondition(bound > 0, "nextIndex needs a positive bound, got \(bound)")
    let b = UInt64(bound)
    while true {
      let product = next().multipliedFullWidth(by: b)
      if product.low >= (0 &- b) % b { return Int(product.high) }
    }
  }

  private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
  }
}

/// Elementary functions computed the same way on every machine.
public enum PortableMath {
  /// The natural logarithm of a positive finite `x`, within 4 ulp, from basic arithmetic only.
  ///
  /// x = m·2^e with m in [√½, √2); log m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …), s = (m−1)/(m+1),
  /// |s| ≤ 0.1716, so 13 terms reach double precision; log x = log m + e·ln 2.
  public static func log(_ x: Double) -> Double {
    precondition(x > 0 && x.isFinite, "PortableMath.log needs a positive finite number, got \(x)")
    var m = x.significand  // in [1, 2), exact
    var e = Double(x.exponent)
    if m > 1.414_213_562_373_095_1 {
      m /= 2
      e += 1
    }
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var term = s
    var sum = 0.0
    var k = 1.0
    for _ in 0..<13 {
      sum += term / k
      term *= s2
      k += 2
    }
    // ln 2 split so that e * ln2High is exact for |e| < 2^11.
    let ln2High = 6.931_471_803_691_238_164_9e-01
    let ln2Low = 1.908_214_929_270_587_700_02e-10
    return e * ln2High + (2 * sum + e * ln2Low)
  }
}

/// NumPy's legacy random numbers, `np.random.seed(S)` then `np.random.random_sample()`: the
/// Mersenne Twister MT19937, seeded as NumPy seeds it (`init_genrand(S)` for S below 2³², and
/// for a larger S as `np.random.seed([S mod 2³², S div 2³²])` would, by `init_by_array`), and
/// doubles made of 53 of its bits (`genrand_res53`). What min-char-rnn's `np.random.choice`
/// draws with (``Sampler``).
public struct NumPyRandomState: Sendable {
  private var state = [UInt32](repeating: 0, count: 624)
  private var index = 624

  public init(seed: UInt64) {
    if seed <= UInt64(UInt32.max) {
      fill(UInt32(seed))
    } else {
      seedByArray([UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)])
    }
  }

  /// init_genrand.
  private mutating func fill(_ seed: UInt32) {
    state[0] = seed
    for i in 1..<624 {
      state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
    }
    index = 624
  }

  /// init_by_array.
  private mutating func seedByArray(_ key: [UInt32]) {
    fill(19_650_218)
    var (i, j) = (1, 0)
    for _ in 0..<Swift.max(624, key.count) {
      state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
      i += 1
      j += 1
      if i >= 624 {
        state[0] = state[623]
        i = 1
      }
      if j >= key.count { j = 0 }
    }
    for _ in 0..<623 {
      state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
      i += 1
      if i >= 624 {
        state[0] = state[623]
        i = 1
      }
    }
    state[0] = 0x8000_0000
  }

  /// The next 32 bits (genrand_int32).
  public mutating func nextUInt32() -> UInt32 {
    if index >= 624 {
      for k in 0..<624 {
        let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7fff_ffff)
        state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_b0df)
      }
      index = 0
    }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9d2c_5680
    y ^= (y << 15) & 0xefc6_0000
    y ^= y >> 18
    return y
  }

  /// A double in [0, 1), as `np.random.random_sample()` (genrand_res53).
  public mutating func randomSample() -> Double {
    let a = Double(nextUInt32() >> 5)
    let b = Double(nextUInt32() >> 6)
    return (a * 67_108_864 + b) / 9_007_199_254_740_992
  }
}
