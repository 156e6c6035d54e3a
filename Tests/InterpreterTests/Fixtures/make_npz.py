#!/usr/bin/env python3
"""Writes the NumPy files the Interop tests read (run: python3 Tests/InterpreterTests/Fixtures/make_npz.py).

* formula.npz (np.savez_compressed): a model whose elements follow formulas the Swift test
  recomputes: Wxh[i,j] = i + j/10, Whh[i,j] = (i - j)/100, Why[k,j] = k*j/7, bh[i] = -i (shape
  (3,)), by[k] = k/3 (shape (4, 1)); Wxh stored in Fortran order and Why as float32 exactly
  representable values.
* stored.npz (np.savez): the same arrays, uncompressed.
* mine-correct.npz, mine-seed.npz: min-char-rnn gradients and trace of the built-in model
  (builtin.json), computed here in NumPy, correct and with the tutorial's mistakes.
"""
import json
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "npz")
os.makedirs(out, exist_ok=True)

i3, j4 = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
Wxh = np.asfortranarray(i3 + j4 / 10)
i, j = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
Whh = (i - j) / 100
k, j3 = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
Why = (k * j3 / 8).astype(np.float32)  # eighths are exact in float32
bh = -np.arange(3, dtype=np.int64)
by = (np.arange(4) / 3).reshape(4, 1)
np.savez_compressed(os.path.join(out, "formula.npz"), Wxh=Wxh, Whh=Whh, Why=Why, bh=bh, by=by)
np.savez(os.path.join(out, "stored.npz"), Wxh=Wxh, Whh=Whh, Why=Why, bh=bh, by=by)

# The built-in model's gradients, min-char-rnn style.
b = json.load(open(os.path.join(here, "builtin.json")))["model"]
W = {name: np.array(b[name]) for name in ("Wxh", "Whh", "Why")}
bhv, byv = np.array(b["bh"]).reshape(-1, 1), np.array(b["by"]).reshape(-1, 1)
inputs, targets = b["inputs"], b["targets"]


def run(variant):
    xs, hs, ys, ps = {}, {-1: np.zeros((3, 1))}, {}, {}
    loss = 0.0
    for t in range(4):
        xs[t] = np.zeros((4, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(W["Wxh"] @ xs[t] + W["Whh"] @ hs[t - 1] + bhv)
        ys[t] = W["Why"] @ hs[t] + byv
        ps[t] = np.exp(ys[t] - ys[t].max()) / np.exp(ys[t] - ys[t].max()).sum()
        loss += -np.log(ps[t][targets[t], 0])
    g = {n: np.zeros_like(W[n[1:]]) for n in ("dWxh", "dWhh", "dWhy")}
    dbh, dby, dhnext = np.zeros_like(bhv), np.zeros_like(byv), np.zeros((3, 1))
    dys, dhs, dhraws, dhnexts = {}, {}, {}, {}
    for t in reversed(range(4)):
        h_t = hs[t] if variant == "correct" else hs[3]
        h_prev = hs[t - 1] if variant == "correct" else hs[-1]
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        g["dWhy"] += dy @ h_t.T
        dby += dy
        dh = W["Why"].T @ dy + dhnext
        dhraw = (1 - h_t * h_t) * dh
        dbh += dhraw
        g["dWxh"] += dhraw @ xs[t].T
        g["dWhh"] += dhraw @ h_prev.T
        dhnext = W["Whh"].T @ dhraw
        dys[t], dhs[t], dhraws[t], dhnexts[t] = dy, dh, dhraw, dhnext
    rows = lambda d: np.array([d[t].ravel() for t in range(4)])
    return dict(
        g, dbh=dbh.ravel(), dby=dby, loss=np.array(loss), hs=rows(hs), ps=rows(ps), dy=rows(dys), dh=rows(dhs),
        dh_raw=rows(dhraws), dh_next=rows(dhnexts))


# hs without h0 (min-char-rnn's hs[0..T-1]); biases as (n,) for dbh: compare accepts both.
np.savez_compressed(os.path.join(out, "mine-correct.npz"), **run("correct"))
np.savez_compressed(os.path.join(out, "mine-seed.npz"), **run("seed"))
