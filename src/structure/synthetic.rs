//! Synthetic structures with a realistic hierarchy (8 heavy atoms per residue, 300 residues per chain,
//! CA–CA 3.8 Å along a wandering chain) for benchmarks at sizes no bundled file reaches.

use super::hierarchy::{Chain, FileFormat, Residue, Selection, SelectionReport, Structure};

/// Atoms per residue in synthetic structures.
pub const SYNTHETIC_ATOMS_PER_RESIDUE: usize = 8;
/// Residues per chain in synthetic structures.
pub const SYNTHETIC_RESIDUES_PER_CHAIN: usize = 300;

const ATOM_NAMES: [&str; 8] = ["N", "CA", "C", "O", "CB", "CG", "CD", "CE"];

impl Structure {
    /// A synthetic structure of about `atoms` atoms (rounded up to whole residues).
    pub fn synthetic(atoms: usize) -> Self {
        let residues = atoms.div_ceil(SYNTHETIC_ATOMS_PER_RESIDUE).max(1);
        let chains = residues.div_ceil(SYNTHETIC_RESIDUES_PER_CHAIN);
        let mut s = Self {
            name: format!("synthetic-{atoms}"),
            source_path: None,
            format: FileFormat::Pdb,
            model_count: 1,
            model_number: 1,
            positions: Vec::with_capacity(residues * 8),
            elements: Vec::with_capacity(residues * 8),
            atom_names: Vec::with_capacity(residues * 8),
            b_factors: Vec::with_capacity(residues * 8),
            hetero: Vec::with_capacity(residues * 8),
            atom_residue: Vec::with_capacity(residues * 8),
            residues: Vec::with_capacity(residues),
            residue_chain: Vec::with_capacity(residues),
            chains: Vec::with_capacity(chains),
            model_positions: Vec::new(),
            model_numbers: vec![1],
            selection: Selection::default(),
            dropped: SelectionReport::default(),
        };
        for c in 0..chains {
            let first = s.residues.len();
            let count = SYNTHETIC_RESIDUES_PER_CHAIN.min(residues - first);
            // Chains sit on a grid 60 Å apart; each wanders as a helix of radius 2.3 Å rising 1.5 Å per residue,
            // folded back every 30 residues so its extent stays protein-like.
            let origin = [
                (c % 10) as f32 * 60.0,
                ((c / 10) % 10) as f32 * 60.0,
                (c / 100) as f32 * 60.0,
            ];
            for r in 0..count {
                let residue_index = s.residues.len() as u32;
                let t = r as f32 * 100f32.to_radians();
                let layer = (r / 30) as f32;
                let rise = (r % 30) as f32 * 1.5;
                let ca = [
                    origin[0] + 2.3 * t.cos() + layer * 10.0,
                    origin[1] + 2.3 * t.sin(),
                    origin[2] + rise,
                ];
                let start = s.positions.len() as u32;
                for (k, name) in ATOM_NAMES.iter().enumerate() {
                    let phase = k as f32 * 0.9;
                    let radius = if k == 1 { 0.0 } else { 1.2 + 0.2 * k as f32 };
                    s.positions.push([
                        ca[0] + radius * phase.cos(),
                        ca[1] + radius * phase.sin(),
                        ca[2] + 0.3 * k as f32,
                    ]);
                    s.elements.push(super::Element::parse(&name[..1]));
                    s.atom_names.push((*name).to_owned());
                    s.b_factors.push(20.0);
                    s.hetero.push(false);
                    s.atom_residue.push(residue_index);
                }
                s.residues.push(Residue {
                    name: "ALA".to_owned(),
                    number: r as isize + 1,
                    insertion_code: None,
                    chain: c as u32,
                    atoms: start..s.positions.len() as u32,
                });
                s.residue_chain.push(c as u32);
            }
            s.chains.push(Chain {
                id: char::from_digit((c % 36) as u32, 36)
                    .unwrap_or('A')
                    .to_ascii_uppercase()
                    .to_string(),
                residues: first as u32..s.residues.len() as u32,
            });
        }
        s.model_positions = vec![s.positions.clone()];
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_hierarchy_is_consistent() {
        let s = Structure::synthetic(10_000);
        assert_eq!(s.atom_count(), 10_000);
        assert_eq!(s.residue_count(), 1250);
        assert_eq!(s.chain_count(), 5);
        assert!(s.residues.iter().all(|r| r.atoms.len() == 8));
        assert_eq!(s.atom_residue.len(), s.atom_count());
        assert_eq!(s.residues_per_chain()[4], 50);
    }
}
