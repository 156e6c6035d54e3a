#!/usr/bin/env python3
"""Writes training.json, training-corpus.txt and training-case*.npz for the training tests.

Run from anywhere: python3 Tests/InterpreterTests/Fixtures/training/make_training_fixture.py
The outputs are written beside this script.

This is an independent NumPy implementation of the training loop of Karpathy's min-char-rnn
(the 2015 gist): the same lossFun (one-hot inputs, tanh hidden layer, softmax written as
exp(ys) / sum(exp(ys)) without subtracting the maximum, with the C library's exp, which np.exp
is on a CPU without AVX-512; BPTT over seq_length steps), the same data pointer and reset rule,
the same smooth_loss and the same Adagrad update. The Swift tests train rnnstep from the same
initial models on the same corpus and compare with these numbers; nothing here comes from
rnnstep's output. The gist's sampling every 100 iterations is left out of the loop (it draws
random numbers but changes neither the parameters nor the loss); its sample function is run on
its own after np.random.seed(S), and what it draws is stored as "samples".

Loop (n counts updates, starting at 0; p starts at 0):

    if p + seq_length + 1 >= len(data) or n == 0: hprev = zeros((H, 1)); p = 0
    inputs  = ix(data[p : p + seq_length]); targets = ix(data[p + 1 : p + seq_length + 1])
    loss, grads, hprev = lossFun(inputs, targets, hprev)     # raw, unclipped gradients
    clip(grads)                                               # per case, see below
    smooth_loss = smooth_loss * 0.999 + loss * 0.001          # starts at -log(1/V) * seq_length
    update each of Wxh, Whh, Why, bh, by                      # per case, see below
    p += seq_length; n += 1

Clipping (applied after lossFun, before the update, to all five gradients):
  * "value": np.clip(d, -c, c) element by element (c = 5, min-char-rnn's own).
  * "global_norm": norm = sqrt(sum over the five arrays, in the order Wxh Whh Why bh by, of
    np.sum(d * d)); if norm > c, every gradient is multiplied by (c / norm); otherwise left alone.
  * "none": nothing.
Optimizers:
  * "adagrad": mem += d * d; param += -lr * d / np.sqrt(mem + 1e-8)   (memories start at zero).
  * "sgd":     param += -lr * d.

The vocabulary is sorted(set(data)); the initial weights are np.random.seed(seed) followed by
randn(H, V) * 0.01, randn(H, H) * 0.01, randn(V, H) * 0.01 in that order, biases zero.

Chaos ("drift"): the same loop is run a second time from the same initial model, but every
nonzero element of every raw gradient returned by lossFun is moved by exactly one ulp, BEFORE
clipping, with np.nextafter(d, +inf) or np.nextafter(d, -inf); the direction of each element is
drawn from np.random.RandomState(jitter_seed).randint(0, 2, size) (1 means +inf), drawn afresh
for each gradient array in the order Wxh Whh Why bh by at every update. Elements that are
exactly zero stay zero. After 1, 5, 40 and 120 updates the drift is

    max over the five arrays of  max|theta_jittered - theta| / max|theta|

i.e. each array's largest absolute difference divided by the largest magnitude of that array in
the unjittered run. It shows how far a one-ulp difference in the gradients (as a different
summation order gives) carries over the given number of updates, which tells the Swift tests
which tolerance can be asked of each checkpoint. The same measure after every update is stored
as drift_per_update, and |loss_jittered - loss| / |loss| of every update as loss_drift_per_update.
"""
import json
import math
import os
import platform

import numpy as np

SEQ_LENGTH = 25
CHECKPOINTS = (1, 5, 10, 40, 120)
NAMES = ("Wxh", "Whh", "Why", "bh", "by")
JITTER_SEED = 12345

DATA = (
    "the river runs past the old mill and under the stone bridge before it turns toward the sea. "
    "in the morning the water is cold and clear, and the fish rest in the shade of the tall reeds. "
    "a small boat is tied to a post near the bank, and an old man sits in it with a line in the water. "
    "he does not talk much, but he smiles when the children come down the path to watch him. "
    "some days he catches nothing at all, and he says that is fine, since the river is not a shop. "
    "other days the line pulls hard, and he stands up slowly, holding the rod with both hands. "
    "when the sun is high he rows back to the shore, ties the boat again, and walks home for bread. "
    "at night the mill is dark, the bridge is still, and the river keeps on running to the sea."
)

CASES = [
    {"name": "adagrad-clip5", "optimizer": "adagrad", "learning_rate": 0.1,
     "clipping": {"kind": "value", "c": 5.0}, "hidden": 100, "seed": 1, "model": "training-case1.npz"},
    {"name": "sgd-clip5", "optimizer": "sgd", "learning_rate": 0.1,
     "clipping": {"kind": "value", "c": 5.0}, "hidden": 16, "seed": 2, "model": "training-case2.npz"},
    {"name": "adagrad-globalnorm1", "optimizer": "adagrad", "learning_rate": 0.1,
     "clipping": {"kind": "global_norm", "c": 1.0}, "hidden": 16, "seed": 3, "model": "training-case3.npz"},
    {"name": "sgd-noclip", "optimizer": "sgd", "learning_rate": 0.05,
     "clipping": {"kind": "none"}, "hidden": 16, "seed": 4, "model": "training-case4.npz"},
]


