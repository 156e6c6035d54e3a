// weightedRowSum for builds whose Swift code has no fused multiply-add instruction to use (the
// portable build: x86-64's baseline has none, so each of Swift's fused multiply-adds becomes a
// call to libm's fma). Chosen at run time where the CPU has AVX2 and FMA; the same chains of
// fused multiply-adds as the Swift kernel (Sources/RNNCore/Kernels.swift), so the same bits.
#include "CKernels.h"

#include <math.h>
#include <stdint.h>

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

// Columns j..<j+4g (g = 1…7) in one chain per element, as columns32 does them: the part of a
// block of 32 that one thread's share of a recurrence covers.
#define CHAINS(G)                                                                                                 \
  __attribute__((target("avx2,fma"))) static void chains##G(double *out, long j, long count, const double *c,      \
                                                            long cs, const double *v, long vs, int accumulate) {  \
    __m256d a[G];                                                                                                 \
    for (int k = 0; k < G; k++) a[k] = accumulate ? _mm256_loadu_pd(out + j + 4 * k) : _mm256_setzero_pd();     \
    for (long m = count - 1; m >= 0; m--) {                                                                       \
      const __m256d g = _mm256_broadcast_sd(c + m * cs);                                                          \
      const double *row = v + m * vs + j;                                                                         \
      for (int k = 0; k < G; k++) a[k] = _mm256_fmadd_pd(g, _mm256_loadu_pd(row + 4 * k), a[k]);                 \
    }                                                                                                             \
    for (int k = 0; k < G; k++) _mm256_storeu_pd(out + j + 4 * k, a[k]);                                         \
  }
CHAINS(1)
CHAINS(2)
CHAINS(3)
CHAINS(4)
CHAINS(5)
CHAINS(6)
CHAINS(7)

