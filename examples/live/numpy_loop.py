"""A Boltz-style sampling loop in NumPy, streamed live into sigmascope: three added lines (marked).

    sigmascope 1crn --listen          # the window, listening on 127.0.0.1:9876
    python3 examples/live/numpy_loop.py assets/1crn.pdb [ADDRESS] [STEPS]

The "denoiser" is the ground truth plus noise that shrinks with sigma: a stand-in for your model. With
`record` in place of `connect` the same loop writes run.npz for `sigmascope run.npz`.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import sigmascope  # noqa: E402  (1 of 3)


def heavy_atoms(path):
    """The heavy atoms of the first model of a PDB file (the atoms sigmascope loads)."""
    xyz = []
    with open(path) as f:
        for line in f:
            if line.startswith("ENDMDL"):
                break
            if line.startswith(("ATOM", "HETATM")) and line[76:78].strip() not in ("H", "D") \
                    and line[17:20] != "HOH":
                xyz.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
    return np.array(xyz)


def main():
    path = sys.argv[1]
    address = sys.argv[2] if len(sys.argv) > 2 else None
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    truth = heavy_atoms(path)
    rng = np.random.default_rng(0)
    sigmas = 160.0 * (1 - np.linspace(0, 1, steps + 1)) ** 3
    x = sigmas[0] * rng.standard_normal(truth.shape)
    with sigmascope.connect(address, topology=path, name="numpy loop") as run:  # (2 of 3)
        for k, (sigma, sigma_next) in enumerate(zip(sigmas[:-1], sigmas[1:])):
            x0_hat = truth + 0.05 * np.sqrt(sigma) * rng.standard_normal(truth.shape)
            x = x0_hat + (sigma_next / sigma) * (x - x0_hat)
            run.log(x, x0_hat=x0_hat, sigma=sigma_next, step=k)  # (3 of 3)
    print(f"streamed {steps} steps, {run.dropped} dropped")


if __name__ == "__main__":
    main()
