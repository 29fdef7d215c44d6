#!/usr/bin/env python3
"""NumPy peer of a whole `sigmascope sample FILE --preset boltz2 --steps N --json` run.

The same work as sigmascope, written as a NumPy user would: read the structure with gemmi (first
model, no hydrogens, no waters, first alternate conformation), start from multiscale noise (the
`seed-old` weights), then each Boltz-2 step: centre + random rotation + translation, churn with
multiscale noise, the exact denoiser (the truth in the current frame), Kabsch alignment of the noisy
state onto it, the Euler step; record each frame, and measure every frame against the truth (RMSD
after superposition of atoms, residue and chain centroids, x0_hat's RMSD, motion at every level
from the previous frame and each residue's motion) and print it as JSON. sigmascope measures more
per frame (TM-score, bonds, motion by cause, rigid-motion shares), so the peer's work is a lower bound.

With --no-figures it stops after the sampling and the recording (the peer of `sample` without --json).

Usage: python3 benches/numpy_sample.py FILE [--steps 200] [--seed 0] [--no-figures]
"""
import argparse
import json
import sys
import time

import gemmi
import numpy as np

from numpy_step import random_rotation  # the same rotation draw as the step peer

# Boltz-2 (jwohlwend/boltz main.py Boltz2DiffusionParams), as sigmascope's `boltz2` preset.
SIGMA_MIN, SIGMA_MAX, RHO, SIGMA_DATA = 1e-4, 160.0, 7.0, 16.0
GAMMA_0, GAMMA_MIN, NOISE_SCALE, STEP_SCALE = 0.8, 1.0, 1.003, 1.5
# seed-old noise weights: chain, residue, atom.
WEIGHTS = np.array([8.2, 1.6, 1.3])


def load(path):
    st = gemmi.read_structure(path)
    st.remove_hydrogens()
    st.remove_waters()
    st.remove_alternative_conformations()
    model = st[0]
    coords, atom_residue, residue_chain = [], [], []
    for c, chain in enumerate(model):
        for residue in chain:
            r = len(residue_chain)
            residue_chain.append(c)
            for atom in residue:
                coords.append(atom.pos.tolist())
                atom_residue.append(r)
    # Drop chains left empty by the selection.
    residue_chain = np.unique(np.array(residue_chain), return_inverse=True)[1]
    return (
        np.array(coords, dtype=np.float32),
        np.array(atom_residue),
        residue_chain,
    )


def schedule(steps):
    t = np.arange(steps) / max(steps - 1, 1)
    hi, lo = SIGMA_MAX ** (1 / RHO), SIGMA_MIN ** (1 / RHO)
    return np.append(SIGMA_DATA * (hi + t * (lo - hi)) ** RHO, 0.0)


class Hierarchy:
    """Segment reductions over contiguous residues and chains (np.add.reduceat)."""

    def __init__(self, atom_residue, residue_chain):
        self.atom_residue, self.residue_chain = atom_residue, residue_chain
        self.atom_chain = residue_chain[atom_residue]
        self.residue_starts = np.flatnonzero(np.r_[True, np.diff(atom_residue) != 0])
        self.residue_sizes = np.diff(np.r_[self.residue_starts, len(atom_residue)])
        self.chain_starts = np.flatnonzero(np.r_[True, np.diff(residue_chain) != 0])
        self.chain_sizes = np.diff(np.r_[self.chain_starts, len(residue_chain)])

    def levels(self, atoms):
        residues = np.add.reduceat(atoms, self.residue_starts, axis=0) / self.residue_sizes[:, None]
        chains = np.add.reduceat(residues, self.chain_starts, axis=0) / self.chain_sizes[:, None]
        return atoms, residues, chains

    def noise(self, rng, sigma, n_atoms):
        w = np.sqrt(WEIGHTS / WEIGHTS.sum()) * sigma
        eps = rng.standard_normal((n_atoms, 3), dtype=np.float32) * w[2]
        eps += (rng.standard_normal((len(self.residue_chain), 3), dtype=np.float32) * w[1])[self.atom_residue]
        eps += (rng.standard_normal((self.chain_sizes.size, 3), dtype=np.float32) * w[0])[self.atom_chain]
        return eps


