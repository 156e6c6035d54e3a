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

/// Whether this CPU has AVX2 and fused multiply-add (x86-64), for rnnstep_weighted_row_sum.
int rnnstep_has_fma(void);

/// out[j] (+)= Σ_m c[m·c_stride] · v[m·v_stride + j] for j < n, m from count−1 down, in the same
/// chains of fused multiply-adds as Swift's weightedRowSum. Only where rnnstep_has_fma() says so.
void rnnstep_weighted_row_sum(double *out, long n, long count, const double *c, long c_stride, const double *v,
                              long v_stride, int accumulate);

/// Columns lo..<hi of rnnstep_weighted_row_sum's n-column sum (out and v point at column 0), each
/// with the chain the whole sum gives it, so the same bits: one thread's share of a recurrence.
/// lo and hi must lie where the whole sum's blocks do: multiples of 4 up to n/32·32, or n. With
/// `reversed`, the blocks go last to first.
void rnnstep_weighted_row_sum_columns(double *out, long lo, long hi, long n, long count, const double *c,
                                      long c_stride, const double *v, long v_stride, int accumulate, int reversed);

/// Swift's weightedRowSums: `outputs` row sums over the same rows v at once (a matrix–matrix
/// product), out[s·out_stride + j] (+)= Σ_m c[s·c_output_stride + m·c_stride] · v[m·v_stride + j],
/// each element the same chain as rnnstep_weighted_row_sum's.
void rnnstep_weighted_row_sums(long outputs, double *out, long out_stride, long n, long count, const double *c,
                               long c_stride, long c_output_stride, const double *v, long v_stride, int accumulate);

/// 2^(k/128) = H·(1 + T) for k < 128, as { T's bits, H's bits − k·2^45 } pairs: the C library's
/// exp table (written by scripts/exp_table.py), from which e^x gets the C library's bits.
extern const unsigned long long rnnstep_exp_table[256];
/// rnnstep_exp_table, for Swift (which sees a C array as a tuple value).
const unsigned long long *rnnstep_exp_table_address(void);

/// out[i] = e^x[i] (function 0) or tanh(x[i]) (function 1) for i < n, bit for bit as Swift's
/// four-lane exp and tanh (Sources/RNNCore/VectorMath.swift). Only where rnnstep_has_fma() says so.
void rnnstep_lanes(int function, const double *x, double *out, long n);

#endif