def libm_exp(a):
    """e^x of each element by the C library's exp (math.exp). On an x86-64 CPU with AVX2 and FMA
    but no AVX-512 np.exp is exactly this (0 of 200,000 normal values differ on an AMD EPYC Zen 3
    with NumPy 2.4.6); with AVX-512 NumPy has an exp of its own, which rounds some values the
    other way. The loop below uses this one, so that the reference does not depend on AVX-512.
    It does depend on the C library: glibc 2.28 or later on x86-64 with FMA, where it was written
    (training.json records the platform), is the exp rnnstep computes; without FMA, on arm64 or
    with another C library, a few values round the other way (NumPy's AVX-512 exp, which does so,
    moved by after one Adagrad update by 2e-13 of its size)."""
    return np.array([math.exp(x) for x in a.ravel()]).reshape(a.shape)


def loss_fun(params, inputs, targets, hprev, vocab_size, exp=np.exp):
    """min-char-rnn's lossFun without the clipping, which the loop applies per case."""
    Wxh, Whh, Why, bh, by = params
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = exp(ys[t]) / np.sum(exp(ys[t]))
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
    return float(loss), [dWxh, dWhh, dWhy, dbh, dby], hs[len(inputs) - 1]


def clip(grads, clipping):
    if clipping["kind"] == "value":
        c = clipping["c"]
        for d in grads:
            np.clip(d, -c, c, out=d)
    elif clipping["kind"] == "global_norm":
        c = clipping["c"]
        norm = np.sqrt(sum(np.sum(d * d) for d in grads))
        if norm > c:
            for d in grads:
                d *= c / norm
    elif clipping["kind"] != "none":
        raise ValueError(clipping["kind"])


def jitter(grads, rng):
    """Moves every nonzero element one ulp up or down (direction from rng); zeros stay zero."""
    out = []
    for d in grads:
        up = rng.randint(0, 2, size=d.shape).astype(bool)
        moved = np.where(up, np.nextafter(d, np.inf), np.nextafter(d, -np.inf))
        out.append(np.where(d == 0.0, d, moved))
    return out


def initial_model(H, V, seed):
    np.random.seed(seed)
    Wxh = np.random.randn(H, V) * 0.01
    Whh = np.random.randn(H, H) * 0.01
    Why = np.random.randn(V, H) * 0.01
    bh = np.zeros((H, 1))
    by = np.zeros((V, 1))
    return [Wxh, Whh, Why, bh, by]


def train(case, model, data, char_to_ix, updates, jitter_rng=None, exp=np.exp):
    V = len(char_to_ix)
    H = case["hidden"]
    params = [np.copy(a) for a in model]
    mems = [np.zeros_like(a) for a in params]
    lr = case["learning_rate"]
    smooth_loss = -np.log(1.0 / V) * SEQ_LENGTH
    n, p = 0, 0
    hprev = None
    losses, smooth_losses, snapshots, trajectory = [], [], {}, []
    while n < updates:
        if p + SEQ_LENGTH + 1 >= len(data) or n == 0:
            hprev = np.zeros((H, 1))
            p = 0
        inputs = [char_to_ix[ch] for ch in data[p:p + SEQ_LENGTH]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + SEQ_LENGTH + 1]]
        loss, grads, hprev = loss_fun(params, inputs, targets, hprev, V, exp)
        if jitter_rng is not None:
            grads = jitter(grads, jitter_rng)
        clip(grads, case["clipping"])
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        for param, dparam, mem in zip(params, grads, mems):
            if case["optimizer"] == "adagrad":
                mem += dparam * dparam
                param += -lr * dparam / np.sqrt(mem + 1e-8)
            elif case["optimizer"] == "sgd":
                param += -lr * dparam
            else:
                raise ValueError(case["optimizer"])
        p += SEQ_LENGTH
        n += 1
        losses.append(float(loss))
        smooth_losses.append(float(smooth_loss))
        if n in CHECKPOINTS:
            snapshots[n] = ([np.copy(a) for a in params], np.copy(hprev), p)
        trajectory.append([np.copy(a) for a in params])
    return losses, smooth_losses, snapshots, trajectory


def sample(params, h, seed_ix, n, vocab_size, exp=np.exp):
    """min-char-rnn's sample, as the gist writes it (np.exp given, as lossFun's)."""
    Wxh, Whh, Why, bh, by = params
    x = np.zeros((vocab_size, 1))
    x[seed_ix] = 1
    ixes = []
    for t in range(n):
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        p = exp(y) / np.sum(exp(y))
        ix = np.random.choice(range(vocab_size), p=p.ravel())
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        ixes.append(int(ix))
    return ixes


