#!/usr/bin/env python3
"""Writes reference.json: what an independent NumPy implementation computes, for RNNCoreTests.

Run from anywhere: python3 Tests/RNNCoreTests/Fixtures/make_fixtures.py
The Swift tests compare rnnstep with these numbers; nothing here comes from rnnstep's output.

* Forward and BPTT follow min-char-rnn's lossFun (column vectors, np.dot, per-step dicts),
  extended to vector inputs, squared error and a nonzero h0.
* The "seed" gradients follow the tutorial's backward as it reads once its NameErrors are
  resolved with the forward pass's values: the final h_next stands for every h_t, the initial
  h_prev for every h_{t-1}.
* The random numbers re-implement SeededGenerator (SplitMix64 seeding, xoshiro256**, Marsaglia's
  polar method with a logarithm from basic arithmetic) from their published descriptions.
"""
import json
import math
import os

import numpy as np

MASK = (1 << 64) - 1


# --- The model ---------------------------------------------------------------------------------

def forward(case):
    Wxh, Whh, Why, bh, by = (np.array(case[k], dtype=float) for k in ("Wxh", "Whh", "Why", "bh", "by"))
    bh, by = bh.reshape(-1, 1), by.reshape(-1, 1)
    H, Vin = Wxh.shape
    V = Why.shape[0]
    xs, hs, ys, ps, losses = {}, {}, {}, {}, []
    hs[-1] = np.array(case["h0"], dtype=float).reshape(-1, 1)
    for t, x in enumerate(case["inputs"]):
        if case["input_kind"] == "indices":
            xs[t] = np.zeros((Vin, 1))
            xs[t][x] = 1
        else:
            xs[t] = np.array(x, dtype=float).reshape(-1, 1)
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        target = case["targets"][t]
        if case["loss"] == "softmax":
            e = np.exp(ys[t] - np.max(ys[t]))
            ps[t] = e / np.sum(e)
            losses.append(float(-np.log(ps[t][target, 0])))
        else:
            if case["target_kind"] == "indices":
                tv = np.zeros((V, 1))
                tv[target] = 1
            else:
                tv = np.array(target, dtype=float).reshape(-1, 1)
            ps[t] = tv  # kept only to form dy below
            losses.append(float(0.5 * np.sum((ys[t] - tv) ** 2)))
    return (Wxh, Whh, Why, bh, by), xs, hs, ys, ps, losses


def backward(case, params, xs, hs, ys, ps, variant):
    Wxh, Whh, Why, bh, by = params
    T = len(case["inputs"])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    record = {"dy": {}, "dh": {}, "dh_raw": {}, "dh_next": {}}
    for t in reversed(range(T)):
        if case["loss"] == "softmax":
            dy = np.copy(ps[t])
            dy[case["targets"][t]] -= 1
        else:
            dy = ys[t] - ps[t]
        h_t = hs[t] if variant == "correct" else hs[T - 1]
        h_prev = hs[t - 1] if variant == "correct" else hs[-1]
        dWhy += np.dot(dy, h_t.T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - h_t * h_t) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, h_prev.T)
        dhnext = np.dot(Whh.T, dhraw)
        for name, value in (("dy", dy), ("dh", dh), ("dh_raw", dhraw), ("dh_next", dhnext)):
            record[name][t] = value
    rows = {name: [record[name][t].ravel().tolist() for t in range(T)] for name in record}
    grads = {"dWxh": dWxh, "dWhh": dWhh, "dWhy": dWhy, "dbh": dbh.ravel(), "dby": dby.ravel()}
    return rows, {k: v.tolist() for k, v in grads.items()}


def make_case(name, rng, H, Vin, V, T, loss, input_kind, target_kind, scale, absent=None):
    case = {
        "name": name, "loss": loss, "input_kind": input_kind, "target_kind": target_kind,
        "Wxh": (rng.standard_normal((H, Vin)) * scale).tolist(),
        "Whh": (rng.standard_normal((H, H)) * scale).tolist(),
        "Why": (rng.standard_normal((V, H)) * scale).tolist(),
        "bh": (rng.standard_normal(H) * 0.1).tolist(),
        "by": (rng.standard_normal(V) * 0.1).tolist(),
        "h0": (rng.uniform(-0.5, 0.5, H)).tolist(),
    }
    if input_kind == "indices":
        choices = [i for i in range(Vin) if i != absent]
        case["inputs"] = [int(rng.choice(choices)) for _ in range(T)]
    else:
        case["inputs"] = rng.uniform(-1, 1, (T, Vin)).tolist()
    if target_kind == "indices":
        case["targets"] = [int(rng.integers(0, V)) for _ in range(T)]
    else:
        case["targets"] = rng.uniform(-1, 1, (T, V)).tolist()
    params, xs, hs, ys, ps, losses = forward(case)
    expected = {
        "losses": losses,
        "loss": float(sum(losses)),
        "hs": [hs[t].ravel().tolist() for t in range(-1, T)],
        "ys": [ys[t].ravel().tolist() for t in range(T)],
    }
    if loss == "softmax":
        expected["ps"] = [ps[t].ravel().tolist() for t in range(T)]
    for variant in ("correct", "seed"):
        rows, grads = backward(case, params, xs, hs, ys, ps, variant)
        expected[variant] = {**rows, **grads}
    case["expected"] = expected
    return case


