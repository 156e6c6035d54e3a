// Adagrad in C so that the square root and the division are the processor's correctly rounded
// vector instructions (SSE2's sqrtpd and divpd are in every x86-64 CPU; NEON's on arm64):
// Swift's SIMD square root calls libm lane by lane.
#include "CKernels.h"

#include <math.h>

// NumPy rounds m + g*g as a product, then a sum: never contract them into one fused multiply-add.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define RNNSTEP_SSE2 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define RNNSTEP_NEON 1
#endif

static inline double clamp(double x, double limit) {
  // NaN stays NaN, as np.clip leaves it.
  return x > limit ? limit : (x < -limit ? -limit : x);
}

static int adagrad_tail(double *theta, const double *g, double *m, size_t i, size_t n, double lr, double scale,
                        double limit) {
  int finite = 1;
  for (; i < n; i++) {
    double gi = clamp(g[i] * scale, limit);
    if (gi == 0) continue;
    double sq = gi * gi;
    double mi = m[i] + sq;
    m[i] = mi;
    double numerator = -lr * gi;
    double t = theta[i] + numerator / sqrt(mi + 1e-8);
    theta[i] = t;
    if (!isfinite(t)) finite = 0;
  }
  return finite;
}

#if RNNSTEP_SSE2
// Four lanes with AVX where the CPU has it (chosen at run time: the portable build runs anywhere).
__attribute__((target("avx"))) static int adagrad_avx(double *theta, const double *g, double *m, size_t n, double lr,
                                                      double scale, double limit) {
  const __m256d vscale = _mm256_set1_pd(scale);
  const __m256d vhi = _mm256_set1_pd(limit);
  const __m256d vlo = _mm256_set1_pd(-limit);
  const __m256d vneg = _mm256_set1_pd(-lr);
  const __m256d veps = _mm256_set1_pd(1e-8);
  const __m256d zero = _mm256_setzero_pd();
  __m256d poison = zero;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d gi = _mm256_mul_pd(_mm256_loadu_pd(g + i), vscale);
    gi = _mm256_max_pd(vlo, _mm256_min_pd(vhi, gi));
    if (_mm256_movemask_pd(_mm256_cmp_pd(gi, zero, _CMP_NEQ_UQ)) == 0) continue;
    __m256d mi = _mm256_add_pd(_mm256_loadu_pd(m + i), _mm256_mul_pd(gi, gi));
    _mm256_storeu_pd(m + i, mi);
    __m256d step = _mm256_div_pd(_mm256_mul_pd(vneg, gi), _mm256_sqrt_pd(_mm256_add_pd(mi, veps)));
    __m256d t = _mm256_add_pd(_mm256_loadu_pd(theta + i), step);
    _mm256_storeu_pd(theta + i, t);
    poison = _mm256_add_pd(poison, _mm256_mul_pd(t, zero));
  }
  double p[4];
  _mm256_storeu_pd(p, poison);
  int finite = !(isnan(p[0]) || isnan(p[1]) || isnan(p[2]) || isnan(p[3]));
  return adagrad_tail(theta, g, m, i, n, lr, scale, limit) && finite;
}
#endif

int rnnstep_adagrad(double *theta, const double *g, double *m, size_t n, double lr, double scale, double limit) {
  size_t i = 0;
  int finite = 1;
#if RNNSTEP_SSE2
  if (__builtin_cpu_supports("avx")) return adagrad_avx(theta, g, m, n, lr, scale, limit);
  const __m128d vscale = _mm_set1_pd(scale);
  const __m128d vhi = _mm_set1_pd(limit);
  const __m128d vlo = _mm_set1_pd(-limit);
  const __m128d vneg = _mm_set1_pd(-lr);
  const __m128d veps = _mm_set1_pd(1e-8);
  __m128d poison = _mm_setzero_pd();
  for (; i + 2 <= n; i += 2) {
    __m128d gi = _mm_mul_pd(_mm_loadu_pd(g + i), vscale);
    // minpd and maxpd return their second operand when either is NaN: put g second, so that a
    // NaN gradient stays NaN (as np.clip leaves it) and makes theta NaN, which is reported.
    gi = _mm_max_pd(vlo, _mm_min_pd(vhi, gi));
    if (_mm_movemask_pd(_mm_cmpneq_pd(gi, _mm_setzero_pd())) == 0) continue;
    __m128d mi = _mm_add_pd(_mm_loadu_pd(m + i), _mm_mul_pd(gi, gi));
    _mm_storeu_pd(m + i, mi);
    __m128d step = _mm_div_pd(_mm_mul_pd(vneg, gi), _mm_sqrt_pd(_mm_add_pd(mi, veps)));
    __m128d t = _mm_add_pd(_mm_loadu_pd(theta + i), step);
    _mm_storeu_pd(theta + i, t);
    poison = _mm_add_pd(poison, _mm_mul_pd(t, _mm_setzero_pd()));
  }
  double p[2];
  _mm_storeu_pd(p, poison);
  if (isnan(p[0]) || isnan(p[1])) finite = 0;
#elif RNNSTEP_NEON
  const float64x2_t vscale = vdupq_n_f64(scale);
  const float64x2_t vhi = vdupq_n_f64(limit);
  const float64x2_t vlo = vdupq_n_f64(-limit);
  const float64x2_t vneg = vdupq_n_f64(-lr);
  const float64x2_t veps = vdupq_n_f64(1e-8);
  float64x2_t poison = vdupq_n_f64(0);
  for (; i + 2 <= n; i += 2) {
    float64x2_t gi = vmulq_f64(vld1q_f64(g + i), vscale);
    gi = vmaxq_f64(vminq_f64(gi, vhi), vlo);
    float64x2_t mi = vaddq_f64(vld1q_f64(m + i), vmulq_f64(gi, gi));
    vst1q_f64(m + i, mi);
    float64x2_t step = vdivq_f64(vmulq_f64(vneg, gi), vsqrtq_f64(vaddq_f64(mi, veps)));
    float64x2_t t = vaddq_f64(vld1q_f64(theta + i), step);
    vst1q_f64(theta + i, t);
    poison = vaddq_f64(poison, vmulq_f64(t, vdupq_n_f64(0)));
  }
  if (isnan(vgetq_lane_f64(poison, 0)) || isnan(vgetq_lane_f64(poison, 1))) finite = 0;
#endif
  return adagrad_tail(theta, g, m, i, n, lr, scale, limit) && finite;
}
