#!/usr/bin/env python3
"""NumPy peer of one sigmascope sampler step (af3 preset: augmentation, churn, exact denoiser, Euler).

Same synthetic sizes as `sigmascope-bench sampler-step`; prints JSON with milliseconds per step.
Usage: python3 benches/numpy_step.py [--atoms 1000,10000,100000,1000000] [--steps 20]
"""
import argparse
import json
import time

import numpy as np


def random_rotation(rng):
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ], dtype=np.float32)


def bench(atoms, steps):
    rng = np.random.default_rng(0)
    gt = rng.normal(scale=20.0, size=(atoms, 3)).astype(np.float32)
    x = rng.normal(scale=2560.0, size=(atoms, 3)).astype(np.float32)
    frame_r = np.eye(3, dtype=np.float32)
    frame_t = np.zeros((1, 3), dtype=np.float32)
    sigma, gamma_0, gamma_min, noise_scale, step_scale = 100.0, 0.8, 1.0, 1.003, 1.5
    times = []
    for i in range(steps + 3):
        start = time.perf_counter()
        sigma_next = sigma * 0.9
        r, t = random_rotation(rng), rng.normal(size=(1, 3)).astype(np.float32)
        center = x.mean(axis=0, keepdims=True)
        x = (x - center) @ r + t
        frame_r, frame_t = frame_r @ r, (frame_t - center) @ r + t
        gamma = gamma_0 if sigma_next > gamma_min else 0.0
        t_hat = sigma * (1 + gamma)
        eps = rng.standard_normal(size=(atoms, 3), dtype=np.float32)
        x_hat = x + noise_scale * np.sqrt(t_hat ** 2 - sigma ** 2) * eps
        x0 = gt @ frame_r + frame_t
        d = (x_hat - x0) / t_hat
        x = x_hat + step_scale * (sigma_next - t_hat) * d
        _ = x[0, 0].item()
        if i >= 3:
            times.append(time.perf_counter() - start)
        sigma = sigma_next
    return 1000.0 * sum(times) / len(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--atoms", default="1000,10000,100000,1000000")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    timings = [
        {"device": "numpy " + np.__version__, "atoms": n, "steps": args.steps, "millis_per_step": bench(n, args.steps)}
        for n in (int(a) for a in args.atoms.split(","))
    ]
    print(json.dumps({"benchmark": "sampler-step (numpy peer)", "timings": timings}, indent=2))


if __name__ == "__main__":
    main()
