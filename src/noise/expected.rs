//! Closed-form mean squared displacement per level under multiscale noise, from the weights and the
//! structure's real group sizes.
//!
//! Atom i of residue r (n_r atoms) of chain c (m_c residues, K chains) moves by
//! d_i = e_c + e_r + e_i, with independent Gaussian terms of per-coordinate variance s_c², s_r², s_a².
//! Per coordinate, averaged over the level's points:
//!
//! * atoms, abs: E d_i² = s_c² + s_r² + s_a².
//! * residue centroid D_r = e_c + e_r + mean_{i∈r} e_i, abs: s_c² + s_r² + s_a² / n_r, averaged over residues.
//! * chain centroid C_c = mean of its residue centroids = e_c + mean_r e_r + mean_r mean_{i∈r} e_i,
//!   abs: s_c² + s_r² / m_c + s_a² (Σ_r 1/n_r) / m_c², averaged over chains.
//! * atom rel (d_i − D_r) = e_i − mean_{j∈r} e_j: s_a² (1 − 1/n_r); averaged over atoms that is
//!   s_a² (1 − R/N), since Σ_i 1/n_{r(i)} = R residues.
//! * residue rel (D_r − C_c): the residue terms give s_r² (1 − 1/m_c); the atom terms, with
//!   a_r = mean_{i∈r} e_i of variance s_a²/n_r, give (1 − 1/m_c)² s_a²/n_r + Σ_{r'≠r} s_a²/(n_r' m_c²)
//!   = s_a² [(1 − 2/m_c)/n_r + S_c/m_c²] with S_c = Σ_{r'∈c} 1/n_r'; averaged over residues.
//! * chain rel (C_c − mean of all chain centroids): chains are independent with variances v_c, so
//!   (1 − 2/K) v_c + Σ v/K²; averaged over chains that is (1 − 1/K) mean v.
//!
//! The RMS figures are the square roots of these mean squares (pooled over points and repeats).

use super::weights::LevelStds;

/// Atoms per residue and residues per chain, with the residue→chain map: all the closed forms need.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSizes {
    /// n_r for every residue.
    pub atoms_per_residue: Vec<usize>,
    /// Chain index of every residue.
    pub residue_chain: Vec<u32>,
    /// m_c for every chain.
    pub residues_per_chain: Vec<usize>,
}

impl GroupSizes {
    /// Group sizes of a structure.
    pub fn of(structure: &crate::structure::Structure) -> Self {
        Self {
            atoms_per_residue: structure.atoms_per_residue(),
            residue_chain: structure.residue_chain.clone(),
            residues_per_chain: structure.residues_per_chain(),
        }
    }

    /// Number of atoms.
    pub fn atoms(&self) -> usize {
        self.atoms_per_residue.iter().sum()
    }
}

/// Mean squared displacement per coordinate at each level, absolute and relative to the parent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LevelMeanSquares {
    /// Atoms, absolute.
    pub atom_abs: f64,
    /// Atoms relative to their residue centroid.
    pub atom_rel: f64,
    /// Residue centroids, absolute.
    pub residue_abs: f64,
    /// Residue centroids relative to their chain centroid.
    pub residue_rel: f64,
    /// Chain centroids, absolute.
    pub chain_abs: f64,
    /// Chain centroids relative to the mean of all chain centroids.
    pub chain_rel: f64,
}

/// The closed-form expected mean squares for per-level noise stds over these group sizes.
pub fn expected_mean_squares(sizes: &GroupSizes, stds: LevelStds) -> LevelMeanSquares {
    let (vc, vr, va) = (stds.chain.powi(2), stds.residue.powi(2), stds.atom.powi(2));
    let residues = sizes.atoms_per_residue.len();
    let chains = sizes.residues_per_chain.len();
    if residues == 0 || chains == 0 {
        return LevelMeanSquares::default();
    }
    let atoms = sizes.atoms() as f64;
    let inv_n: Vec<f64> = sizes
        .atoms_per_residue
        .iter()
        .map(|&n| 1.0 / n as f64)
        .collect();
    let mut inv_n_per_chain = vec![0.0; chains];
    for (r, &c) in sizes.residue_chain.iter().enumerate() {
        inv_n_per_chain[c as usize] += inv_n[r];
    }
    let m: Vec<f64> = sizes.residues_per_chain.iter().map(|&m| m as f64).collect();

    let residue_abs = vc + vr + va * inv_n.iter().sum::<f64>() / residues as f64;
    let chain_var: Vec<f64> = (0..chains)
        .map(|c| vc + vr / m[c] + va * inv_n_per_chain[c] / (m[c] * m[c]))
        .collect();
    let chain_abs = chain_var.iter().sum::<f64>() / chains as f64;
    let residue_rel = sizes
        .residue_chain
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            let (mc, s) = (m[c as usize], inv_n_per_chain[c as usize]);
            vr * (1.0 - 1.0 / mc) + va * ((1.0 - 2.0 / mc) * inv_n[r] + s / (mc * mc))
        })
        .sum::<f64>()
        / residues as f64;
    LevelMeanSquares {
        atom_abs: vc + vr + va,
        atom_rel: va * (1.0 - residues as f64 / atoms),
        residue_abs,
        residue_rel,
        chain_abs,
        chain_rel: (1.0 - 1.0 / chains as f64) * chain_abs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_chain(n_per_residue: usize, residues: usize) -> GroupSizes {
        GroupSizes {
            atoms_per_residue: vec![n_per_residue; residues],
            residue_chain: vec![0; residues],
            residues_per_chain: vec![residues],
        }
    }

    #[test]
    fn regimes_of_seed_004_for_eight_atoms_per_residue() {
        // Seed 004 measured 0.93 (old weights) and 0.76 (rebalanced) in one draw of its 253-atom fragment; the
        // closed form for 8 atoms per residue gives 0.95 and 0.78 (flat: sqrt(1/8) ≈ 0.35).
        let sizes = single_chain(8, 32);
        let ratio = |stds: LevelStds| {
            let e = expected_mean_squares(&sizes, stds);
            (e.residue_abs / e.atom_abs).sqrt()
        };
        let old = super::super::weights::LevelWeights::new(8.2, 1.6, 1.3).unwrap();
        let rebalanced = super::super::weights::LevelWeights::new(1.0, 4.0, 4.0).unwrap();
        let exact_old = ((8.2 + 1.6 + 1.3 / 8.0) / 11.1f64).sqrt();
        assert!((ratio(old.stds(1.0)) - exact_old).abs() < 1e-12);
        assert!((ratio(old.stds(1.0)) - 0.95).abs() < 0.005);
        assert!((ratio(rebalanced.stds(1.0)) - 0.78).abs() < 0.005);
        let flat = LevelStds {
            chain: 0.0,
            residue: 0.0,
            atom: 1.0,
        };
        assert!((ratio(flat) - (1.0f64 / 8.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn relative_motion_of_a_lone_residue_is_zero() {
        // One residue in one chain: the residue centroid is its chain centroid.
        let sizes = single_chain(5, 1);
        let e = expected_mean_squares(
            &sizes,
            LevelStds {
                chain: 1.0,
                residue: 1.0,
                atom: 1.0,
            },
        );
        assert!(e.residue_rel.abs() < 1e-12);
        assert!(e.chain_rel.abs() < 1e-12);
        assert!((e.atom_rel - 0.8).abs() < 1e-12);
    }
}
