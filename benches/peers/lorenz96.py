"""NumPy peer of pdd's Lorenz-96 generator: the same scheme (two-scale Lorenz-96, forward Euler,
f64), vectorised over the batch of trajectories the way the reference code does it.

State: X̄ (B, K) block values, offsets (B, N) frozen, Y (B, N) on one ring, n = k·J + j.
"""
import numpy as np

K, J, F, H, B_, C = 32, 4, 10.0, 1.0, 10.0, 10.0
DT = 5e-4


def tendency(x, y, off, k=K, j=J):
    coupling = H * C / B_
    ysum = y.reshape(y.shape[0], k, j).sum(axis=2)
    dx = -np.roll(x, 1, axis=1) * (np.roll(x, 2, axis=1) - np.roll(x, -1, axis=1)) - x + F - coupling * ysum
    xn = np.repeat(x, j, axis=1) + off
    dy = (-C * B_ * np.roll(y, -1, axis=1) * (np.roll(y, -2, axis=1) - np.roll(y, 1, axis=1))
          - C * y + coupling * xn)
    return dx, dy


def euler_step(x, y, off):
    dx, dy = tendency(x, y, off)
    x += DT * dx
    y += DT * dy


def generate(batch, spinup, frames, steps_per_frame, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, K))
    y = rng.random((batch, K * J))
    off = np.zeros_like(y)
    out = np.empty((batch, 2, frames, K * J), dtype=np.float32)
    for _ in range(spinup):
        euler_step(x, y, off)
    for m in range(frames):
        if m > 0:
            for _ in range(steps_per_frame):
                euler_step(x, y, off)
        out[:, 0, m] = np.repeat(x, J, axis=1) + off
        out[:, 1, m] = y
    return out
