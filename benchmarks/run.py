#!/usr/bin/env python3
"""`make bench`: rnnstep against NumPy on the same work, each side in several separate processes,
interleaved, so that both see the same machine. Prints median, minimum and maximum over the
processes, the ratios of the medians, and each floor of the speed issue with met or MISSED.

Usage: run.py NATIVE_BIN_DIR PORTABLE_BIN_DIR [PROCESSES]
No test asserts a time: this only reports.
"""
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NATIVE, PORTABLE = sys.argv[1], sys.argv[2]
PROCESSES = int(sys.argv[3]) if len(sys.argv) > 3 else 5
PYTHON = sys.executable
BUILD = os.path.join(HERE, "..", ".build")
FLOPS_PER_PASS = 25 * (6 * 100 * 100 + 6 * 65 * 100 + 8 * 100 + 5 * 65)
# The forward pass alone: Whh h and Why h a step (2H² + 2VH), with O(H + V) besides.
FORWARD_FLOPS = 25 * (2 * 100 * 100 + 2 * 65 * 100 + 3 * 100 + 5 * 65)
missed = []


def run(cmd, env=None):
    full = dict(os.environ, **(env or {}))
    out = subprocess.run(cmd, env=full, capture_output=True, text=True, check=True).stdout
    return out


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def wall(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)[:200]} failed: {(done.stdout + done.stderr).strip()[-300:]}")
    return elapsed


def spread(name, values, unit, scale):
    med, lo, hi = statistics.median(values), min(values), max(values)
    print(f"  {name}: median {med * scale:.1f} {unit}, min {lo * scale:.1f}, max {hi * scale:.1f} "
          f"({len(values)} processes)")
    return med, lo, hi


def floor(label, ok, detail):
    print(f"  floor {label}: {detail}: {'met' if ok else 'MISSED'}")
    if not ok:
        missed.append(label)


def machine():
    info = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown CPU")
    # The highest clock the CPU reports (the current one swings with frequency scaling).
    mhz = None
    try:
        mhz = int(open("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read()) / 1e3
    except (OSError, ValueError):
        mhz = next((float(l.split(":", 1)[1]) for l in info.splitlines() if l.startswith("cpu MHz")), None)
    flags = next((l for l in info.splitlines() if l.startswith("flags")), "")
    # The pass uses at most two threads: the peak it can reach is two cores'.
    cores = min(os.cpu_count() or 1, 2)
    # Two 256-bit FMA pipes: 16 double-precision flops per cycle per core (AVX2 with FMA, and
    # Zen 4's AVX-512, which splits into two halves); 8 without FMA.
    per_cycle = 16 if " fma" in flags else 8
    peak = cores * per_cycle * mhz / 1e3 if mhz else None
    return model, cores, mhz, peak


def corpus(path, size):
    """A 1 MB text like min-char-rnn's input.txt: words of a made-up language, 60-odd characters."""
    if os.path.exists(path) and os.path.getsize(path) >= size:
        return
    rng = random.Random(7)
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 12)))
        line = line.capitalize() + rng.choice(".,;:!?") + "\n"
        if rng.random() < 0.2:
            line = line.upper()
        if rng.random() < 0.1:
            line = str(rng.randint(0, 9999)) + " " + line
        out.append(line)
        n += len(line)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("".join(out)[:size])
    os.replace(path + ".tmp", path)


