"""Writes the trajectory files of tests/pipeline/tool_runs.rs the way each tool writes them.

Each writer follows the tool's own code (named beside it; see ../shared/research/trajectory_formats.md in
the project notes): its format strings, record order, model order and quirks. Coordinates are real
structures of tests/data read with gemmi; the states are the truth plus decreasing Gaussian noise,
noisiest first before a writer flips them. Deterministic (NumPy's default_rng with fixed seeds).
Run from the repository root: python3 tests/data/tools/make_fixtures.py
"""
import gzip
import os

import gemmi
import numpy as np

OUT = "tests/data/tools/"
# AlphaFold2 common/residue_constants.py
RESTYPES = "ARNDCQEGHILKMFPSTWYV"
RES_1TO3 = dict(zip(RESTYPES, ["ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE",
                               "LEU", "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL"]))
RES_3TO1 = {v: k for k, v in RES_1TO3.items()}
ATOM_TYPES = ["N", "CA", "C", "CB", "O", "CG", "CG1", "CG2", "OG", "OG1", "SG", "CD", "CD1", "CD2",
              "ND1", "ND2", "OD1", "OD2", "SD", "CE", "CE1", "CE2", "CE3", "NE", "NE1", "NE2", "OE1",
              "OE2", "CH2", "NH1", "NH2", "OH", "CZ", "CZ2", "CZ3", "NZ", "OXT"]
