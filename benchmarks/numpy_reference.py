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
    """min-char-rnn's lossFun (without its clipping, which the callers apply)."""
    V = Wxh.shape[1]
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


def corpus():
    """The benchmark's text: 20000 characters over a 65-character alphabet, by a formula that
    rnnstep-bench repeats exactly."""
    alphabet = [chr(c) for c in range(48, 48 + 65)]
    return "".join(alphabet[(i * 7 + i // 13) % 65] for i in range(20000))


def train(seconds):
    """min-char-rnn's training loop (lossFun, clip to ±5, Adagrad lr 0.1), iterations per second."""
    data = corpus()
    chars = sorted(set(data))
    ix = {c: i for i, c in enumerate(chars)}
    rng = np.random.default_rng(3)
    Wxh = rng.standard_normal((H, V)) * 0.01
    Whh = rng.standard_normal((H, H)) * 0.01
    Why = rng.standard_normal((V, H)) * 0.01
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    mems = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
    n, p, hprev = 0, 0, np.zeros((H, 1))
    rounds, best, total = 5, float("inf"), 0
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / rounds:
            if p + T + 1 >= len(data) or n == 0:
                hprev, p = np.zeros((H, 1)), 0
            inputs = [ix[c] for c in data[p:p + T]]
            targets = [ix[c] for c in data[p + 1:p + T + 1]]
            loss, dWxh, dWhh, dWhy, dbh, dby, hprev = loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)
            for param, dparam, mem in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby), mems):
                np.clip(dparam, -5, 5, out=dparam)
                mem += dparam * dparam
                param += -0.1 * dparam / np.sqrt(mem + 1e-8)
            p += T
            n += 1
            count += 1
        best = min(best, (time.perf_counter() - start) / count)
        total += count
    return best, total


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
    train_best, train_iterations = train(seconds)
    print(json.dumps({
        "iterations": iterations,
        "seconds_per_iteration": best,
        "train_seconds_per_iteration": train_best,
        "train_iterations": train_iterations,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
