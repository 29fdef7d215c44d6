#!/usr/bin/env python3
"""PyTorch (eager) peer of one sigmascope sampler step, the same step as benches/numpy_step.py.

af3 preset: augmentation (centre, random rotation, translation), churn, exact denoiser, Euler, on
the same synthetic sizes as `sigmascope-bench sampler-step`. Runs on CUDA when torch sees a GPU,
else on the CPU (`--device` to choose). Each step ends with a one-element read (`.item()`), which
synchronises the device as sigmascope's step does. Prints JSON with milliseconds per step.
Usage: python3 benches/torch_step.py [--atoms 1000,10000,100000,1000000] [--steps 20] [--device cuda|cpu]
"""
import argparse
import json
import time

import torch


def random_rotation(generator, device):
    q = torch.randn(4, generator=generator, device=device)
    w, x, y, z = q / q.norm()
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)]),
        torch.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)]),
        torch.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]),
    ])


@torch.no_grad()
def bench(atoms, steps, device):
    generator = torch.Generator(device=device).manual_seed(0)
    gt = torch.randn(atoms, 3, generator=generator, device=device) * 20.0
    x = torch.randn(atoms, 3, generator=generator, device=device) * 2560.0
    frame_r = torch.eye(3, device=device)
    frame_t = torch.zeros(1, 3, device=device)
    sigma, gamma_0, gamma_min, noise_scale, step_scale = 100.0, 0.8, 1.0, 1.003, 1.5
    times = []
    for i in range(steps + 3):
        start = time.perf_counter()
        sigma_next = sigma * 0.9
        r = random_rotation(generator, device)
        t = torch.randn(1, 3, generator=generator, device=device)
        center = x.mean(dim=0, keepdim=True)
        x = (x - center) @ r + t
        frame_r, frame_t = frame_r @ r, (frame_t - center) @ r + t
        gamma = gamma_0 if sigma_next > gamma_min else 0.0
        t_hat = sigma * (1 + gamma)
        eps = torch.randn(atoms, 3, generator=generator, device=device)
        x_hat = x + noise_scale * (t_hat ** 2 - sigma ** 2) ** 0.5 * eps
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
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    timings = [
        {"device": f"torch {torch.__version__} {name}", "atoms": n, "steps": args.steps, "millis_per_step": bench(n, args.steps, device)}
        for n in (int(a) for a in args.atoms.split(","))
    ]
    print(json.dumps({"benchmark": "sampler-step (torch peer)", "timings": timings}, indent=2))


if __name__ == "__main__":
    main()
