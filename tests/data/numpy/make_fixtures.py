"""Writes the NumPy-made trajectory fixtures of tests/pipeline/trajectory_files.rs with NumPy's own writers.

Atoms are 1CRN's heavy atoms in file order (what sigmascope loads by default), read with gemmi.
Frame k is the ground truth shifted by (k, -2k, 0.5k) Å plus k * 0.01 Å of a fixed per-atom pattern.
Run from the repository root: python3 tests/data/numpy/make_fixtures.py
"""
import gemmi
import numpy as np

st = gemmi.read_structure("assets/1crn.pdb")
st.remove_hydrogens()
st.remove_waters()
names, residues, chains, xyz = [], [], [], []
for ci, chain in enumerate(st[0]):
    for res in chain:
        for atom in res:
            names.append(atom.name)
            residues.append(res.seqid.num)
            chains.append(ci)
            xyz.append([atom.pos.x, atom.pos.y, atom.pos.z])
truth = np.array(xyz, dtype=np.float64)
n = len(truth)
pattern = np.stack([np.sin(np.arange(n)), np.cos(np.arange(n)), np.sin(0.5 * np.arange(n))], axis=1)
frames = np.stack([truth + [k, -2.0 * k, 0.5 * k] + 0.01 * k * pattern for k in range(1, 4)])
x0 = np.stack([truth + 0.001 * k * pattern for k in range(1, 4)])
sigma = np.array([80.0, 8.0, 0.0])
out = "tests/data/numpy/"
np.savez_compressed(out + "run_compressed.npz", x_t=frames.astype(np.float32), x0_hat=x0.astype(np.float32), sigma=sigma)
np.savez(out + "run_plain.npz", frames)
np.save(out + "run_fortran.npy", np.asfortranarray(frames))
np.save(out + "run_big_endian.npy", frames.astype(">f4"))
perm = np.random.default_rng(0).permutation(n)
np.savez_compressed(
    out + "run_shuffled.npz",
    x_t=frames[:, perm].astype(np.float32),
    atom_names=np.array(names)[perm],
    residue_index=np.array(residues)[perm],
    chain_index=np.array(chains)[perm],
)
np.save(out + "expected_frames.npy", frames)
print(n, "atoms")