def numpy_seed(seed):
    """np.random.seed(seed), a seed of 2^32 or more as the two 32-bit halves."""
    np.random.seed(seed if seed < 2**32 else [seed & 0xFFFFFFFF, seed >> 32])


def drift_of(params, jparams):
    """max over the arrays of max|jittered - plain| / max|plain|."""
    rel = []
    for a, b in zip(params, jparams):
        scale = float(np.max(np.abs(a)))
        diff = float(np.max(np.abs(b - a)))
        rel.append(diff / scale if scale > 0 else diff)
    return max(rel)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    chars = sorted(list(set(DATA)))
    V = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    with open(os.path.join(here, "training-corpus.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(DATA)

    out_cases = []
    for case in CASES:
        model = initial_model(case["hidden"], V, case["seed"])
        np.savez(os.path.join(here, case["model"]),
                 **{k: a.astype(np.float64) for k, a in zip(NAMES, model)},
                 vocabulary=np.array([ord(c) for c in chars], dtype=np.int64))
        updates = max(CHECKPOINTS)
        losses, smooth_losses, snaps, traj = train(case, model, DATA, char_to_ix, updates, exp=libm_exp)
        jlosses, _, jsnaps, jtraj = train(case, model, DATA, char_to_ix, updates,
                                          jitter_rng=np.random.RandomState(JITTER_SEED), exp=libm_exp)
        _, _, esnaps, _ = train(case, model, DATA, char_to_ix, updates)
        checkpoints, drift, exp_drift = {}, {}, {}
        for k in CHECKPOINTS:
            params, hprev, p = snaps[k]
            jparams = jsnaps[k][0]
            for a in params:
                assert np.all(np.isfinite(a)), (case["name"], k)
            entry = {name: [float(x) for x in a.ravel(order="C")] for name, a in zip(NAMES, params)}
            entry["hprev"] = [float(x) for x in hprev.ravel()]
            entry["p"] = p
            checkpoints[str(k)] = entry
            drift[str(k)] = drift_of(params, jparams)
            exp_drift[str(k)] = drift_of(params, esnaps[k][0])
            print(f"{case['name']:>20}  after {k:>3} updates: drift {drift[str(k)]:.3e}, "
                  f"with np.exp {exp_drift[str(k)]:.3e}")
        out = {key: case[key] for key in ("name", "optimizer", "learning_rate", "clipping", "hidden", "seed", "model")}
        out.update({"shapes": {name: list(a.shape) for name, a in zip(NAMES, model)},
                    "checkpoints": checkpoints, "losses": losses, "smooth_losses": smooth_losses,
                    "drift": drift, "exp_drift": exp_drift,
                    "drift_per_update": [drift_of(a, b) for a, b in zip(traj, jtraj)],
                    "loss_drift_per_update": [abs(b - a) / abs(a) for a, b in zip(losses, jlosses)]})
        # min-char-rnn's sample from h = 0 after np.random.seed(S), from the initial model and
        # from the one after 120 updates (sharper), 400 characters from the corpus's first.
        samples = []
        for label, params in (("initial", model), ("after 120 updates", snaps[120][0])):
            for seed in (1, 42, 2**32 + 7):
                numpy_seed(seed)
                drawn = sample(params, np.zeros((case["hidden"], 1)), char_to_ix[DATA[0]], 400, V, libm_exp)
                samples.append({"model": label, "seed": seed, "from": char_to_ix[DATA[0]], "drawn": drawn})
        out["samples"] = samples
        out_cases.append(out)

    doc = {
        "numpy": np.__version__,
        "platform": f"{platform.machine()}, {' '.join(platform.libc_ver())}, Python {platform.python_version()}",
        "corpus": "training-corpus.txt",
        "vocabulary": "".join(chars),
        "seq_length": SEQ_LENGTH,
        "reset_rule": "if p + seq_length + 1 >= len(data) or n == 0: hprev = 0, p = 0",
        "jitter": {"seed": JITTER_SEED, "where": "raw gradients from lossFun, before clipping",
                   "how": "np.nextafter toward +inf or -inf per nonzero element, direction from "
                          "RandomState(seed).randint(0, 2) per array in order Wxh Whh Why bh by; "
                          "zeros unchanged"},
        "exp": "the C library's (math.exp), which np.exp is on a CPU without AVX-512",
        "exp_drift": "the same measure between this loop and the same loop with np.exp in place of "
                     "the C library's exp, on the CPU that wrote this file",
        "drift": "max over arrays of max|theta_jittered - theta| / max|theta|; "
                 "loss_drift_per_update is |loss_jittered - loss| / |loss|",
        "cases": out_cases,
    }
    with open(os.path.join(here, "training.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
