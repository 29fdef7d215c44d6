//! EDM preconditioning (Karras et al. 2022, eq. 7 / table 1), globally and per level: at the residue and
//! chain levels the effective noise is lower than the global sigma [note 002 §2].

use crate::noise::{
    GroupSizes, LevelMeanSquares, LevelWeights, MeanSquaresBasis, expected_mean_squares,
};

crate::choice::choices! {
    /// How c_noise is computed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CNoiseMode {
        /// EDM: c_noise = ln(sigma) / 4.
        Edm = "edm",
        /// Boltz / AF3: c_noise = ln(sigma / sigma_data) / 4.
        LogRatio = "log-ratio",
    }
}

/// The four preconditioning coefficients at one sigma.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Preconditioning {
    /// The sigma they were computed with (Å).
    pub sigma: f64,
    /// c_skip = sigma_data² / (sigma² + sigma_data²).
    pub c_skip: f64,
    /// c_out = sigma sigma_data / sqrt(sigma² + sigma_data²).
    pub c_out: f64,
    /// c_in = 1 / sqrt(sigma² + sigma_data²).
    pub c_in: f64,
    /// c_noise, per `CNoiseMode` (-inf at sigma 0, written as null in JSON).
    pub c_noise: f64,
}

impl Preconditioning {
    /// EDM eq. 7 at `sigma`.
    pub fn at(sigma: f64, sigma_data: f64, mode: CNoiseMode) -> Self {
        let total = sigma * sigma + sigma_data * sigma_data;
        let c_noise = match mode {
            CNoiseMode::Edm => sigma.ln() / 4.0,
            CNoiseMode::LogRatio => (sigma / sigma_data).ln() / 4.0,
        };
        Self {
            sigma,
            c_skip: sigma_data * sigma_data / total,
            c_out: sigma * sigma_data / total.sqrt(),
            c_in: 1.0 / total.sqrt(),
            c_noise,
        }
    }
}

/// Effective sigma of each level: the RMS displacement per coordinate of atoms, residue centroids and chain
/// centroids under the noise weights and real group sizes (closed form of `noise::expected`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelSigmas {
    /// Atoms: the global sigma.
    pub atom: f64,
    /// Residue centroids.
    pub residue: f64,
    /// Chain centroids (equal to the residue figure's formula over chains; one chain included).
    pub chain: f64,
}

/// Effective per-level sigmas for weights `w` at global `sigma` over `sizes`.
pub fn level_sigmas(sizes: &GroupSizes, weights: &LevelWeights, sigma: f64) -> LevelSigmas {
    sigmas_of(expected_mean_squares(sizes, weights.stds(sigma)))
}

/// `level_sigmas` from a structure's mean-squares basis (what the sampler keeps).
pub fn level_sigmas_of(
    basis: &MeanSquaresBasis,
    weights: &LevelWeights,
    sigma: f64,
) -> LevelSigmas {
    sigmas_of(basis.at(weights.stds(sigma)))
}

fn sigmas_of(e: LevelMeanSquares) -> LevelSigmas {
    LevelSigmas {
        atom: e.atom_abs.sqrt(),
        residue: e.residue_abs.sqrt(),
        chain: e.chain_abs.sqrt(),
    }
}

/// Coefficients of the three levels for one step, in global and per-level mode.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelPreconditioning {
    /// Everything from the global sigma (what a single-sigma sampler does).
    pub global: Preconditioning,
    /// From the residue level's effective sigma.
    pub residue: Preconditioning,
    /// From the chain level's effective sigma.
    pub chain: Preconditioning,
}

/// Global and per-level coefficients at `sigma`.
pub fn level_preconditioning(
    basis: &MeanSquaresBasis,
    weights: &LevelWeights,
    sigma: f64,
    sigma_data: f64,
    mode: CNoiseMode,
) -> LevelPreconditioning {
    let s = level_sigmas_of(basis, weights, sigma);
    LevelPreconditioning {
        global: Preconditioning::at(sigma, sigma_data, mode),
        residue: Preconditioning::at(s.residue, sigma_data, mode),
        chain: Preconditioning::at(s.chain, sigma_data, mode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edm_identities_hold() {
        for sigma in [0.01, 1.0, 16.0, 2560.0] {
            let p = Preconditioning::at(sigma, 16.0, CNoiseMode::LogRatio);
            // c_skip² sigma² ... EDM's unit-variance conditions: c_skip + c_out²/sigma_data² = 1.
            assert!((p.c_skip + p.c_out * p.c_out / 256.0 - 1.0).abs() < 1e-12);
            assert!((p.c_in * (sigma * sigma + 256.0).sqrt() - 1.0).abs() < 1e-12);
        }
        assert!(
            Preconditioning::at(16.0, 16.0, CNoiseMode::LogRatio)
                .c_noise
                .abs()
                < 1e-15
        );
        assert!(
            (Preconditioning::at(16.0, 16.0, CNoiseMode::Edm).c_noise - 16f64.ln() / 4.0).abs()
                < 1e-15
        );
    }

    #[test]
    fn residue_sigma_is_below_global_sigma() {
        let sizes = GroupSizes {
            atoms_per_residue: vec![8; 10],
            residue_chain: vec![0; 10],
            residues_per_chain: vec![10],
        };
        let w = LevelWeights::new(1.0, 4.0, 4.0).unwrap();
        let s = level_sigmas(&sizes, &w, 10.0);
        assert!((s.atom - 10.0).abs() < 1e-12);
        let want = 10.0 * ((1.0 + 4.0 + 4.0 / 8.0) / 9.0f64).sqrt();
        assert!((s.residue - want).abs() < 1e-12);
        assert!(s.chain < s.residue);
    }
}
