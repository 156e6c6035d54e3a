// weightedRowSum for builds whose Swift code has no fused multiply-add instruction to use (the
// portable build: x86-64's baseline has none, so each of Swift's fused multiply-adds becomes a
// call to libm's fma). Chosen at run time where the CPU has AVX2 and FMA; the same chains of
// fused multiply-adds as the Swift kernel (Sources/RNNCore/Kernels.swift), so the same bits.
#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

// Columns j..<j+32: one chain per element, m from the last term down.
__attribute__((target("avx2,fma"))) static void columns32(double *out, long j, long count, const double *c,
                                                          long cs, const double *v, long vs, int accumulate) {
  __m256d a[8];
  for (int k = 0; k < 8; k++) a[k] = accumulate ? _mm256_loadu_pd(out + j + 4 * k) : _mm256_setzero_pd();
  for (long m = count - 1; m >= 0; m--) {
    const __m256d g = _mm256_broadcast_sd(c + m * cs);
    const double *row = v + m * vs + j;
    for (int k = 0; k < 8; k++) a[k] = _mm256_fmadd_pd(g, _mm256_loadu_pd(row + 4 * k), a[k]);
  }
  for (int k = 0; k < 8; k++) _mm256_storeu_pd(out + j + 4 * k, a[k]);
}

// Columns j..<j+4: four interleaved partial sums, (p0 + p1) + (p2 + p3) at the end.
__attribute__((target("avx2,fma"))) static void columns4(double *out, long j, long count, const double *c, long cs,
                                                         const double *v, long vs, int accumulate) {
  __m256d p0 = accumulate ? _mm256_loadu_pd(out + j) : _mm256_setzero_pd();
  __m256d p1 = _mm256_setzero_pd(), p2 = _mm256_setzero_pd(), p3 = _mm256_setzero_pd();
  long m = count - 1;
  for (; m >= 3; m -= 4) {
    p0 = _mm256_fmadd_pd(_mm256_broadcast_sd(c + m * cs), _mm256_loadu_pd(v + m * vs + j), p0);
    p1 = _mm256_fmadd_pd(_mm256_broadcast_sd(c + (m - 1) * cs), _mm256_loadu_pd(v + (m - 1) * vs + j), p1);
    p2 = _mm256_fmadd_pd(_mm256_broadcast_sd(c + (m - 2) * cs), _mm256_loadu_pd(v + (m - 2) * vs + j), p2);
    p3 = _mm256_fmadd_pd(_mm256_broadcast_sd(c + (m - 3) * cs), _mm256_loadu_pd(v + (m - 3) * vs + j), p3);
  }
  for (; m >= 0; m--) p0 = _mm256_fmadd_pd(_mm256_broadcast_sd(c + m * cs), _mm256_loadu_pd(v + m * vs + j), p0);
  _mm256_storeu_pd(out + j, _mm256_add_pd(_mm256_add_pd(p0, p1), _mm256_add_pd(p2, p3)));
}

// Column j alone, in four interleaved partial sums like columns4.
__attribute__((target("avx2,fma"))) static void column1(double *out, long j, long count, const double *c, long cs,
                                                        const double *v, long vs, int accumulate) {
  double p0 = accumulate ? out[j] : 0, p1 = 0, p2 = 0, p3 = 0;
  long m = count - 1;
  for (; m >= 3; m -= 4) {
    p0 = fma(c[m * cs], v[m * vs + j], p0);
    p1 = fma(c[(m - 1) * cs], v[(m - 1) * vs + j], p1);
    p2 = fma(c[(m - 2) * cs], v[(m - 2) * vs + j], p2);
    p3 = fma(c[(m - 3) * cs], v[(m - 3) * vs + j], p3);
  }
  for (; m >= 0; m--) p0 = fma(c[m * cs], v[m * vs + j], p0);
  out[j] = (p0 + p1) + (p2 + p3);
}

__attribute__((target("avx2,fma"))) static void row_sum_fma(double *out, long n, long count, const double *c,
                                                            long cs, const double *v, long vs, int accumulate) {
  const long wide = n / 32;
  const long narrow = (n - wide * 32) / 4;
  for (long b = 0; b < wide; b++) columns32(out, b * 32, count, c, cs, v, vs, accumulate);
  for (long b = 0; b < narrow; b++) columns4(out, wide * 32 + b * 4, count, c, cs, v, vs, accumulate);
  for (long j = wide * 32 + narrow * 4; j < n; j++) column1(out, j, count, c, cs, v, vs, accumulate);
}
#endif

int rnnstep_has_fma(void) {
#if defined(__x86_64__) || defined(_M_X64)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

void rnnstep_weighted_row_sum(double *out, long n, long count, const double *c, long c_stride, const double *v,
                              long v_stride, int accumulate) {
#if defined(__x86_64__) || defined(_M_X64)
  row_sum_fma(out, n, count, c, c_stride, v, v_stride, accumulate);
#else
  (void)out, (void)n, (void)count, (void)c, (void)c_stride, (void)v, (void)v_stride, (void)accumulate;
#endif
}
