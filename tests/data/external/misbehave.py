"""Test peer for the external-denoiser protocol: misbehaves as MODE says, after AFTER good calls.
MODE: wrong_shape, nan, sleep, die, error, garbage. Uses the shipped client for the good calls."""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "python"))
import numpy as np  # noqa: E402
from sigmascope import serve  # noqa: E402

MODE = sys.argv[1]
AFTER = int(sys.argv[2]) if len(sys.argv) > 2 else 0
calls = 0


def denoise(x, sigma, info):
    global calls
    calls += 1
    if calls <= AFTER:
        return info.reference_in_frame()
    if MODE == "wrong_shape":
        return np.zeros((info.atoms - 1, 3))
    if MODE == "nan":
        out = info.reference_in_frame()
        out[3, 1] = np.nan
        return out
    if MODE == "sleep":
        time.sleep(30)
    if MODE == "die":
        print("denoiser: giving up on purpose", file=sys.stderr)
        sys.stderr.flush()
        os._exit(7)
    if MODE == "error":
        raise ValueError("model weights not found")
    if MODE == "garbage":
        sys.__stdout__.buffer.write(b"this is not a header\n")
        sys.__stdout__.buffer.flush()
        time.sleep(5)
    return info.reference_in_frame()


serve(denoise, name=f"misbehave {MODE}")
