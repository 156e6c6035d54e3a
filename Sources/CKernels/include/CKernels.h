#ifndef RNNSTEP_CKERNELS_H
#define RNNSTEP_CKERNELS_H

#include <stddef.h>

/// min-char-rnn's Adagrad over n elements, in place, exactly as NumPy computes it:
///   g = clamp(g_raw * scale, -limit, limit)
///   m = m + g * g                      (a product rounded, then a sum rounded: no fused multiply-add)
///   theta = theta + (-lr * g) / sqrt(m + 1e-8)
/// with the square root and the division correctly rounded (the processor's vector sqrt and
/// divide instructions). An element whose clipped gradient is 0 is left as it is (its update is
/// exactly 0). Returns 1 when every updated theta is finite, 0 otherwise.
int rnnstep_adagrad(double *theta, const double *g, double *m, size_t n, double lr, double scale, double limit);

#endif