def kabsch(mobile, target):
    """Rotation R and translation t with mobile @ R + t closest to target."""
    pm, pt = mobile.mean(axis=0), target.mean(axis=0)
    h = (mobile - pm).T.astype(np.float64) @ (target - pt)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(u @ vt))
    r = u @ np.diag([1.0, 1.0, d]) @ vt
    return r.astype(np.float32), (pt - pm @ r).astype(np.float32)


def superposed_rmsd(a, b):
    if len(a) < 3:
        return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))
    r, t = kabsch(a, b)
    return float(np.sqrt((((a @ r + t) - b) ** 2).sum(axis=1).mean()))


def rms(a, b):
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args()
    clock = time.perf_counter()
    truth, atom_residue, residue_chain = load(args.file)
    h = Hierarchy(atom_residue, residue_chain)
    load_secs = time.perf_counter() - clock

    clock = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    n = len(truth)
    sigmas = schedule(args.steps)
    x = h.noise(rng, sigmas[0], n)
    # The sampler's frame: data @ frame_r + frame_t.
    frame_r, frame_t = np.eye(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    frames = [(sigmas[0], x.copy(), None)]
    for sigma, sigma_next in zip(sigmas[:-1], sigmas[1:]):
        r, t = random_rotation(rng), rng.normal(size=3).astype(np.float32)
        center = x.mean(axis=0)
        x = (x - center) @ r + t
        frame_r, frame_t = frame_r @ r, (frame_t - center) @ r + t
        gamma = GAMMA_0 if sigma_next > GAMMA_MIN else 0.0
        t_hat = sigma * (1 + gamma)
        x_hat = x + h.noise(rng, NOISE_SCALE * np.sqrt(t_hat ** 2 - sigma ** 2), n)
        x0 = truth @ frame_r + frame_t
        ar, at = kabsch(x_hat, x0)
        x_hat = x_hat @ ar + at
        x = x_hat + STEP_SCALE * (sigma_next - t_hat) * (x_hat - x0) / t_hat
        # Record in the data frame.
        inverse = frame_r.T
        frames.append((sigma_next, (x - frame_t) @ inverse, (x0 - frame_t) @ inverse))
    sample_secs = time.perf_counter() - clock
    if args.no_figures:
        print(json.dumps({"atoms": n, "frames": len(frames)}))
        return

    clock = time.perf_counter()
    truth_levels = h.levels(truth)
    rows, previous = [], None
    for index, (sigma, x_t, x0) in enumerate(frames):
        now = h.levels(x_t)
        row = {
            "index": index,
            "sigma": float(sigma),
            "rmsd": [superposed_rmsd(p, q) for p, q in zip(now, truth_levels)],
            "x0_rmsd": None if x0 is None else superposed_rmsd(x0, truth),
        }
        if previous is not None:
            row["motion"] = [rms(p, q) for p, q in zip(now, previous)]
            row["residue_motion"] = np.sqrt(((now[1] - previous[1]) ** 2).sum(axis=1)).tolist()
        rows.append(row)
        previous = now
    metrics_secs = time.perf_counter() - clock

    clock = time.perf_counter()
    text = json.dumps({"atoms": n, "frames": rows, "final_rmsd": rows[-1]["rmsd"][0]})
    sys.stdout.write(text + "\n")
    json_secs = time.perf_counter() - clock
    print(json.dumps({
        "peer": f"numpy {np.__version__}, gemmi {gemmi.__version__}",
        "atoms": n,
        "parts_secs": {"load": load_secs, "steps_and_recording": sample_secs, "metrics": metrics_secs, "json_report": json_secs},
    }), file=sys.stderr)


if __name__ == "__main__":
    main()
