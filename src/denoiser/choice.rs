//! Which reference denoiser a run uses, and the one constructor the CLI and the window share.

use burn::tensor::Device;

use super::{
    DEFAULT_ROTATIONS, Denoiser, EnsembleDenoiser, EnsembleError, ExactDenoiser,
    RotationMarginalDenoiser, RotationMarginalError,
};
use crate::noise::NoiseModel;
use crate::structure::Structure;

/// Which reference denoiser a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DenoiserChoice {
    /// The loaded structure itself.
    Exact,
    /// Posterior mean over the file's models (NMR ensembles).
    Ensemble,
    /// Posterior mean over uniformly rotated copies of the structure: the ideal model trained with
    /// random rotations.
    RotationMarginal,
}

/// What building a denoiser needs besides the choice.
#[derive(Debug, Clone, Copy)]
pub struct DenoiserInputs<'a> {
    /// The ground truth (and, for the ensemble, its models).
    pub structure: &'a Structure,
    /// The noise model the posterior weighs with (ensemble, rotation-marginal).
    pub noise: &'a NoiseModel,
    /// Rotations of the rotation-marginal grid.
    pub rotations: usize,
    /// Seed of the rotation grid.
    pub seed: u64,
}

impl<'a> DenoiserInputs<'a> {
    /// Inputs with the default rotation grid.
    pub fn new(structure: &'a Structure, noise: &'a NoiseModel, seed: u64) -> Self {
        Self {
            structure,
            noise,
            rotations: DEFAULT_ROTATIONS,
            seed,
        }
    }
}

/// Why a denoiser could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenoiserBuildError {
    /// The ensemble denoiser's input was refused.
    #[error(transparent)]
    Ensemble(#[from] EnsembleError),
    /// The rotation-marginal denoiser's input was refused.
    #[error(transparent)]
    RotationMarginal(#[from] RotationMarginalError),
}

impl DenoiserChoice {
    /// Every choice, in the order the window lists them.
    pub const ALL: [Self; 3] = [Self::Exact, Self::Ensemble, Self::RotationMarginal];

    /// The name the CLI and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Ensemble => "ensemble",
            Self::RotationMarginal => "rotation-marginal",
        }
    }

    /// True when the structure can feed it (the ensemble needs several models).
    pub fn available_for(self, structure: &Structure) -> bool {
        self != Self::Ensemble || structure.ensemble.len() >= 2
    }

    /// Builds the denoiser on `device`.
    pub fn build(
        self,
        inputs: &DenoiserInputs<'_>,
        device: &Device,
    ) -> Result<Box<dyn Denoiser>, DenoiserBuildError> {
        Ok(match self {
            Self::Exact => Box::new(ExactDenoiser::new(&inputs.structure.positions, device)),
            Self::Ensemble => Box::new(EnsembleDenoiser::new(
                inputs.structure,
                inputs.noise,
                device,
            )?),
            Self::RotationMarginal => Box::new(RotationMarginalDenoiser::new(
                inputs.structure,
                inputs.noise,
                inputs.rotations,
                inputs.seed,
                device,
            )?),
        })
    }
}
