"""The exact denoiser through the external protocol: the ground truth placed in x's frame (x arrives in
the sampler's centred, augmented frame). Sampling with it returns the ground truth, as the built-in
exact denoiser does: a check of the loop, not a model."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigmascope_denoiser import serve  # noqa: E402


def exact(x, sigma, info):
    return info.reference_in_frame()


if __name__ == "__main__":
    serve(exact, name="exact (external)")
