#!/usr/bin/env python3
"""Writes sums.json: arrays of doubles and np.sum of each, for the test that rnnstep's softmax sums
e^y in NumPy's order (min-char-rnn's np.sum(np.exp(ys[t]))).

Run from anywhere: python3 Tests/RNNCoreTests/Fixtures/make_sums.py (writes beside itself).
np.sum of a contiguous float64 array is NumPy's pairwise summation; the values are chosen with
widely spread magnitudes so that another order gives other bits. Each case also stores the plain
left-to-right sum, so the test can tell that the cases do tell orders apart.
"""
import json
import os

import numpy as np


def main():
    rng = np.random.default_rng(20261128)
    cases = []
    for n in list(range(1, 40)) + [63, 64, 65, 100, 127, 128, 129, 200, 255, 256, 257, 300, 1000]:
        a = np.exp(rng.uniform(-30, 30, n)) * rng.choice([1.0, 1e-8, 1e8], n)
        sequential = 0.0
        for x in a:
            sequential += x
        cases.append({"values": [float(x) for x in a], "numpy_sum": float(np.sum(a)),
                      "sequential_sum": float(sequential)})
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sums.json"), "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