# --- SeededGenerator, re-implemented -------------------------------------------------------------

def portable_log(x):
    m, e = math.frexp(x)  # x = m * 2**e, m in [0.5, 1)
    m, e = m * 2, e - 1  # m in [1, 2), as Swift's significand/exponent
    if m > 1.4142135623730951:
        m /= 2
        e += 1
    s = (m - 1) / (m + 1)
    s2 = s * s
    term, total, k = s, 0.0, 1.0
    for _ in range(13):
        total += term / k
        term *= s2
        k += 2
    ln2_high = 6.93147180369123816490e-01
    ln2_low = 1.90821492927058770002e-10
    return e * ln2_high + (2 * total + e * ln2_low)


class Generator:
    def __init__(self, seed):
        x = seed & MASK
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state
        self.spare = None

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & MASK
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53

    def gaussian(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if s >= 1 or s == 0:
                continue
            factor = math.sqrt(-2 * portable_log(s) / s)
            self.spare = v * factor
            return u * factor


def random_reference():
    out = []
    for seed in (0, 1, 42, 2**64 - 1):
        g = Generator(seed)
        raw = [g.next() for _ in range(4)]
        g = Generator(seed)
        out.append({
            "seed": str(seed),
            "next": [str(r) for r in raw],
            "gaussians": [g.gaussian() for _ in range(10)],
        })
    return out


def builtin_model():
    """The REPL's built-in model: vocabulary h e l o, H = 3, seed 7, weights randn x 0.5 drawn in
    the order Wxh, Whh, Why (row-major), data "hello"."""
    g = Generator(7)
    draw = lambda rows, cols: np.array([[g.gaussian() * 0.5 for _ in range(cols)] for _ in range(rows)])
    case = {"name": "builtin hello", "loss": "softmax", "input_kind": "indices", "target_kind": "indices",
            "Wxh": draw(3, 4).tolist(), "Whh": draw(3, 3).tolist(), "Why": draw(4, 3).tolist(),
            "bh": [0.0] * 3, "by": [0.0] * 4, "h0": [0.0] * 3, "inputs": [0, 1, 2, 2], "targets": [1, 2, 2, 3]}
    params, xs, hs, ys, ps, losses = forward(case)
    rows, grads = backward(case, params, xs, hs, ys, ps, "correct")
    return {"model": case, "losses": losses, "hs": [hs[t].ravel().tolist() for t in range(-1, 4)],
            "ps": [ps[t].ravel().tolist() for t in range(4)], "dh_raw": rows["dh_raw"], "dWhh": grads["dWhh"]}


def main():
    rng = np.random.default_rng(20261124)
    cases = [
        make_case("hell->ello softmax", rng, H=3, Vin=4, V=4, T=4, loss="softmax", input_kind="indices",
                  target_kind="indices", scale=0.8),
        make_case("vectors squared", rng, H=5, Vin=2, V=3, T=6, loss="squared", input_kind="vectors",
                  target_kind="vectors", scale=0.6),
        make_case("absent character softmax", rng, H=8, Vin=7, V=7, T=10, loss="softmax", input_kind="indices",
                  target_kind="indices", scale=0.5, absent=3),
        make_case("one-hot targets squared", rng, H=4, Vin=3, V=3, T=3, loss="squared", input_kind="indices",
                  target_kind="indices", scale=0.7),
        make_case("wide softmax", rng, H=37, Vin=41, V=41, T=9, loss="softmax", input_kind="indices",
                  target_kind="indices", scale=0.3),
    ]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "reference.json"), "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases, "random": random_reference()}, f)
        f.write("\n")
    with open(os.path.join(here, "..", "..", "InterpreterTests", "Fixtures", "builtin.json"), "w") as f:
        json.dump(builtin_model(), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
