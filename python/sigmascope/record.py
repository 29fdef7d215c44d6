"""Recording a sampling loop to the NPZ sigmascope opens (`sigmascope RUN.npz`), with no viewer at all:
the same `log` and `close` as a streamed run."""

import os
import tempfile

import numpy as np

from ._arrays import as_numpy, points
from ._topology import topology_of


class Recorder:
    """Collects steps; `close` writes them (atomically) to the path given to `record`."""

    def __init__(self, path, topology):
        self.path = os.fspath(path)
        self._topology = topology_of(topology)
        self._x_t, self._x0_hat, self._sigma = [], [], []
        self.dropped = 0

    def log(self, x_t, x0_hat=None, sigma=None, step=None, **scalars):
        """Keeps one step (see `Run.log`)."""
        if self._topology.atoms is None:
            self._topology.atoms = as_numpy(x_t).reshape(-1, 3).shape[0]
        self._x_t.append(points(x_t, self._topology, "x_t"))
        self._x0_hat.append(None if x0_hat is None else points(x0_hat, self._topology, "x0_hat"))
        self._sigma.append(np.nan if sigma is None else float(as_numpy(sigma)))

    def close(self):
        """Writes the NPZ: x_t, x0_hat (when every step had one), sigma, and the naming keys."""
        if not self._x_t:
            raise ValueError("nothing was logged")
        arrays = {"x_t": np.stack(self._x_t), "sigma": np.array(self._sigma)}
        if all(x is not None for x in self._x0_hat):
            arrays["x0_hat"] = np.stack(self._x0_hat)
        arrays.update(self._topology.npz_keys())
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.part")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, **arrays)
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()


def record(path, topology):
    """A recorder with the streamed run's `log`/`close`, writing `path` when closed."""
    return Recorder(path, topology)
