//! The ensemble denoiser: data are K structures with the same atoms (NMR models, say). Under Gaussian
//! noise with the multiscale covariance, the posterior over the K point masses has weights
//! w_k ∝ exp(-½ (x - μ_k)ᵀ Σ⁻¹ (x - μ_k)) and the posterior mean is x̂0 = Σ_k w_k μ_k.
//!
//! Per coordinate axis Σ = σ² (a I + r B_res + c B_chain), with a, r, c = w_a, w_r, w_c over w_sum and
//! B the same-residue / same-chain indicator matrices. It is inverted blockwise, never densely:
//! within a residue of n atoms (a I + r 1 1ᵀ)⁻¹ = (I - r/(a + r n) 1 1ᵀ) / a (Sherman–Morrison), and the
//! chain term adds, per chain (Woodbury with u = 1 over the chain's atoms, M⁻¹u = 1/(a + r n_r) per residue):
//! vᵀ Σ⁻¹ v σ² = Σ_res [Σ v_i² - r/(a + r n) (Σ v_i)²] / a - Σ_chain c s_c² / (1 + c q_c),
//! with s_c = Σ_res (Σ_{i∈res} v_i) / (a + r n_res) and q_c = Σ_res n_res / (a + r n_res).
//! The factors come from the weights in force at each call's sigma (a noise model may vary them with
//! sigma). Cost O(atoms · K).

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::covariance::CovarianceShape;
use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput};
use crate::noise::{HierarchyTensors, NoiseModel};
use crate::structure::Structure;

/// Why an ensemble denoiser could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnsembleError {
    /// The file has one usable model.
    #[error("the ensemble denoiser needs at least 2 models with the same atoms; {0} has {1}")]
    TooFewModels(String, usize),
    /// w_a = 0 makes the covariance singular.
    #[error("the ensemble denoiser needs per-atom noise (w_a > 0) for a proper covariance")]
    NoAtomNoise,
}

/// Posterior mean over K structures under multiscale Gaussian noise.
#[derive(Debug, Clone)]
pub struct EnsembleDenoiser {
    /// Models in the data frame, [K, N, 3].
    models: Tensor<3>,
    hierarchy: HierarchyTensors,
    /// The noise model whose covariance the posterior assumes, weighed at each call's sigma.
    noise: NoiseModel,
    /// What the covariance factors are computed from.
    shape: CovarianceShape,
    device: Device,
}

/// The covariance factors of one set of weights (module docs).
struct Factors {
    atom_fraction: f64,
    chain_fraction: f64,
    /// r / (a + r n_res), [1, R, 1].
    residue_shrink: Tensor<3>,
    /// 1 / (a + r n_res), [1, R, 1].
    residue_gain: Tensor<3>,
    /// c / (1 + c q_c), [1, C, 1].
    chain_shrink: Tensor<3>,
}

impl EnsembleDenoiser {
    /// Builds the denoiser from a structure's ensemble and the noise model of its covariance.
    pub fn new(
        structure: &Structure,
        noise: &NoiseModel,
        device: &Device,
    ) -> Result<Self, EnsembleError> {
        let k = structure.model_positions.len();
        if k < 2 {
            return Err(EnsembleError::TooFewModels(structure.name.clone(), k));
        }
        Self::from_models(structure, &structure.model_positions, noise, device)
    }

    /// The posterior over explicit point masses `models` (each with the structure's atoms), e.g. rotated
    /// copies of one structure (`RotationMarginalDenoiser`).
    pub fn from_models(
        structure: &Structure,
        models: &[Vec<[f32; 3]>],
        noise: &NoiseModel,
        device: &Device,
    ) -> Result<Self, EnsembleError> {
        if noise.weights_at(1.0).atom <= 0.0 {
            return Err(EnsembleError::NoAtomNoise);
        }
        let flat: Vec<f32> = models.iter().flatten().flatten().copied().collect();
        Ok(Self {
            models: Tensor::from_data(
                TensorData::new(flat, [models.len(), structure.atom_count(), 3]),
                device,
            ),
            hierarchy: HierarchyTensors::new(structure, device),
            noise: noise.clone(),
            shape: CovarianceShape::of(structure),
            device: device.clone(),
        })
    }

    /// The covariance factors of the weights in force at `sigma` (they may depend on it), uploaded.
    fn factors(&self, sigma: f64) -> Factors {
        let f = self.shape.factors(&self.noise, sigma);
        let upload = |v: &[f64]| {
            let values: Vec<f32> = v.iter().map(|&x| x as f32).collect();
            let len = values.len();
            Tensor::from_data(TensorData::new(values, [1, len, 1]), &self.device)
        };
        Factors {
            atom_fraction: f.atom_fraction,
            chain_fraction: f.chain_fraction,
            residue_shrink: upload(&f.residue_shrink),
            residue_gain: upload(&f.residue_gain),
            chain_shrink: upload(&f.chain_shrink),
        }
    }

    /// The posterior weights and mean of the models for x in the data frame: ([K], [N, 3]).
    pub fn posterior(&self, x_in_data: Tensor<2>, sigma: f64) -> (Tensor<1>, Tensor<2>) {
        let weights = softmax(self.mahalanobis(x_in_data, sigma) * -0.5, 0);
        let [k, n, _] = self.models.dims();
        let mean = (self.models.clone() * weights.clone().reshape([k, 1, 1]))
            .sum_dim(0)
            .reshape([n, 3]);
        (weights, mean)
    }

    /// Number of data structures K.
    pub fn len(&self) -> usize {
        self.models.dims()[0]
    }

    /// Always false: an ensemble has at least two structures.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Squared Mahalanobis distances (x - μ_k)ᵀ Σ⁻¹ (x - μ_k) for every model, [K]; x in the data frame.
    pub fn mahalanobis(&self, x_in_data: Tensor<2>, sigma: f64) -> Tensor<1> {
        let [k, n, _] = self.models.dims();
        let f = self.factors(sigma);
        let v = x_in_data.reshape([1, n, 3]) - self.models.clone();
        let square_sums = self.hierarchy.residue_sums(v.clone().square());
        let sums = self.hierarchy.residue_sums(v);
        let within = (square_sums - sums.clone().square() * f.residue_shrink)
            .sum_dim(2)
            .sum_dim(1)
            / f.atom_fraction;
        let mut distance = within;
        if f.chain_fraction > 0.0 {
            let s = self.hierarchy.chain_sums(sums * f.residue_gain);
            distance = distance - (s.square() * f.chain_shrink).sum_dim(2).sum_dim(1);
        }
        distance.reshape([k]) / (sigma * sigma)
    }
}

impl Denoiser for EnsembleDenoiser {
    fn name(&self) -> &'static str {
        "ensemble"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        // Bring x to the data frame, weigh the models there, map the mean back.
        let (weights, mean) = self.posterior(context.to_data(x), sigma);
        Ok(DenoiserOutput {
            levels: None,
            x0: context.to_pose(mean),
            weights: Some(weights),
        })
    }

    /// Σ acts on atoms and is the same on every axis, so the distances (and the weights) do not change
    /// when x and the models move together; the mean moves with them.
    fn equivariant(&self) -> bool {
        true
    }
}