__attribute__((target("avx2,fma"))) static void chains(long groups, double *out, long j, long count, const double *c,
                                                       long cs, const double *v, long vs, int accumulate) {
  switch (groups) {
  case 1: chains1(out, j, count, c, cs, v, vs, accumulate); break;
  case 2: chains2(out, j, count, c, cs, v, vs, accumulate); break;
  case 3: chains3(out, j, count, c, cs, v, vs, accumulate); break;
  case 4: chains4(out, j, count, c, cs, v, vs, accumulate); break;
  case 5: chains5(out, j, count, c, cs, v, vs, accumulate); break;
  case 6: chains6(out, j, count, c, cs, v, vs, accumulate); break;
  default: chains7(out, j, count, c, cs, v, vs, accumulate); break;
  }
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

// Columns lo..<hi of an n-column row sum, each with the chain row_sum_fma gives it: blocks of 32
// and then chains of 4 where each column is one chain, blocks of 4 and then single columns with
// four partial sums past n/32·32; the blocks last to first when `reversed`.
__attribute__((target("avx2,fma"))) static void row_sum_columns_fma(double *out, long lo, long hi, long n, long count,
                                                                    const double *c, long cs, const double *v,
                                                                    long vs, int accumulate, int reversed) {
  const long wide = n / 32 * 32;
  const long narrow_end = wide + (n - wide) / 4 * 4;
  const long single_end = hi < wide ? hi : wide;
  const long blocks32 = single_end > lo ? (single_end - lo) / 32 : 0;
  const long chains_count = single_end > lo ? (single_end - lo - blocks32 * 32) / 4 : 0;
  const long narrow_start = lo > wide ? lo : wide;
  const long narrow_stop = hi < narrow_end ? hi : narrow_end;
  const long narrow = narrow_stop > narrow_start ? (narrow_stop - narrow_start) / 4 : 0;
  const long singles_start = lo > narrow_end ? lo : narrow_end;
  const long singles = hi > singles_start ? hi - singles_start : 0;
  // Where the coefficients are one vector (in a recurrence on two threads, h_{t−1} or dh_raw_t,
  // half of it just written by the other core), ask for all its lines at once, so that their
  // transfers overlap rather than come one at a time as the sum reaches them.
  if (cs == 1 && count > 0) {
    const char *line = (const char *)((uintptr_t)c & ~(uintptr_t)63), *end = (const char *)(c + count);
    for (; line < end; line += 64) _mm_prefetch(line, _MM_HINT_T0);
  }
  // The chains of 4 (fewer than 8) go together, as one block.
  const long grouped = chains_count > 0 ? 1 : 0;
  const long total = blocks32 + grouped + narrow + singles;
  for (long b = 0; b < total; b++) {
    const long k = reversed ? total - 1 - b : b;
    if (k < blocks32) {
      columns32(out, lo + k * 32, count, c, cs, v, vs, accumulate);
    } else if (k < blocks32 + grouped) {
      chains(chains_count, out, lo + blocks32 * 32, count, c, cs, v, vs, accumulate);
    } else if (k < blocks32 + grouped + narrow) {
      columns4(out, narrow_start + (k - blocks32 - grouped) * 4, count, c, cs, v, vs, accumulate);
    } else {
      column1(out, singles_start + (k - blocks32 - grouped - narrow), count, c, cs, v, vs, accumulate);
    }
  }
}

// Four outputs, eight columns: the Swift weightedRowSums' inner block, the same chains.
__attribute__((target("avx2,fma"))) static void block4x8(double *out, long os, long j, long count, const double *c,
                                                         long cs, long cos, const double *v, long vs,
                                                         int accumulate) {
  __m256d a0, b0, a1, b1, a2, b2, a3, b3;
  if (accumulate) {
    a0 = _mm256_loadu_pd(out + j), b0 = _mm256_loadu_pd(out + j + 4);
    a1 = _mm256_loadu_pd(out + os + j), b1 = _mm256_loadu_pd(out + os + j + 4);
    a2 = _mm256_loadu_pd(out + 2 * os + j), b2 = _mm256_loadu_pd(out + 2 * os + j + 4);
    a3 = _mm256_loadu_pd(out + 3 * os + j), b3 = _mm256_loadu_pd(out + 3 * os + j + 4);
  } else {
    a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = _mm256_setzero_pd();
  }
  for (long m = count - 1; m >= 0; m--) {
    const double *row = v + m * vs + j;
    const __m256d x = _mm256_loadu_pd(row), y = _mm256_loadu_pd(row + 4);
    const long mc = m * cs;
    __m256d g = _mm256_broadcast_sd(c + mc);
    a0 = _mm256_fmadd_pd(g, x, a0), b0 = _mm256_fmadd_pd(g, y, b0);
    g = _mm256_broadcast_sd(c + cos + mc);
    a1 = _mm256_fmadd_pd(g, x, a1), b1 = _mm256_fmadd_pd(g, y, b1);
    g = _mm256_broadcast_sd(c + 2 * cos + mc);
    a2 = _mm256_fmadd_pd(g, x, a2), b2 = _mm256_fmadd_pd(g, y, b2);
    g = _mm256_broadcast_sd(c + 3 * cos + mc);
    a3 = _mm256_fmadd_pd(g, x, a3), b3 = _mm256_fmadd_pd(g, y, b3);
  }
  _mm256_storeu_pd(out + j, a0), _mm256_storeu_pd(out + j + 4, b0);
  _mm256_storeu_pd(out + os + j, a1), _mm256_storeu_pd(out + os + j + 4, b1);
  _mm256_storeu_pd(out + 2 * os + j, a2), _mm256_storeu_pd(out + 2 * os + j + 4, b2);
  _mm256_storeu_pd(out + 3 * os + j, a3), _mm256_storeu_pd(out + 3 * os + j + 4, b3);
}

__attribute__((target("avx2,fma"))) static void row_sums_fma(long outputs, double *out, long os, long n, long count,
                                                             const double *c, long cs, long cos, const double *v,
                                                             long vs, int accumulate) {
  const long wide = n / 32 * 32;
  const long grouped = outputs / 4 * 4;
  for (long j = 0; j < wide; j += 8) {
    for (long s = 0; s < grouped; s += 4) block4x8(out + s * os, os, j, count, c + s * cos, cs, cos, v, vs, accumulate);
  }
  for (long t = 0; t < outputs; t++) {
    const long first = t < grouped ? wide : 0;
    if (first < n) row_sum_columns_fma(out + t * os, first, n, n, count, c + t * cos, cs, v, vs, accumulate, 0);
  }
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

void rnnstep_weighted_row_sum_columns(double *out, long lo, long hi, long n, long count, const double *c,
                                      long c_stride, const double *v, long v_stride, int accumulate, int reversed) {
#if defined(__x86_64__) || defined(_M_X64)
  row_sum_columns_fma(out, lo, hi, n, count, c, c_stride, v, v_stride, accumulate, reversed);
#else
  (void)out, (void)lo, (void)hi, (void)n, (void)count, (void)c, (void)c_stride, (void)v, (void)v_stride,
      (void)accumulate, (void)reversed;
#endif
}

void rnnstep_weighted_row_sums(long outputs, double *out, long out_stride, long n, long count, const double *c,
                               long c_stride, long c_output_stride, const double *v, long v_stride, int accumulate) {
#if defined(__x86_64__) || defined(_M_X64)
  row_sums_fma(outputs, out, out_stride, n, count, c, c_stride, c_output_stride, v, v_stride, accumulate);
#else
  (void)outputs, (void)out, (void)out_stride, (void)n, (void)count, (void)c, (void)c_stride, (void)c_output_stride,
      (void)v, (void)v_stride, (void)accumulate;
#endif
}
