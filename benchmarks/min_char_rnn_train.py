#!/usr/bin/env python3
"""min-char-rnn's own training loop, whole process, for `make bench`'s training comparison.

Usage: min_char_rnn_train.py FILE N. Reads FILE as min-char-rnn does under Python 2 on Linux
(every character kept, a \r as well), with its distinct characters sorted as rnnstep sorts them
(min-char-rnn's list(set(data)) has no fixed order; the order does not change the work), makes a model of H = 100 with seeded randn × 0.01 weights, and runs N
updates of min-char-rnn's loop: chunks of 25, hprev carried and reset to zeros at the start and
whenever p + 25 + 1 >= len(data), gradients clipped to ±5, Adagrad with learning rate 0.1.
Prints the smoothed loss at the end. Sampling is left out: rnnstep's `train` does not sample.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_reference import loss_fun  # noqa: E402

data = open(sys.argv[1], "r", encoding="utf-8", newline="").read()
updates = int(sys.argv[2])
chars = sorted(set(data))
data_size, vocab_size = len(data), len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}
hidden_size, seq_length, learning_rate = 100, 25, 1e-1

rng = np.random.default_rng(1)
Wxh = rng.standard_normal((hidden_size, vocab_size)) * 0.01
Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01
Why = rng.standard_normal((vocab_size, hidden_size)) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    """min-char-rnn's lossFun: the reference's (benchmarks/numpy_reference.py), then its clipping."""
    loss, dWxh, dWhh, dWhy, dbh, dby, h = loss_fun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, h


n, p = 0, 0
mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
mbh, mby = np.zeros_like(bh), np.zeros_like(by)
smooth_loss = -np.log(1.0 / vocab_size) * seq_length
while n < updates:
    if p + seq_length + 1 >= len(data) or n == 0:
        hprev = np.zeros((hidden_size, 1))
        p = 0
    inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
    targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
    smooth_loss = smooth_loss * 0.999 + loss * 0.001
    for param, dparam, mem in zip([Wxh, Whh, Why, bh, by], [dWxh, dWhh, dWhy, dbh, dby], [mWxh, mWhh, mWhy, mbh, mby]):
        mem += dparam * dparam
        param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
    p += seq_length
    n += 1
print(f"smoothed loss {smooth_loss:.4f} after {n} updates")
