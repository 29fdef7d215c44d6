"""A deliberately flawed denoiser: the ground truth in x's frame, except that each residue keeps
SHRINK of its own offset from its chain as x has it, instead of the truth's. Residues then barely
move relative to their chain: only with it, which sigmascope's diagnosis must name."""

import os
import sys

# The package in python/ (pip install ./python puts it on the path; this finds it in a checkout).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from sigmascope import serve  # noqa: E402

SHRINK = float(os.environ.get("SHRINK", "0.9"))


def flawed(x, sigma, info):
    x = x.astype(float)
    x0 = info.reference_in_frame()

    def own(points):
        residues = info.residue_centroids(points)
        return residues - info.chain_centroids(residues)[info.residue_chain]

    return x0 + SHRINK * (own(x) - own(x0))[info.atom_residue]


if __name__ == "__main__":
    serve(flawed, name=f"flawed (residue own motion x{SHRINK})")
