//! The ideal denoiser of a model trained with random rotations: the posterior mean E[x₀ | x] when x₀ is
//! the ground truth g under a uniformly random rotation about its centroid ḡ, x = x₀ + ε with the
//! multiscale noise covariance. The rotation integral is a weighted average over K seeded uniform
//! rotations R_k (the identity first): the ensemble posterior with point masses μ_k = (g − ḡ) R_k + ḡ.
//! x is centred on ḡ before weighing (the model sees centred input, as Boltz and AF3 centre), so x̂0
//! does not depend on where x sits. At low sigma the weight concentrates on the rotation closest to x;
//! at high sigma the weights spread over SO(3) and x̂0 collapses toward ḡ: every residue is pulled to
//! the centroid with the rest, and none moves on its own.

use burn::tensor::{Device, Tensor};

use super::{
    DenoiseContext, DenoiseError, Denoiser, DenoiserOutput, EnsembleDenoiser, EnsembleError,
};
use crate::geometry::{RigidTransform, centroid, random_rotation};
use crate::noise::NoiseModel;
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// Rotations of the grid unless asked otherwise.
pub const DEFAULT_ROTATIONS: usize = 1024;

/// The most rotations × atoms held (the models live on the device, 12 bytes per atom per rotation).
pub const MAX_ROTATION_ATOMS: usize = 40_000_000;

/// Why a rotation-marginal denoiser could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationMarginalError {
    /// Rotations × atoms over [`MAX_ROTATION_ATOMS`].
    #[error(
        "the rotation-marginal denoiser holds {rotations} rotations × {atoms} atoms, over its {MAX_ROTATION_ATOMS} limit: use fewer rotations (at most {})",
        MAX_ROTATION_ATOMS / atoms.max(&1)
    )]
    TooLarge {
        /// Rotations asked for.
        rotations: usize,
        /// Atoms of the structure.
        atoms: usize,
    },
    /// The covariance cannot be built.
    #[error(transparent)]
    Covariance(#[from] EnsembleError),
}

/// Posterior mean over uniformly rotated copies of the ground truth.
#[derive(Debug, Clone)]
pub struct RotationMarginalDenoiser {
    posterior: EnsembleDenoiser,
    /// The truth's centroid ḡ, [1, 3].
    center: Tensor<2>,
    rotations: Vec<[[f64; 3]; 3]>,
}

impl RotationMarginalDenoiser {
    /// `rotations` seeded uniform rotations (the identity first) of `structure`'s positions.
    pub fn new(
        structure: &Structure,
        noise: &NoiseModel,
        rotations: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, RotationMarginalError> {
        let atoms = structure.atom_count();
        let rotations = rotations.max(1);
        if rotations.saturating_mul(atoms) > MAX_ROTATION_ATOMS {
            return Err(RotationMarginalError::TooLarge { rotations, atoms });
        }
        let mut rng = SplitMix64::new(seed, 0x5e3);
        let grid: Vec<[[f64; 3]; 3]> = std::iter::once(RigidTransform::IDENTITY.rotation)
            .chain((1..rotations).map(|_| random_rotation(&mut rng)))
            .collect();
        let c = centroid(&structure.positions);
        let models: Vec<Vec<[f32; 3]>> = grid
            .iter()
            .map(|&rotation| {
                // (g − ḡ) R + ḡ: a rotation about the centroid.
                let about_center = RigidTransform::translation(c.map(|v| -v))
                    .then(&RigidTransform {
                        rotation,
                        translation: [0.0; 3],
                    })
                    .then(&RigidTransform::translation(c));
                about_center.apply_all(&structure.positions)
            })
            .collect();
        let center: Vec<f32> = c.iter().map(|&v| v as f32).collect();
        Ok(Self {
            posterior: EnsembleDenoiser::from_models(structure, &models, noise, device)?,
            center: Tensor::from_data(burn::tensor::TensorData::new(center, [1, 3]), device),
            rotations: grid,
        })
    }

    /// The rotation grid (row-vector convention, applied about the truth's centroid).
    pub fn rotations(&self) -> &[[[f64; 3]; 3]] {
        &self.rotations
    }
}

impl Denoiser for RotationMarginalDenoiser {
    fn name(&self) -> &'static str {
        "rotation-marginal"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let x = context.to_data(x);
        // The mean over atoms, taken along the rows' last axis (`compute::mean_last_axis`).
        let mean = crate::compute::mean_last_axis(x.clone().transpose()).transpose();
        let centred = x - mean + self.center.clone();
        let (weights, mean) = self.posterior.posterior(centred, sigma);
        Ok(DenoiserOutput {
            levels: None,
            x0: context.to_pose(mean),
            weights: Some(weights),
        })
    }

    /// The prior is invariant under rotations about the centroid and x is centred, so x̂0 follows a rigid
    /// motion of x up to the grid's resolution; the sampler calls it in the data frame.
    fn equivariant(&self) -> bool {
        true
    }
}
