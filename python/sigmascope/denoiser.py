"""sigmascope's external-denoiser protocol, version 1 (standard library + NumPy).

Put your model in sigmascope's sampling loop:

    from sigmascope import serve

    def denoise(x, sigma, info):
        # x: float32 [atoms, 3], the noisy coordinates in the sampler's (augmented) frame, Å
        # sigma: the noise level of x, Å; info: the topology and the step (see Info)
        return my_model(x, sigma)          # x0_hat, [atoms, 3], same frame

    serve(denoise, name="my model")

and run `sigmascope sample 1crn --denoiser "external:python3 my_denoiser.py"` (or pick "external" in
the window's sampler panel). sigmascope starts the command, and on stdin/stdout each message is one
JSON header line followed by the raw little-endian arrays its "arrays" list names, in order:

    sigmascope -> you  {"protocol": "sigmascope-denoiser", "version": 1, "type": "hello", "atoms": N,
                        "residues": R, "chains": C, "atom_names": [...], "elements": [...],
                        "residue_names": [...], "residue_numbers": [...], "chain_ids": [...],
                        "arrays": [atom_residue <i4 [N], residue_chain <i4 [R], reference <f4 [N, 3]]}
    you -> sigmascope  {"type": "ready", "version": 1, "name": "..."}
    sigmascope -> you  {"type": "denoise", "step": k, "sigma": s, "level_sigmas": [atom, residue, chain],
                        "frame_from_data": {"rotation": 3x3, "translation": [3]},
                        "arrays": [x <f4 [N, 3]]}
    you -> sigmascope  {"type": "x0_hat", "arrays": [x0_hat <f4 [N, 3]]}
                       or {"type": "error", "message": "..."}
    sigmascope -> you  {"type": "stop"}

`reference` is the loaded structure (the ground truth) and `frame_from_data` the rigid map (rows:
y = x R + t) from its frame to x's (the sampler's centring and random augmentation), for loop checks
such as exact.py; a model under test should look at neither. Anything printed goes to stderr (stdout carries the protocol), and
sigmascope shows the last stderr lines when the child fails.
"""

import sys

import numpy as np

from ._protocol import read_message as _read, write_message as _write

PROTOCOL = "sigmascope-denoiser"
VERSION = 1


class Info:
    """The topology (from the hello message) and the current call's step and level sigmas."""

    def __init__(self, header, arrays):
        self.atoms = header["atoms"]
        self.residues = header["residues"]
        self.chains = header["chains"]
        self.atom_names = header["atom_names"]
        self.elements = header["elements"]
        self.residue_names = header["residue_names"]
        self.residue_numbers = header["residue_numbers"]
        self.chain_ids = header["chain_ids"]
        self.atom_residue = arrays["atom_residue"].astype(np.int64)
        self.residue_chain = arrays["residue_chain"].astype(np.int64)
        self.reference = arrays["reference"].astype(np.float64)
        self.step = 0
        self.level_sigmas = None
        self.rotation = np.eye(3)
        self.translation = np.zeros(3)

    def reference_in_frame(self):
        """The reference in x's frame (y = x R + t)."""
        return self.reference @ self.rotation + self.translation

    def residue_centroids(self, x):
        """Mean of each residue's atoms, [residues, 3] (a segment mean over atom_residue)."""
        sums = np.zeros((self.residues, 3))
        np.add.at(sums, self.atom_residue, x)
        counts = np.bincount(self.atom_residue, minlength=self.residues)[:, None]
        return sums / np.maximum(counts, 1)

    def chain_centroids(self, residue_centroids):
        """Mean of each chain's residue centroids, [chains, 3]."""
        sums = np.zeros((self.chains, 3))
        np.add.at(sums, self.residue_chain, residue_centroids)
        counts = np.bincount(self.residue_chain, minlength=self.chains)[:, None]
        return sums / np.maximum(counts, 1)


def serve(denoise, name=None):
    """Answers sigmascope's messages until it says stop: x0_hat = denoise(x, sigma, info)."""
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    hello = _read(inp)
    if hello is None:
        return
    header, arrays = hello
    if header.get("protocol") != PROTOCOL or header.get("version") != VERSION:
        _write(out, {"type": "error", "message": f"this client speaks {PROTOCOL} version {VERSION}"})
        return
    info = Info(header, arrays)
    _write(out, {"type": "ready", "version": VERSION, "name": name or sys.argv[0]})
    while True:
        message = _read(inp)
        if message is None or message[0].get("type") == "stop":
            return
        header, arrays = message
        info.step = header.get("step", 0)
        info.level_sigmas = header.get("level_sigmas")
        frame = header.get("frame_from_data") or {}
        info.rotation = np.asarray(frame.get("rotation", np.eye(3)), dtype=float)
        info.translation = np.asarray(frame.get("translation", np.zeros(3)), dtype=float)
        try:
            x0_hat = np.asarray(denoise(arrays["x"], header["sigma"], info))
        except Exception as error:  # the model's failure is reported, the loop goes on
            _write(out, {"type": "error", "message": f"{type(error).__name__}: {error}"})
            continue
        _write(out, {"type": "x0_hat"}, [("x0_hat", x0_hat)])


def superpose(mobile, target):
    """`mobile` moved rigidly onto `target` (Kabsch, least squares)."""
    mc, tc = mobile.mean(axis=0), target.mean(axis=0)
    h = (mobile - mc).T @ (target - tc)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rotation = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return (mobile - mc) @ rotation.T + tc
