"""Returns x as x0_hat: no model at all, so `sigmascope-bench external-denoiser` times the protocol's
round trip alone."""

import os
import sys

# The package in python/ (pip install ./python puts it on the path; this finds it in a checkout).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from sigmascope import serve  # noqa: E402

if __name__ == "__main__":
    serve(lambda x, sigma, info: x, name="echo")