def main():
    model, cores, mhz, peak = machine()
    print(f"machine: {model}, {os.cpu_count()} cores" + (f", {mhz:.0f} MHz" if mhz else "")
          + (f", peak of the {cores} cores a pass uses {peak:.0f} GFLOP/s (double)" if peak else ""))
    bench = os.path.join(NATIVE, "rnnstep-bench")
    rnnstep = os.path.join(NATIVE, "rnnstep")

    # 1. Forward + BPTT and training at min-char-rnn's size, in-process timings, NumPy and
    #    rnnstep alternating process by process.
    print(f"forward + BPTT at H=100 V=65 T=25 (fastest of 7 rounds inside each process), {PROCESSES} processes each:")
    numpy_runs, rnn_runs = [], []
    for _ in range(PROCESSES):
        numpy_runs.append(json.loads(run([PYTHON, os.path.join(HERE, "numpy_reference.py"), "1.5"]).strip()))
        rnn_runs.append(last_json(run([bench], {"BENCH_JSON": "1", "BENCH_SKIP_CHECK": "1", "BENCH_SECONDS": "1"})))
    np_pass, _, _ = spread("NumPy (min-char-rnn's lossFun)", [r["seconds_per_iteration"] for r in numpy_runs], "µs", 1e6)
    passes = [r["pass_seconds"] for r in rnn_runs]
    med, lo, hi = spread("rnnstep", passes, "µs", 1e6)
    gflops = FLOPS_PER_PASS / med / 1e9
    print(f"  rnnstep: {gflops:.1f} GFLOP/s" + (f", {gflops / peak:.0%} of this machine's peak" if peak else ""))
    print(f"  ratio: rnnstep {np_pass / med:.1f}× faster than NumPy (medians)")
    floor("no bimodality", hi <= 1.25 * med and med <= 1.25 * lo,
          f"every process within 1.25× of the median ({lo * 1e6:.1f}…{hi * 1e6:.1f} µs)")
    # 50 µs was set on a Zen 4 at 2.6 GHz, 2 cores (83 GFLOP/s peak): 60% of peak.
    target = FLOPS_PER_PASS / 50e-6 / 1e9
    if peak:
        fraction = target / (2 * 16 * 2.596)
        floor("forward + BPTT", gflops >= fraction * peak,
              f"{med * 1e6:.1f} µs, {gflops / peak:.0%} of peak; 50 µs on the reference machine is {fraction:.0%}")
    else:
        floor("forward + BPTT", med <= 50e-6, f"{med * 1e6:.1f} µs ≤ 50 µs")
    fwd = [r["forward_seconds"] for r in rnn_runs]
    spread("rnnstep forward alone", fwd, "µs", 1e6)
    trains = [r["train_seconds"] for r in rnn_runs]
    tmed, _, _ = spread("rnnstep train (µs per update, in-process)", trains, "µs", 1e6)
    np_train = statistics.median([r["train_seconds_per_iteration"] for r in numpy_runs])
    print(f"  NumPy train: median {np_train * 1e6:.1f} µs per update; ratio {np_train / tmed:.1f}×")

    # 2. Training whole-process on a 1 MB corpus: min-char-rnn's own loop against rnnstep -c.
    text = os.path.join(BUILD, "bench-corpus-1MB.txt")
    corpus(text, 1_100_000)
    updates = 5000
    print(f"training, whole process, {updates} updates on a 1.1 MB corpus (H=100, seqlen 25, Adagrad 0.1, clip ±5):")
    np_times, rnn_times = [], []
    for _ in range(PROCESSES):
        np_times.append(wall([PYTHON, os.path.join(HERE, "min_char_rnn_train.py"), text, str(updates)]))
        rnn_times.append(wall([rnnstep, "-c", f"corpus {text}; new 100; train {updates}"]))
    npm, _, _ = spread("min-char-rnn (NumPy)", np_times, "s", 1)
    rnm, _, _ = spread("rnnstep -c 'corpus; new 100; train'", rnn_times, "s", 1)
    floor("training", npm / rnm >= 12, f"rnnstep {npm / rnm:.1f}× min-char-rnn's updates per second, whole process")
    load = [wall([rnnstep, "-c", f"corpus {text}"]) for _ in range(PROCESSES)]
    spread("rnnstep -c 'corpus' (loading 1.1 MB)", load, "s", 1)

    # 3. Start-up and command latency at that size.
    print("latency:")
    starts = [wall([rnnstep, "-c", "echo"]) for _ in range(max(PROCESSES, 9))]
    smed, _, _ = spread("start-up (rnnstep -c echo, whole process)", starts, "ms", 1e3)
    floor("start-up", smed <= 0.020, f"{smed * 1e3:.1f} ms ≤ 20 ms")
    base = f"corpus {text}; new 100; last"
    base_times = [wall([rnnstep, "-c", base]) for _ in range(PROCESSES)]
    bmed = statistics.median(base_times)
    slowest = 0.0
    for command in ["reverse-step", "step", "first", "last", "print dWhh", "explain dh_raw[1][0]", "plot Whh", "info model", "sample 200",
                    "gradcheck Whh[0,0]", "blame"]:
        repeat = 10
        times = [wall([rnnstep, "-c", base + ("; " + command) * repeat]) for _ in range(PROCESSES)]
        each = (statistics.median(times) - bmed) / repeat
        # blame checks every quantity of the pass: a full check, outside the 10 ms floor.
        if command != "blame":
            slowest = max(slowest, each)
        # The difference of two noisy medians: below 0.1 ms it is only noise, negative or not.
        shown = f"{each * 1e3:.1f} ms" if each >= 0.0001 else "under 0.1 ms"
        print(f"  {command}: {shown}" + (" (a check of the whole pass; no floor)" if command == "blame" else ""))
    floor("commands", slowest <= 0.010, f"slowest {slowest * 1e3:.1f} ms ≤ 10 ms")

    # 4. A full finite-difference check at min-char-rnn's size.
    full = last_json(run([bench], {"BENCH_JSON": "1", "BENCH_SECONDS": "0.3"}))
    check = full["check_seconds"]
    # Every element of every parameter twice (θ ± ε), each pass from the first step that reads the
    # element: Whh's and bh's whole passes dominate (10,100 elements × 2 × the forward's flops).
    hidden_elements = 100 * 100 + 100
    check_flops = 2 * hidden_elements * FORWARD_FLOPS
    check_gflops = check_flops / check / 1e9
    print(f"full gradient check of every parameter at H=100 V=65 T=25: {check:.2f} s "
          f"(--exact: {full['exact_check_seconds']:.2f} s); its {hidden_elements * 2} whole forward passes "
          f"alone are {check_flops / 1e9:.1f} GFLOP: {check_gflops:.1f} GFLOP/s"
          + (f", {check_gflops / peak:.0%} of peak" if peak else ""))
    # 0.3 s was set on the reference machine (2 cores at 2.596 GHz, 83 GFLOP/s peak): elsewhere
    # the same fraction of the machine's peak.
    check_floor = 0.3 * (2 * 16 * 2.596) / peak if peak else 0.3
    floor("full check", check <= check_floor,
          f"{check:.2f} s ≤ {check_floor:.2f} s (0.3 s on the reference machine)")

    # 5. The portable build (what plain `swift build` makes).
    portable = [last_json(run([os.path.join(PORTABLE, "rnnstep-bench")],
                              {"BENCH_JSON": "1", "BENCH_BRIEF": "1", "BENCH_SECONDS": "0.5"}))["pass_seconds"]
                for _ in range(3)]
    spread("portable build forward + BPTT (any x86-64 or arm64)", portable, "µs", 1e6)

    print("floors missed: " + (", ".join(missed) if missed else "none"))


main()
