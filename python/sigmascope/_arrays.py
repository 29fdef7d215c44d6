"""Coordinates as the user hands them over: NumPy or torch (detached and moved to the CPU, never
imported here), [atoms, 3] or AlphaFold2 atom37 [residues, 37, 3]."""

import numpy as np


def as_numpy(values):
    """A NumPy array of `values`; a torch tensor is detached and copied to the CPU first."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu()
        if hasattr(values, "float"):
            values = values.float()
        values = values.numpy()
    return np.asarray(values)


def points(values, topology, what):
    """`values` as float32 [atoms, 3] of `topology`'s atoms (atom37 input flattened by its mask)."""
    array = as_numpy(values)
    if array.ndim == 3 and array.shape[1:] == (37, 3) and topology.slot_mask is not None:
        if array.shape[0] != topology.slot_mask.shape[0]:
            raise ValueError(f"{what} has {array.shape[0]} residues; the topology has {topology.slot_mask.shape[0]}")
        array = array[topology.slot_mask]
    if array.ndim != 2 or array.shape != (topology.atoms, 3):
        raise ValueError(f"{what} has shape {tuple(array.shape)}; the topology needs ({topology.atoms}, 3)")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} has NaN or infinite coordinates")
    return array