ATOM14 = {
    "ALA": ["N", "CA", "C", "O", "CB"],
    "ARG": ["N", "CA", "C", "O", "CB", "CG", "CD", "NE", "CZ", "NH1", "NH2"],
    "ASN": ["N", "CA", "C", "O", "CB", "CG", "OD1", "ND2"],
    "ASP": ["N", "CA", "C", "O", "CB", "CG", "OD1", "OD2"],
    "CYS": ["N", "CA", "C", "O", "CB", "SG"],
    "GLN": ["N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "NE2"],
    "GLU": ["N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "OE2"],
    "GLY": ["N", "CA", "C", "O"],
    "HIS": ["N", "CA", "C", "O", "CB", "CG", "ND1", "CD2", "CE1", "NE2"],
    "ILE": ["N", "CA", "C", "O", "CB", "CG1", "CG2", "CD1"],
    "LEU": ["N", "CA", "C", "O", "CB", "CG", "CD1", "CD2"],
    "LYS": ["N", "CA", "C", "O", "CB", "CG", "CD", "CE", "NZ"],
    "MET": ["N", "CA", "C", "O", "CB", "CG", "SD", "CE"],
    "PHE": ["N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ"],
    "PRO": ["N", "CA", "C", "O", "CB", "CG", "CD"],
    "SER": ["N", "CA", "C", "O", "CB", "OG"],
    "THR": ["N", "CA", "C", "O", "CB", "OG1", "CG2"],
    "TRP": ["N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "NE1", "CE2", "CE3", "CZ2", "CZ3", "CH2"],
    "TYR": ["N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ", "OH"],
    "VAL": ["N", "CA", "C", "O", "CB", "CG1", "CG2"],
}
PDB_CHAIN_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def residues_of(path, chains=None, first=None):
    """(chain, seq number, residue name, {atom name: xyz}) of the protein residues, heavy atoms."""
    st = gemmi.read_structure(path)
    st.remove_hydrogens()
    st.remove_ligands_and_waters()
    out = []
    for chain in st[0]:
        if chains and chain.name not in chains:
            continue
        for k, res in enumerate(chain):
            if first and k >= first:
                break
            atoms = {a.name: np.array([a.pos.x, a.pos.y, a.pos.z]) for a in res if a.altloc in "\0A"}
            out.append((chain.name, res.seqid.num, res.name, atoms))
    return out


def noisy_states(truth, frames, sigma_max, seed):
    """States noisiest first: truth + sigma_k * eps, sigma falling quadratically to 0."""
    rng = np.random.default_rng(seed)
    sigmas = sigma_max * (1.0 - np.arange(frames) / (frames - 1)) ** 2
    return np.stack([truth + s * rng.standard_normal(truth.shape) for s in sigmas]), sigmas


def atom37(residues):
    """AlphaFold2 Protein arrays of the residues: positions [R, 37, 3], mask, aatype."""
    pos = np.zeros((len(residues), 37, 3))
    mask = np.zeros((len(residues), 37))
    aatype = np.zeros(len(residues), dtype=np.int64)
    for i, (_, _, name, atoms) in enumerate(residues):
        aatype[i] = RESTYPES.index(RES_3TO1[name])
        for a, xyz in atoms.items():
            if a in ATOM_TYPES:
                pos[i, ATOM_TYPES.index(a)] = xyz
                mask[i, ATOM_TYPES.index(a)] = 1.0
    return pos, mask, aatype


def af2_to_pdb(aatype, atom_positions, atom_mask, residue_index, chain_index, b_factors, model, add_end):
    """AlphaFold2 common/protein.py to_pdb (FrameDiff's and MultiFlow's writer)."""
    restypes = list(RESTYPES) + ["X"]
    res_1to3 = lambda r: RES_1TO3.get(restypes[r], "UNK")
    lines = [f"MODEL     {model}"]
    atom_index = 1
    last_chain_index = chain_index[0]
    for i in range(aatype.shape[0]):
        if last_chain_index != chain_index[i]:
            lines.append(f"{'TER':<6}{atom_index:>5}      {res_1to3(aatype[i - 1]):>3} "
                         f"{PDB_CHAIN_IDS[chain_index[i - 1]]:>1}{residue_index[i - 1]:>4}")
            last_chain_index = chain_index[i]
            atom_index += 1
        res_name_3 = res_1to3(aatype[i])
        for atom_name, pos, mask, b_factor in zip(ATOM_TYPES, atom_positions[i], atom_mask[i], b_factors[i]):
            if mask < 0.5:
                continue
            name = atom_name if len(atom_name) == 4 else f" {atom_name}"
            element = atom_name[0]
            lines.append(f"{'ATOM':<6}{atom_index:>5} {name:<4}{'':>1}{res_name_3:>3} "
                         f"{PDB_CHAIN_IDS[chain_index[i]]:>1}{residue_index[i]:>4}{'':>1}   "
                         f"{pos[0]:>8.3f}{pos[1]:>8.3f}{pos[2]:>8.3f}{1.00:>6.2f}{b_factor:>6.2f}          "
                         f"{element:>2}{'':>2}")
            atom_index += 1
    lines.append(f"{'TER':<6}{atom_index:>5}      {res_1to3(aatype[-1]):>3} "
                 f"{PDB_CHAIN_IDS[chain_index[-1]]:>1}{residue_index[-1]:>4}")
    lines.append("ENDMDL")
    if add_end:
        lines.append("END")
    return "\n".join(line.ljust(80) for line in lines) + "\n"


def framediff_write_prot_to_pdb(prot_pos, path, aatype=None, b_factors=None):
    """FrameDiff analysis/utils.py write_prot_to_pdb for a [T, N, 37, 3] stack: create_full_prot's
    residue_index arange + 1, chain 0, aatype zeros (ALA) unless given, mask from non-zero atoms; each
    model written with add_end=False and one END at the end (no newline)."""
    with open(path, "w") as f:
        for t, pos37 in enumerate(prot_pos):
            mask = np.sum(np.abs(pos37), axis=-1) > 1e-7
            n = pos37.shape[0]
            aa = np.zeros(n, dtype=int) if aatype is None else (aatype[t] if aatype.ndim == 2 else aatype)
            bf = np.zeros((n, 37)) if b_factors is None else b_factors
            f.write(af2_to_pdb(aa, pos37, mask, np.arange(n) + 1, np.zeros(n, dtype=int), bf, t + 1, False))
        f.write("END")


def backbone37(residues, states):
    """atom37 backbone stacks (N, CA, C, O) of states [T, R*4, 3]."""
    t = states.shape[0]
    pos = np.zeros((t, len(residues), 37, 3))
    for k, slot in enumerate([0, 1, 2, 4]):
        pos[:, :, slot] = states[:, k::4]
    return pos


def backbone_truth(residues):
    return np.array([r[3][a] for r in residues for a in ["N", "CA", "C", "O"]])


def framediff():
    res = residues_of("tests/data/1crn.cif")
    truth = backbone_truth(res)
    states, _ = noisy_states(truth, 10, 12.0, 1)
    preds, _ = noisy_states(truth, 10, 2.0, 2)
    os.makedirs(OUT + "framediff/sample_0", exist_ok=True)
    # inference_se3_diffusion.py save_traj: the stacks flipped "for visualization", index 0 the final.
    framediff_write_prot_to_pdb(backbone37(res, states)[::-1], OUT + "framediff/sample_0/bb_traj_1.pdb")
    framediff_write_prot_to_pdb(backbone37(res, preds)[::-1], OUT + "framediff/sample_0/x0_traj_1.pdb")


def multiflow():
    res = residues_of("tests/data/1crn.cif")
    truth = backbone_truth(res)
    states, _ = noisy_states(truth, 8, 12.0, 3)
    preds, _ = noisy_states(truth, 8, 2.0, 4)
    # Co-designed sequences: residue types drift to the native sequence by the last model.
    native = np.array([RESTYPES.index(RES_3TO1[r[2]]) for r in res])
    rng = np.random.default_rng(5)
    aa_traj = np.stack([np.where(rng.random(len(res)) < k / 7, native, rng.integers(0, 20, len(res)))
                        for k in range(8)])
    aa_traj[-1] = native
    os.makedirs(OUT + "multiflow", exist_ok=True)
    # flow_module.py: bb_traj in sampling order, x0_traj flipped.
    framediff_write_prot_to_pdb(backbone37(res, states), OUT + "multiflow/bb_traj.pdb", aatype=aa_traj)
    framediff_write_prot_to_pdb(backbone37(res, preds)[::-1], OUT + "multiflow/x0_traj.pdb",
                                aatype=aa_traj[::-1])


def rfdiffusion():
    """util.py writepdb_multi: "%-6s%5s %4s %3s %s%4d    %8.3f%8.3f%8.3f%6.2f%6.2f", residues numbered
    i + 1 over the whole design, designed residues GLY, B-factor 0 diffused / 1 motif, an ENDMDL after
    each model and no MODEL or END; run_inference.py flips both stacks (final first)."""
    res = residues_of("tests/data/4hhb.cif", chains=["A", "B"], first=30)
    truth = backbone_truth(res)
    # T = 15, the fewest steps RFdiffusion's get_beta_schedule accepts.
    states, _ = noisy_states(truth, 15, 15.0, 6)
    preds, _ = noisy_states(truth, 15, 2.0, 7)
    os.makedirs(OUT + "rfdiffusion/traj", exist_ok=True)
    for stack, name in [(states, "design_0_Xt-1_traj.pdb"), (preds, "design_0_pX0_traj.pdb")]:
        with open(OUT + "rfdiffusion/traj/" + name, "w") as f:
            for model in stack[::-1]:
                ctr = 1
                for i, (chain, _, _, _) in enumerate(res):
                    for k, atm in enumerate([" N  ", " CA ", " C  ", " O  "]):
                        x, y, z = model[4 * i + k]
                        f.write("%-6s%5s %4s %3s %s%4d    %8.3f%8.3f%8.3f%6.2f%6.2f\n"
                                % ("ATOM", ctr, atm, "GLY", chain, i + 1, x, y, z, 1.0, 0.0))
                        ctr += 1
                f.write("ENDMDL\n")
    # The ground truth of the scaffold: 4HHB chains A and B, residues 1-30, all heavy atoms.
    st = gemmi.Structure()
    model = gemmi.Model("1")
    for chain_name in ["A", "B"]:
        chain = gemmi.Chain(chain_name)
        for c, num, name, atoms in res:
            if c != chain_name:
                continue
            r = gemmi.Residue()
            r.name = name
            r.seqid = gemmi.SeqId(num, " ")
            for a, xyz in atoms.items():
                atom = gemmi.Atom()
                atom.name = a
                atom.element = gemmi.Element(a[0])
                atom.pos = gemmi.Position(*xyz)
                r.add_atom(atom)
            chain.add_residue(r)
        model.add_chain(chain)
    st.add_model(model)
    st.setup_entities()
    st.write_pdb(OUT + "rfdiffusion/4hhb_ab_1-30.pdb")


def biotite_cif(models, atoms, path):
    """biotite.structure.io.pdbx set_structure for an AtomArrayStack, then CIFFile.write: one atom_site
    loop in set_structure's column order (group_PDB … auth_atom_id, Cartn_x/y/z, pdbx_PDB_model_num,
    then id, numbered across models), '.' for inapplicable values, columns padded to their width."""
    cols = ["group_PDB", "type_symbol", "label_atom_id", "label_alt_id", "label_comp_id", "label_asym_id",
            "label_entity_id", "label_seq_id", "pdbx_PDB_ins_code", "auth_seq_id", "auth_comp_id",
            "auth_asym_id", "auth_atom_id", "Cartn_x", "Cartn_y", "Cartn_z", "pdbx_PDB_model_num", "id"]
    entity = {}
    rows = []
    for m, coords in enumerate(models):
        for (chain, num, res, name), xyz in zip(atoms, coords):
            e = entity.setdefault(chain, len(entity) + 1)
            rows.append(["ATOM", name[0], name, ".", res, chain, str(e), str(num), ".", str(num), res,
                         chain, name, f"{xyz[0]:.3f}", f"{xyz[1]:.3f}", f"{xyz[2]:.3f}", str(m + 1),
                         str(len(rows) + 1)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    text = "data_design\n#\nloop_\n" + "".join(f"_atom_site.{c}\n" for c in cols)
    text += "".join(" ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n" for r in rows)
    text += "#\n"
    with gzip.open(path, "wt") as f:
        f.write(text)


def rfdiffusion3():
    """engine.py / utils/io.py: <id>_noisy_model_<i>.cif.gz and <id>_denoised_model_<i>.cif.gz, clean frame
    first; the noisy frames at the network's input scale x * sigma_data / sqrt(t^2 + sigma_data^2)."""
    res = residues_of("tests/data/1crn.cif")
    atoms = [(c, n, r, a) for c, n, r, at in res for a in at]
    truth = np.array([xyz for _, _, _, at in res for xyz in at.values()])
    frames = 12
    # AF3's schedule (sigma_data 16, s_max 160, s_min 4e-4, rho 7) for 11 steps and a final 0.
    t = np.arange(frames - 1) / (frames - 2)
    sig = 16 * (160 ** (1 / 7) + t * (4e-4 ** (1 / 7) - 160 ** (1 / 7))) ** 7
    sigmas = np.append(sig, 0.0)
    rng = np.random.default_rng(8)
    states = np.stack([truth + s * rng.standard_normal(truth.shape) for s in sigmas])
    preds = np.stack([truth + 0.05 * s ** 0.5 * rng.standard_normal(truth.shape) for s in sigmas])
    scaled = states * (16 / np.sqrt(sigmas ** 2 + 16 ** 2))[:, None, None]
    os.makedirs(OUT + "rfd3", exist_ok=True)
    biotite_cif(scaled[::-1], atoms, OUT + "rfd3/design_noisy_model_0.cif.gz")
    biotite_cif(preds[::-1], atoms, OUT + "rfd3/design_denoised_model_0.cif.gz")
    np.save(OUT + "rfd3/expected_states.npy", states.astype(np.float32))
    # t-hat per frame is not written by RFdiffusion3; a user keeps it beside the run, noisiest first.
    with open(OUT + "rfd3/sigma.txt", "w") as f:
        f.write("\n".join(f"{s:.6f}" for s in sigmas) + "\n")


def boltz_pdb_lines(res_atoms, coords, model):
    """BoltzGen's PDB writer (the AlphaFold2 atom-line format strings) inside MODEL/ENDMDL."""
    lines = [f"MODEL     {model}"]
    for k, ((chain, num, res, name), xyz) in enumerate(zip(res_atoms, coords)):
        padded = name if len(name) == 4 else f" {name}"
        lines.append(f"{'ATOM':<6}{k + 1:>5} {padded:<4}{'':>1}{res:>3} {chain:>1}{num:>4}{'':>1}   "
                     f"{xyz[0]:>8.3f}{xyz[1]:>8.3f}{xyz[2]:>8.3f}{1.00:>6.2f}{0.0:>6.2f}          "
                     f"{name[0]:>2}{'':>2}")
    lines.append("ENDMDL")
    return lines


def kabsch_onto(mobile, target):
    pm, pt = mobile.mean(0), target.mean(0)
    h = (mobile - pm).T @ (target - pt)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1, 1, d]) @ u.T
    return (mobile - pm) @ r.T + pt


def boltzgen():
    """task/predict/writer.py save_traj / save_x0_traj: noise first, MODEL records, the final state
    recorded twice, each frame aligned to the previous one; sigma_max 160 * 16 = 2560 A overflows %8.3f."""
    res = residues_of("tests/data/1crn.cif")
    atoms = [(c, n, r, a) for c, n, r, at in res for a in at]
    truth = np.array([xyz for _, _, _, at in res for xyz in at.values()])
    rng = np.random.default_rng(9)
    sigmas = np.array([2560.0, 900.0, 250.0, 60.0, 12.0, 2.0, 0.0])
    states = [truth + s * rng.standard_normal(truth.shape) for s in sigmas]
    for k in range(1, len(states)):
        states[k] = kabsch_onto(states[k], states[k - 1])
    states.append(states[-1])
    preds = [truth + 0.2 * s ** 0.5 * rng.standard_normal(truth.shape) for s in sigmas] + [truth]
    os.makedirs(OUT + "boltzgen", exist_ok=True)
    for stack, name in [(states, "design_traj.pdb"), (preds, "design_x0_traj.pdb")]:
        lines = []
        for m, coords in enumerate(stack):
            lines += boltz_pdb_lines(atoms, coords, m + 1)
        with open(OUT + "boltzgen/" + name, "w") as f:
            f.write("\n".join(lines) + "\nEND\n")


def chroma():
    """A Chroma run written with gemmi (trajectory and Xhat_trajectory, noise first, backbone N CA C O)."""
    res = residues_of("tests/data/1ubq.cif")
    truth = backbone_truth(res)
    states, _ = noisy_states(truth, 9, 30.0, 10)
    os.makedirs(OUT + "chroma", exist_ok=True)
    st = gemmi.Structure()
    for m, coords in enumerate(states):
        model = gemmi.Model(str(m + 1))
        chain = gemmi.Chain("A")
        for i, (_, num, name, _) in enumerate(res):
            r = gemmi.Residue()
            r.name = name
            r.seqid = gemmi.SeqId(num, " ")
            r.entity_type = gemmi.EntityType.Polymer
            for k, a in enumerate(["N", "CA", "C", "O"]):
                atom = gemmi.Atom()
                atom.name = a
                atom.element = gemmi.Element(a[0])
                atom.pos = gemmi.Position(*coords[4 * i + k])
                r.add_atom(atom)
            chain.add_residue(r)
        model.add_chain(chain)
        st.add_model(model)
    st.setup_entities()
    st.make_mmcif_document().write_file(OUT + "chroma/trajectory.cif")


def arrays():
    """AlphaFold2-lineage arrays: an atom37 Protein stack with a per-frame mask (side chains appear late),
    an atom14 stack, and Proteina's C-alpha trace in nanometres."""
    res = residues_of("tests/data/1crn.cif")
    pos, mask, aatype = atom37(res)
    flat = pos.reshape(-1, 3)
    states, sigmas = noisy_states(flat, 6, 10.0, 11)
    stack = states.reshape(6, *pos.shape) * mask[None, :, :, None]
    frame_mask = np.repeat(mask[None], 6, axis=0)
    frame_mask[:3, :, 5:] = 0.0  # no side chain beyond CB in the three noisiest frames
    os.makedirs(OUT + "arrays", exist_ok=True)
    np.savez(OUT + "arrays/atom37_run.npz", atom_positions=stack.astype(np.float32), atom_mask=frame_mask,
             aatype=aatype, residue_index=np.array([r[1] for r in res]), chain_index=np.zeros(len(res), int),
             b_factors=np.zeros(mask.shape))
    a14 = np.zeros((6, len(res), 14, 3), dtype=np.float32)
    for i, (_, _, name, _) in enumerate(res):
        for s, a in enumerate(ATOM14[name]):
            a14[:, i, s] = stack[:, i, ATOM_TYPES.index(a)]
    np.savez_compressed(OUT + "arrays/atom14_run.npz", x_t=a14, aatype=aatype)
    ca = stack[:, :, 1] / 10.0
    np.save(OUT + "arrays/proteina_ca_nm.npy", ca.astype(np.float32))


def steps_folder():
    """DiffDock-PP's visualization: one PDB per step (ligand-0.pdb … ligand-9.pdb), step 0 noisiest."""
    res = residues_of("tests/data/1crn.cif")
    atoms = [(c, n, r, a) for c, n, r, at in res for a in at]
    truth = np.array([xyz for _, _, _, at in res for xyz in at.values()])
    states, _ = noisy_states(truth, 10, 10.0, 12)
    os.makedirs(OUT + "steps", exist_ok=True)
    for k, coords in enumerate(states):
        with open(OUT + f"steps/ligand-{k}.pdb", "w") as f:
            f.write("\n".join(boltz_pdb_lines(atoms, coords, 1)[1:-1]) + "\nEND\n")


def boltz():
    """boltz/data/types.py StructureV2 (and Boltz-1's Structure) dumped with np.savez_compressed(**asdict):
    structured arrays, packed; OXT marked not present. Beside it, raw sampler states [T, all atoms, 3]
    as a user saves them from AtomDiffusion.sample, a random rotation and translation every step."""
    res = residues_of("tests/data/1crn.cif")
    atom_v2 = [("name", "<U4"), ("coords", "3f4"), ("is_present", "?"), ("bfactor", "f4"), ("plddt", "f4")]
    atom_v1 = [("name", "4i1"), ("element", "i1"), ("charge", "i1"), ("coords", "3f4"), ("conformer", "3f4"),
               ("is_present", "?"), ("chirality", "i1")]
    residue = [("name", "<U5"), ("res_type", "i1"), ("res_idx", "i4"), ("atom_idx", "i4"), ("atom_num", "i4"),
               ("atom_center", "i4"), ("atom_disto", "i4"), ("is_standard", "?"), ("is_present", "?")]
    chain_v1 = [("name", "<U5"), ("mol_type", "i1"), ("entity_id", "i4"), ("sym_id", "i4"), ("asym_id", "i4"),
                ("atom_idx", "i4"), ("atom_num", "i4"), ("res_idx", "i4"), ("res_num", "i4")]
    chain_v2 = chain_v1 + [("cyclic_period", "i4")]
    atoms2, atoms1, residues = [], [], []
    for i, (_, _, name, at) in enumerate(res):
        start = len(atoms2)
        for a, xyz in at.items():
            present = a != "OXT"
            atoms2.append((a, xyz, present, 0.0, 0.0))
            atoms1.append(([ord(c) - 32 for c in a.ljust(4)], 0, 0, xyz, xyz, present, 0))
        residues.append((name, 0, i, start, len(atoms2) - start, start + 1, start + 1, True, True))
    n_atoms = len(atoms2)
    os.makedirs(OUT + "boltz", exist_ok=True)
    common = dict(bonds=np.zeros(0, dtype=[("atom_1", "i4"), ("atom_2", "i4"), ("type", "i1")]),
                  residues=np.array(residues, dtype=residue), mask=np.ones(1, dtype=bool),
                  interfaces=np.zeros(0, dtype=[("chain_1", "i4"), ("chain_2", "i4")]))
    np.savez_compressed(OUT + "boltz/1crn_structure_v2.npz", atoms=np.array(atoms2, dtype=atom_v2),
                        chains=np.array([("A", 0, 0, 0, 0, 0, n_atoms, 0, len(res), 0)], dtype=chain_v2),
                        coords=np.array([(a[1],) for a in atoms2], dtype=[("coords", "3f4")]), **common)
    np.savez_compressed(OUT + "boltz/1crn_structure_v1.npz", atoms=np.array(atoms1, dtype=atom_v1),
                        chains=np.array([("A", 0, 0, 0, 0, 0, n_atoms, 0, len(res))], dtype=chain_v1),
                        connections=np.zeros(0, dtype=[("chain_1", "i4")]), **common)
    truth = np.array([a[1] for a in atoms2])
    rng = np.random.default_rng(13)
    states = []
    for s in [160.0, 40.0, 10.0, 2.0, 0.0]:
        x = truth + s * rng.standard_normal(truth.shape)
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        states.append((x - x.mean(0)) @ (q * np.sign(np.linalg.det(q))).T + rng.standard_normal(3))
    np.save(OUT + "boltz/sampler_states.npy", np.stack(states).astype(np.float32))


if __name__ == "__main__":
    boltz()
    framediff()
    multiflow()
    rfdiffusion()
    rfdiffusion3()
    boltzgen()
    chroma()
    arrays()
    steps_folder()
