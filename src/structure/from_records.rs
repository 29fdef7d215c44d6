//! A structure built from named atoms rather than from a file's text: the topology an array file
//! carries itself (AlphaFold2's atom37/atom14 arrays with `aatype`, or per-atom naming arrays). Residues
//! are runs of atoms with the same chain and residue number, chains runs of residues with the same
//! chain id, both in the order given.

use super::hierarchy::{Chain, FileFormat, Residue, Selection, SelectionReport, Structure};

/// One named atom.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomRecord {
    /// Chain id (`A`).
    pub chain: String,
    /// Residue number.
    pub residue_number: isize,
    /// Residue name (`ALA`).
    pub residue_name: String,
    /// Atom name (`CA`).
    pub atom_name: String,
    /// Position, Å.
    pub position: [f32; 3],
}

impl Structure {
    /// The structure of `atoms`, named `name`; its positions (and its one model) are the atoms'. The
    /// element of each atom is its name's first letter (the arrays name protein heavy atoms only).
    pub fn from_atom_records(name: &str, atoms: &[AtomRecord]) -> Self {
        let mut s = Self {
            name: name.to_owned(),
            source_path: None,
            format: FileFormat::Pdb,
            model_count: 1,
            model_number: 1,
            positions: Vec::with_capacity(atoms.len()),
            elements: Vec::with_capacity(atoms.len()),
            atom_names: Vec::with_capacity(atoms.len()),
            b_factors: vec![0.0; atoms.len()],
            hetero: vec![false; atoms.len()],
            atom_residue: Vec::with_capacity(atoms.len()),
            residues: Vec::new(),
            residue_chain: Vec::new(),
            chains: Vec::new(),
            model_positions: Vec::new(),
            model_numbers: vec![1],
            selection: Selection::default(),
            dropped: SelectionReport::default(),
        };
        for (i, atom) in atoms.iter().enumerate() {
            let new_chain = s.chains.last().is_none_or(|c| c.id != atom.chain);
            let new_residue = new_chain
                || s.residues
                    .last()
                    .is_none_or(|r| r.number != atom.residue_number);
            if new_chain {
                let first = s.residues.len() as u32;
                s.chains.push(Chain {
                    id: atom.chain.clone(),
                    residues: first..first,
                });
            }
            let chain = s.chains.len() as u32 - 1;
            if new_residue {
                s.residues.push(Residue {
                    name: atom.residue_name.clone(),
                    number: atom.residue_number,
                    insertion_code: None,
                    chain,
                    atoms: i as u32..i as u32,
                });
                s.residue_chain.push(chain);
                if let Some(c) = s.chains.last_mut() {
                    c.residues.end += 1;
                }
            }
            if let Some(r) = s.residues.last_mut() {
                r.atoms.end += 1;
            }
            s.atom_residue.push(s.residues.len() as u32 - 1);
            s.positions.push(atom.position);
            let first: String = atom.atom_name.chars().take(1).collect();
            s.elements
                .push(super::Element::parse(&first.to_ascii_uppercase()));
            s.atom_names.push(atom.atom_name.clone());
        }
        s.model_positions = vec![s.positions.clone()];
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(chain: &str, number: isize, name: &str) -> AtomRecord {
        AtomRecord {
            chain: chain.to_owned(),
            residue_number: number,
            residue_name: "GLY".to_owned(),
            atom_name: name.to_owned(),
            position: [number as f32, 0.0, 0.0],
        }
    }

    #[test]
    fn residues_and_chains_are_runs_of_equal_ids() {
        let atoms = [
            atom("A", 1, "N"),
            atom("A", 1, "CA"),
            atom("A", 2, "CA"),
            atom("B", 2, "CA"),
            atom("B", 2, "C"),
        ];
        let s = Structure::from_atom_records("t", &atoms);
        assert_eq!(s.atom_count(), 5);
        assert_eq!(s.residue_count(), 3);
        assert_eq!(s.chain_ids(), ["A", "B"]);
        assert_eq!(s.atom_residue, [0, 0, 1, 2, 2]);
        assert_eq!(s.residue_chain, [0, 0, 1]);
        assert_eq!(s.residues[2].atoms, 3..5);
        assert_eq!(s.chains[1].residues, 2..3);
        assert_eq!(s.elements[0].symbol(), "N");
        assert_eq!(s.model_positions.len(), 1);
    }
}
