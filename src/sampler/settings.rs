//! What a run needs besides the structure and the denoiser: the preset with its overrides, the noise
//! model, the start and the churn's noise, and the seed.

use super::preset::SamplerPreset;
use crate::noise::NamedNoise;

crate::choice::choices! {
    /// What the sampler starts from [note 002 §3].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StartNoise {
        /// Multiscale noise of the chosen noise model at sigma_0, around the origin.
        Multiscale = "multiscale",
        /// Isotropic per-atom noise at sigma_0 (what EDM/Boltz sample from).
        Isotropic = "isotropic",
    }
}

crate::choice::choices! {
    /// What the churn noise of a step is drawn from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ChurnNoise {
        /// Isotropic per-atom noise (EDM, Boltz).
        Isotropic = "isotropic",
        /// The run's noise model (multiscale weights) at the churn's std, so the state's noise stays of one
        /// kind and the ensemble posterior's covariance stays right.
        NoiseModel = "noise-model",
    }
}

impl ChurnNoise {
    /// The default for a start: the noise model's shape after a multiscale start, isotropic otherwise.
    pub fn following(start: StartNoise) -> Self {
        match start {
            StartNoise::Multiscale => Self::NoiseModel,
            StartNoise::Isotropic => Self::Isotropic,
        }
    }
}

/// Everything a run needs besides the structure and the denoiser.
#[derive(Debug, Clone)]
pub struct SamplerSettings {
    /// Schedule, churn, solver, augmentation (a preset with overrides applied).
    pub preset: SamplerPreset,
    /// The noise model of the start (and the covariance of the ensemble denoiser).
    pub noise: NamedNoise,
    /// Start from multiscale or isotropic noise.
    pub start: StartNoise,
    /// What churn noise is drawn from (usually `ChurnNoise::following(start)`).
    pub churn_noise: ChurnNoise,
    /// Seed of every draw; each step derives its own stream, so runs repeat exactly on one device.
    pub seed: u64,
    /// Take the step from the denoiser's own residue and chain x̂0 where it gives them (note 004's
    /// next step): x̂0's residue and chain centroids are moved onto the model's level predictions.
    pub level_outputs: bool,
}
