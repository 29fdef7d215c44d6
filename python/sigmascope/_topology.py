"""What names a run's atoms: a PDB/mmCIF file (its bytes are sent; sigmascope reads it), per-atom
naming arrays, or AlphaFold2's `aatype` with an atom37 mask."""

import os

import numpy as np

# AlphaFold2 common/residue_constants.py: restypes order and atom37 slots.
AF2_RESTYPES = ["ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU", "LYS", "MET",
                "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL", "UNK"]
ATOM37 = ["N", "CA", "C", "CB", "O", "CG", "CG1", "CG2", "OG", "OG1", "SG", "CD", "CD1", "CD2", "ND1", "ND2",
          "OD1", "OD2", "SD", "CE", "CE1", "CE2", "CE3", "NE", "NE1", "NE2", "OE1", "OE2", "CH2", "NH1",
          "NH2", "OH", "CZ", "CZ2", "CZ3", "NZ", "OXT"]
CHAIN_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _chain_id(index):
    index = int(index)
    return CHAIN_IDS[index] if 0 <= index < len(CHAIN_IDS) else str(index)


class Topology:
    """The atoms of a run: either a file (`file_name`, `file_bytes`) or per-atom names."""

    def __init__(self, atoms, file_name=None, file_bytes=None, names=None, slot_mask=None):
        self.atoms = atoms
        self.file_name = file_name
        self.file_bytes = file_bytes
        self.names = names
        self.slot_mask = slot_mask

    def hello(self):
        """The hello's `topology` and the arrays that follow it."""
        if self.file_bytes is not None:
            return {"kind": "file", "file_name": self.file_name}, [("topology_file", self.file_bytes)]
        return dict(kind="atoms", **self.names), []

    def npz_keys(self):
        """The naming keys of sigmascope's NPZ (a file topology travels as its bytes)."""
        if self.file_bytes is not None:
            return {"topology_file": np.frombuffer(self.file_bytes, dtype=np.uint8),
                    "topology_file_name": np.array(self.file_name)}
        n = self.names
        chains = {c: i for i, c in enumerate(dict.fromkeys(n["chain_ids"]))}
        return {"atom_names": np.array(n["atom_names"]), "residue_index": np.array(n["residue_numbers"]),
                "chain_index": np.array([chains[c] for c in n["chain_ids"]]),
                "residue_names": np.array(n["residue_names"]), "chain_ids": np.array(n["chain_ids"])}


def _from_names(atom_names, residue_index, chain_index=None, residue_names=None, chain_ids=None):
    atom_names = [str(a) for a in atom_names]
    n = len(atom_names)
    residue_index = [int(r) for r in np.asarray(residue_index).reshape(-1)]
    if len(residue_index) != n:
        raise ValueError(f"residue_index has {len(residue_index)} entries for {n} atoms")
    if chain_ids is None:
        chain_index = np.zeros(n, dtype=int) if chain_index is None else np.asarray(chain_index).reshape(-1)
        chain_ids = [_chain_id(c) for c in chain_index]
    residue_names = ["UNK"] * n if residue_names is None else [str(r) for r in residue_names]
    names = {"atom_names": atom_names, "residue_numbers": residue_index,
             "residue_names": residue_names, "chain_ids": [str(c) for c in chain_ids]}
    return Topology(n, names=names)


def _from_atom37(aatype, atom_mask, residue_index=None, chain_index=None):
    aatype = np.asarray(aatype).reshape(-1).astype(int)
    mask = np.asarray(atom_mask, dtype=float) > 0.5
    if mask.shape != (len(aatype), 37):
        raise ValueError(f"atom_mask has shape {mask.shape}; expected ({len(aatype)}, 37)")
    r_index = np.arange(1, len(aatype) + 1) if residue_index is None else np.asarray(residue_index)
    c_index = np.zeros(len(aatype), dtype=int) if chain_index is None else np.asarray(chain_index)
    residues, slots = np.nonzero(mask)
    names = {"atom_names": [ATOM37[s] for s in slots],
             "residue_numbers": [int(r_index[r]) for r in residues],
             "residue_names": [AF2_RESTYPES[min(max(aatype[r], 0), 20)] for r in residues],
             "chain_ids": [_chain_id(c_index[r]) for r in residues]}
    return Topology(len(slots), names=names, slot_mask=mask)


def topology_of(topology):
    """A Topology from a path, a dict of naming arrays, or a Topology."""
    if isinstance(topology, Topology):
        return topology
    if isinstance(topology, (str, os.PathLike)):
        path = os.fspath(topology)
        with open(path, "rb") as f:
            data = f.read()
        return Topology(None, file_name=os.path.basename(path), file_bytes=data)
    if isinstance(topology, dict):
        if "aatype" in topology and "atom_mask" in topology:
            return _from_atom37(topology["aatype"], topology["atom_mask"], topology.get("residue_index"),
                                topology.get("chain_index"))
        if "atom_names" in topology and "residue_index" in topology:
            return _from_names(**{k: topology[k] for k in
                                  ("atom_names", "residue_index", "chain_index", "residue_names", "chain_ids")
                                  if k in topology})
    raise ValueError("topology must be a PDB/mmCIF path, {atom_names, residue_index[, chain_index]} "
                     "or AlphaFold2's {aatype, atom_mask[, residue_index, chain_index]}")
