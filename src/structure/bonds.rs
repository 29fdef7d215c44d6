//! Covalent bonds from residue templates, never from distances (a noisy frame's atoms are anywhere)
//! nor from the first frame (a trajectory's first frame is noise): each amino acid's heavy-atom bonds
//! by name, the backbone bonds of any residue that has those atoms (so poly-GLY and poly-ALA designs get
//! theirs), and the peptide bond from each residue's C to the next residue's N in its chain.

use super::hierarchy::Structure;

/// Backbone bonds, for any residue with both atoms.
const BACKBONE: [(&str, &str); 5] = [
    ("N", "CA"),
    ("CA", "C"),
    ("C", "O"),
    ("C", "OXT"),
    ("CA", "CB"),
];

/// Side-chain bonds of the twenty amino acids beyond CB (standard heavy-atom topology).
fn side_chain(residue: &str) -> &'static [(&'static str, &'static str)] {
    match residue {
        "ARG" => &[
            ("CB", "CG"),
            ("CG", "CD"),
            ("CD", "NE"),
            ("NE", "CZ"),
            ("CZ", "NH1"),
            ("CZ", "NH2"),
        ],
        "ASN" => &[("CB", "CG"), ("CG", "OD1"), ("CG", "ND2")],
        "ASP" => &[("CB", "CG"), ("CG", "OD1"), ("CG", "OD2")],
        "CYS" => &[("CB", "SG")],
        "GLN" => &[("CB", "CG"), ("CG", "CD"), ("CD", "OE1"), ("CD", "NE2")],
        "GLU" => &[("CB", "CG"), ("CG", "CD"), ("CD", "OE1"), ("CD", "OE2")],
        "HIS" => &[
            ("CB", "CG"),
            ("CG", "ND1"),
            ("CG", "CD2"),
            ("ND1", "CE1"),
            ("CD2", "NE2"),
            ("CE1", "NE2"),
        ],
        "ILE" => &[("CB", "CG1"), ("CB", "CG2"), ("CG1", "CD1")],
        "LEU" => &[("CB", "CG"), ("CG", "CD1"), ("CG", "CD2")],
        "LYS" => &[("CB", "CG"), ("CG", "CD"), ("CD", "CE"), ("CE", "NZ")],
        "MET" => &[("CB", "CG"), ("CG", "SD"), ("SD", "CE")],
        "PHE" => &[
            ("CB", "CG"),
            ("CG", "CD1"),
            ("CG", "CD2"),
            ("CD1", "CE1"),
            ("CD2", "CE2"),
            ("CE1", "CZ"),
            ("CE2", "CZ"),
        ],
        "PRO" => &[("CB", "CG"), ("CG", "CD"), ("CD", "N")],
        "SER" => &[("CB", "OG")],
        "THR" => &[("CB", "OG1"), ("CB", "CG2")],
        "TRP" => &[
            ("CB", "CG"),
            ("CG", "CD1"),
            ("CG", "CD2"),
            ("CD1", "NE1"),
            ("NE1", "CE2"),
            ("CD2", "CE2"),
            ("CD2", "CE3"),
            ("CE2", "CZ2"),
            ("CE3", "CZ3"),
            ("CZ2", "CH2"),
            ("CZ3", "CH2"),
        ],
        "TYR" => &[
            ("CB", "CG"),
            ("CG", "CD1"),
            ("CG", "CD2"),
            ("CD1", "CE1"),
            ("CD2", "CE2"),
            ("CE1", "CZ"),
            ("CE2", "CZ"),
            ("CZ", "OH"),
        ],
        "VAL" => &[("CB", "CG1"), ("CB", "CG2")],
        _ => &[],
    }
}

/// Every template bond of `structure`, as atom index pairs.
pub fn template_bonds(structure: &Structure) -> Vec<[u32; 2]> {
    let mut bonds = Vec::new();
    let find = |r: usize, name: &str| {
        let atoms = structure.residues[r].atoms.clone();
        atoms
            .into_iter()
            .find(|&a| structure.atom_names[a as usize] == name)
    };
    for (r, residue) in structure.residues.iter().enumerate() {
        for (a, b) in BACKBONE.iter().chain(side_chain(&residue.name)) {
            if let (Some(a), Some(b)) = (find(r, a), find(r, b)) {
                bonds.push([a, b]);
            }
        }
        let next = r + 1;
        let same_chain = structure.residue_chain.get(next) == Some(&structure.residue_chain[r]);
        if same_chain && let (Some(c), Some(n)) = (find(r, "C"), find(next, "N")) {
            bonds.push([c, n]);
        }
    }
    bonds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::{LoadOptions, load_path};

    #[test]
    fn crambin_has_its_heavy_atom_bonds() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/1crn.pdb");
        let s = load_path(&path, &LoadOptions::default()).unwrap();
        let bonds = template_bonds(&s);
        // A protein chain is a tree of heavy atoms but for its rings (PHE, TYR, HIS: 1, TRP: 2, PRO: 1),
        // so bonds = atoms − 1 + rings; crambin's disulfides are not template bonds.
        let rings: usize = s
            .residues
            .iter()
            .map(|r| match r.name.as_str() {
                "PHE" | "TYR" | "HIS" | "PRO" => 1,
                "TRP" => 2,
                _ => 0,
            })
            .sum();
        assert_eq!(bonds.len(), s.atom_count() - 1 + rings);
        // Every bond joins atoms about 1.2–1.9 Å apart in the folded structure.
        for [a, b] in &bonds {
            let (p, q) = (s.positions[*a as usize], s.positions[*b as usize]);
            let d = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>().sqrt();
            assert!((1.1..1.95).contains(&d), "{a}-{b}: {d}");
        }
    }
}
