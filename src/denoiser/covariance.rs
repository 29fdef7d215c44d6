//! The multiscale noise covariance of the ensemble and rotation-marginal posteriors, per coordinate at
//! unit σ: Σ = a I + r B_res + c B_chain (a, r, c the weights' shares), inverted blockwise through the
//! Woodbury factors of the ensemble denoiser's module docs. The factors live here once, on the host;
//! the ensemble denoiser uploads them, the rotation-marginal one applies Σ⁻¹ to points with them.

use crate::noise::{LevelWeights, NoiseModel};
use crate::structure::Structure;

/// What the factors depend on besides the weights: each residue's atom count and chain.
#[derive(Debug, Clone)]
pub(super) struct CovarianceShape {
    atoms_per_residue: Vec<usize>,
    residue_chain: Vec<u32>,
    chains: usize,
}

/// The factors of one set of weights.
pub(super) struct CovarianceFactors {
    /// a.
    pub atom_fraction: f64,
    /// c.
    pub chain_fraction: f64,
    /// r / (a + r n_res), per residue.
    pub residue_shrink: Vec<f64>,
    /// 1 / (a + r n_res), per residue.
    pub residue_gain: Vec<f64>,
    /// c / (1 + c q_c), per chain, q_c = Σ_res n_res / (a + r n_res).
    pub chain_shrink: Vec<f64>,
}

impl CovarianceShape {
    /// The shape of `structure`'s hierarchy.
    pub fn of(structure: &Structure) -> Self {
        Self {
            atoms_per_residue: structure.atoms_per_residue(),
            residue_chain: structure.residue_chain.clone(),
            chains: structure.chain_count(),
        }
    }

    /// Residues.
    pub fn residues(&self) -> usize {
        self.atoms_per_residue.len()
    }

    /// Chains.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// The chain of residue `res`.
    pub fn chain_of(&self, res: usize) -> usize {
        self.residue_chain[res] as usize
    }

    /// The factors of the weights `noise` has at `sigma` (they may depend on it).
    pub fn factors(&self, noise: &NoiseModel, sigma: f64) -> CovarianceFactors {
        let weights: LevelWeights = noise.weights_at(sigma);
        let total = weights.sum();
        // w_a > 0 is checked at σ = 1 when a denoiser is built; a schedule that drops it elsewhere
        // keeps a tiny floor.
        let (a, r, c) = (
            (weights.atom / total).max(1e-12),
            weights.residue / total,
            weights.chain / total,
        );
        let per_residue = |f: &dyn Fn(f64) -> f64| -> Vec<f64> {
            self.atoms_per_residue
                .iter()
                .map(|&n| f(n as f64))
                .collect()
        };
        let mut q = vec![0.0f64; self.chains];
        for (res, &chain) in self.residue_chain.iter().enumerate() {
            let size = self.atoms_per_residue[res] as f64;
            q[chain as usize] += size / (a + r * size);
        }
        CovarianceFactors {
            atom_fraction: a,
            chain_fraction: c,
            residue_shrink: per_residue(&|n| r / (a + r * n)),
            residue_gain: per_residue(&|n| 1.0 / (a + r * n)),
            chain_shrink: q.iter().map(|q| c / (1.0 + c * q)).collect(),
        }
    }
}
