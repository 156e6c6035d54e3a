#!/usr/bin/env python3
"""Writes Sources/CKernels/exp_table.c: the 128 pairs behind rnnstep's e^x.

e^x = 2^(k/128) · e^r with k = round(x · 128/ln 2). For each k in 0..<128 the table holds
2^(k/128) as H·(1 + T): H the double nearest 2^(k/128), T the double nearest 2^(k/128)/H − 1,
stored as T's bits and as H's bits less k·2^45 (so that adding k·2^45 back, for any integer k,
puts k/128's whole part into the exponent). This is the table of the C library's exp (glibc
2.28 and later), which is how rnnstep's e^x gives the C library's bits: Tests/RNNCoreTests/
MathTests.swift compares the two on millions of values. Computed here with 80-digit decimals.

Usage: python3 scripts/exp_table.py   (from the repository's root)
"""
import struct
from decimal import Decimal, getcontext

getcontext().prec = 80
N = 128


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def main():
    ln2 = Decimal(2).ln()
    lines = []
    for k in range(N):
        v = (ln2 * k / N).exp()
        h = float(v)  # Decimal → float rounds to nearest
        t = float((v - Decimal(h)) / Decimal(h))
        lines.append(f"    0x{bits(t):016x}ULL, 0x{(bits(h) - (k << 45)) & (2**64 - 1):016x}ULL,  // k = {k}")
    text = (
        "// Written by scripts/exp_table.py: do not edit. 2^(k/128) = H·(1 + T) for k < 128, as\n"
        "// { T's bits, H's bits − k·2^45 } (the C library's exp table; see the script).\n"
        '#include "CKernels.h"\n\n'
        "const unsigned long long rnnstep_exp_table[256] = {\n" + "\n".join(lines) + "\n};\n\n"
        "const unsigned long long *rnnstep_exp_table_address(void) { return rnnstep_exp_table; }\n"
    )
    with open("Sources/CKernels/exp_table.c", "w") as f:
        f.write(text)


main()
