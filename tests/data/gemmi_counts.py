"""Expected counts of every structure fixture, read by gemmi (the oracle of tests/pipeline/structure_contract.rs).

Selection = sigmascope's `Selection::everything()`: hydrogens, water and hetero groups kept; of the
atoms of one name in a residue, where any of them has an altloc, the first seen is kept; a residue is (chain name,
sequence number, insertion code), so a microheterogeneous residue counts once. Chains are gemmi's
chain names (parts merged). `ensemble` counts the models whose kept atoms have the same names and
residues as model 1's. Run from the repository root: python3 tests/data/gemmi_counts.py tests/data assets > tests/data/gemmi_counts.tsv
"""
import os
import sys

import gemmi


def kept_atoms(model):
    """(residue id, atom name) of the kept atoms, the residue ids and the chain names, in file order."""
    chains, by_residue = [], {}
    for chain in model:
        if chain.name not in chains:
            chains.append(chain.name)
        for res in chain:
            rid = (chain.name, res.seqid.num, res.seqid.icode)
            by_residue.setdefault(rid, []).extend(res)
    out = []
    for rid, atoms in by_residue.items():
        # Names that occur with an altloc: of these, the first location seen is kept, whether it has an
        # altloc or none (microheterogeneity: ILE 25 without altloc and LEU 25 with altloc A are one residue).
        with_alt = {a.name for a in atoms if a.altloc != "\0"}
        seen = set()
        for atom in atoms:
            if atom.name in with_alt:
                if atom.name in seen:
                    continue
                seen.add(atom.name)
            out.append((rid, atom.name))
    return out, list(by_residue), chains


def main(roots):
    print("file\toutcome\tmodels\tatoms\tresidues\tchains\tensemble")
    for root in roots:
        walk(root)


def walk(root):
    for dirpath, _, files in sorted(os.walk(root)):
        if "LICENSES" in dirpath or "fuzz_regressions" in dirpath:
            continue
        for name in sorted(files):
            if name.endswith((".md", ".txt", ".tsv", ".py")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path)
            try:
                st = gemmi.read_structure(path)
            except Exception as e:  # gemmi refuses the file
                print(f"{rel}\trefused\t\t\t\t\t# {str(e).splitlines()[0][:80]}")
                continue
            if len(st) == 0 or not any(True for _ in st[0].all()):
                print(f"{rel}\tno_atoms\t{len(st)}\t0\t0\t0\t0")
                continue
            atoms, residues, chains = kept_atoms(st[0])
            ensemble = sum(1 for m in st if kept_atoms(m)[0] == atoms)
            print(f"{rel}\tok\t{len(st)}\t{len(atoms)}\t{len(residues)}\t{len(chains)}\t{ensemble}")


if __name__ == "__main__":
    main(sys.argv[1:])
