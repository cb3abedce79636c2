#!/usr/bin/env python3
"""Runs pdd's `systems` benchmark and the NumPy peers of the same schemes, prints the ratios.

Usage: python3 benches/peers/compare.py   (from the repository root; needs numpy)
Set CARGO_TARGET_DIR as for your builds. Timings: minimum over 5 rounds on both sides.
"""
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kolmogorov  # noqa: E402
import lorenz96  # noqa: E402


def time_it(f, budget=0.4):
    f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-9)
    iters = max(int(budget / once), 1)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(iters):
            f()
        best = min(best, (time.perf_counter() - t) / iters)
    return best


def numpy_times():
    out = {}
    rng = np.random.default_rng(0)
    x, y = rng.random((1000, 32)), rng.random((1000, 128))
    off = np.zeros_like(y)
    out["l96_step_b1000"] = time_it(lambda: lorenz96.euler_step(x, y, off))
    out["l96_generate"] = time_it(lambda: lorenz96.generate(256, 4000, 16, 100), budget=0.1)
    out["l96_generate_1t"] = out["l96_generate"]  # NumPy runs on one thread either way
    for n in (256, 64):
        m = kolmogorov.Kolmogorov(n)
        w = m.initial()
        state = {"w": w}

        def step():
            state["w"] = m.step(state["w"])

        out[f"kf_step_{n}"] = time_it(step)
        out[f"kf_fft_{n}"] = time_it(lambda: m.ffts_only(w))
        g = np.fft.irfft2(w, s=(n, n))
        out[f"fft_forward_{n}"] = time_it(lambda: np.fft.rfft2(g))
        out[f"fft_inverse_{n}"] = time_it(lambda: np.fft.irfft2(w, s=(n, n)))
    return out


def rust_times():
    res = subprocess.run(["cargo", "bench", "--bench", "systems"], capture_output=True, text=True, check=True)
    out = {}
    for line in res.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out[parts[0]] = (float(parts[1]), parts[2])
    return out


def main():
    rust = rust_times()
    py = numpy_times()
    print(f"{'case':<16} {'pdd [s]':>11} {'numpy [s]':>11} {'numpy/pdd':>10}  what")
    for name, (t, what) in rust.items():
        p = py.get(name)
        ratio = f"{p / t:10.2f}" if p else " " * 10
        ps = f"{p:11.3e}" if p else " " * 11
        print(f"{name:<16} {t:11.3e} {ps} {ratio}  {what}")
    for n in (256, 64):
        s, f = rust[f"kf_step_{n}"][0], rust[f"kf_fft_{n}"][0]
        print(f"kf_step_{n} / its FFT-only lower bound: {s / f:.2f} (pdd), "
              f"{py[f'kf_step_{n}'] / py[f'kf_fft_{n}']:.2f} (numpy)")


if __name__ == "__main__":
    main()
