#!/usr/bin/env python3
"""NumPy reference for `make bench`: min-char-rnn's lossFun at min-char-rnn size.

Times forward + BPTT (softmax cross-entropy, H=100, V=65, T=25) exactly as min-char-rnn writes
it: one-hot column vectors, np.dot, dictionaries of per-step arrays. Prints one JSON object on
stdout that rnnstep-bench reads and compares with its own run on the same work.
"""
import json
import platform
import sys
import time

import numpy as np

H, V, T = 100, 65, 25


def loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    rng = np.random.default_rng(1)
    Wxh = rng.standard_normal((H, V)) * 0.01
    Whh = rng.standard_normal((H, H)) * 0.01
    Why = rng.standard_normal((V, H)) * 0.01
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    inputs = list(rng.integers(0, V, T))
    targets = list(rng.integers(0, V, T))
    hprev = np.zeros((H, 1))
    loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)  # warm up
    # The fastest of 7 rounds, like rnnstep-bench: the estimate least disturbed by other work.
    rounds, best, iterations = 7, float("inf"), 0
    for _ in range(rounds):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / rounds:
            for _ in range(10):
                loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)
            n += 10
        best = min(best, (time.perf_counter() - start) / n)
        iterations += n
    print(json.dumps({
        "iterations": iterations,
        "seconds_per_iteration": best,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
