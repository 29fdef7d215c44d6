"""The exact denoiser through the external protocol: the ground truth placed in x's frame (x arrives in
the sampler's centred, augmented frame). Sampling with it returns the ground truth, as the built-in
exact denoiser does: a check of the loop, not a model."""

import os
import sys

# The package in python/ (pip install ./python puts it on the path; this finds it in a checkout).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from sigmascope import serve  # noqa: E402


def exact(x, sigma, info):
    return info.reference_in_frame()


if __name__ == "__main__":
    serve(exact, name="exact (external)")
