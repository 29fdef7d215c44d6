//! Displacement magnitudes of one set of positions from a reference, at every level: per atom, per
//! residue centroid and per chain centroid (segment means over the structure's index maps, O(atoms)).
//! The colours of the view, the tooltip, the exported B-factors and the heat map read them from here.

use crate::structure::Structure;

/// |a_i - b_i| for each point pair, Å.
pub fn point_distances(a: &[[f32; 3]], b: &[[f32; 3]]) -> Vec<f32> {
    a.iter()
        .zip(b)
        .map(|(p, q)| {
            let d: [f32; 3] = std::array::from_fn(|k| p[k] - q[k]);
            (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
        })
        .collect()
}

/// How far each atom, residue centroid and chain centroid is from the reference, Å.
#[derive(Debug, Clone, PartialEq)]
pub struct Displacements {
    /// Per atom.
    pub atom: Vec<f32>,
    /// Per residue centroid.
    pub residue: Vec<f32>,
    /// Per chain centroid (the mean of its residue centroids).
    pub chain: Vec<f32>,
    /// Per residue: |d_r - d_c| / |d_r|, the share of the residue centroid's displacement d_r not
    /// inherited from its chain's d_c (clamped to 1; 0 for a residue that did not move).
    pub residue_beyond_chain: Vec<f32>,
}

impl Displacements {
    /// Displacements of `positions` from `reference`, both in the same frame.
    pub fn between(structure: &Structure, positions: &[[f32; 3]], reference: &[[f32; 3]]) -> Self {
        let (res, res_ref) = (
            structure.residue_centroids(positions),
            structure.residue_centroids(reference),
        );
        let (chn, chn_ref) = (
            structure.chain_centroids(&res),
            structure.chain_centroids(&res_ref),
        );
        let residue_beyond_chain = (0..res.len())
            .map(|r| {
                let c = structure.residue_chain[r] as usize;
                let d: [f32; 3] = std::array::from_fn(|k| res[r][k] - res_ref[r][k]);
                let own: [f32; 3] = std::array::from_fn(|k| d[k] - (chn[c][k] - chn_ref[c][k]));
                let norm = |v: [f32; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                if norm(d) > 0.0 {
                    (norm(own) / norm(d)).min(1.0)
                } else {
                    0.0
                }
            })
            .collect();
        Self {
            atom: point_distances(positions, reference),
            residue: point_distances(&res, &res_ref),
            chain: point_distances(&chn, &chn_ref),
            residue_beyond_chain,
        }
    }

    /// A per-residue value spread to the residue's atoms.
    pub fn per_atom(structure: &Structure, per_residue: &[f32]) -> Vec<f32> {
        structure
            .atom_residue
            .iter()
            .map(|&r| per_residue[r as usize])
            .collect()
    }

    /// Each residue's chain displacement.
    pub fn chain_per_residue(&self, structure: &Structure) -> Vec<f32> {
        structure
            .residue_chain
            .iter()
            .map(|&c| self.chain[c as usize])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::{LoadOptions, default_structure};

    #[test]
    fn a_rigid_shift_moves_every_level_by_its_length_and_nothing_beyond_the_chain() {
        let s = default_structure()
            .load(&LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        // A 3-4-12 shift is 13 Å long at every level.
        let shifted: Vec<[f32; 3]> = s
            .positions
            .iter()
            .map(|p| [p[0] + 3.0, p[1] - 4.0, p[2] + 12.0])
            .collect();
        let d = Displacements::between(&s, &shifted, &s.positions);
        for v in d.atom.iter().chain(&d.residue).chain(&d.chain) {
            assert!((v - 13.0).abs() < 1e-3, "{v}");
        }
        assert!(d.residue_beyond_chain.iter().all(|v| *v < 1e-3));
        assert_eq!(d.residue.len(), s.residue_count());
        assert_eq!(d.chain.len(), s.chain_count());
    }

    #[test]
    fn one_moved_atom_moves_its_residue_by_its_share() {
        let s = default_structure()
            .load(&LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut moved = s.positions.clone();
        moved[0][0] += 2.0;
        let d = Displacements::between(&s, &moved, &s.positions);
        let r = s.atom_residue[0] as usize;
        let atoms_in_r = s.atom_residue.iter().filter(|&&x| x as usize == r).count();
        assert!((d.atom[0] - 2.0).abs() < 1e-5);
        assert!((d.residue[r] - 2.0 / atoms_in_r as f32).abs() < 1e-4);
        assert!(d.atom[1..].iter().all(|v| *v == 0.0));
    }
}
