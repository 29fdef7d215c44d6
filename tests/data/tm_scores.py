"""Writes tests/data/tm_scores.tsv: TM-scores of Cα traces computed by TM-align (tmtools 0.3.0, the
Zhang lab's code), the peer sigmascope's tm_score is checked against. Pairs: 1L2Y models 2..6 against
model 1 (the NMR ensemble, 20 residues), and 4HHB chain B against chain D (146 residues each).
Run from the repository root: python3 tests/data/tm_scores.py"""
import gemmi
import numpy as np
from tmtools import tm_align

def ca(model, chain=None):
    out, seq = [], []
    for ch in model:
        if chain and ch.name != chain:
            continue
        for res in ch:
            atom = res.find_atom("CA", "*")
            if atom:
                out.append(atom.pos.tolist())
                seq.append(gemmi.find_tabulated_residue(res.name).one_letter_code.upper())
    return np.array(out), "".join(seq)

rows = []
nmr = gemmi.read_structure("assets/1l2y.pdb")
ref, seq = ca(nmr[0])
for k in range(1, 6):
    model, seq2 = ca(nmr[k])
    r = tm_align(model, ref, seq2, seq)
    rows.append(("1l2y", k + 1, 1, "-", r.tm_norm_chain2))
hb = gemmi.read_structure("assets/4hhb.pdb")
b, sb = ca(hb[0], "B")
d, sd = ca(hb[0], "D")
r = tm_align(d, b, sd, sb)
rows.append(("4hhb", 1, 1, "D:B", r.tm_norm_chain2))
with open("tests/data/tm_scores.tsv", "w") as f:
    f.write("structure\tmodel\treference_model\tchains\ttm_score\n")
    for row in rows:
        f.write("\t".join(str(v) for v in row[:-1]) + f"\t{row[-1]:.5f}\n")
print(open("tests/data/tm_scores.tsv").read())
