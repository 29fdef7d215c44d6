//! Which reference denoiser a run uses, and the one constructor the CLI and the window share.

use std::time::Duration;

use burn::tensor::Device;

use super::external::{DEFAULT_TIMEOUT, ExternalDenoiser, ExternalError};
use super::{
    DEFAULT_ROTATIONS, Denoiser, EnsembleDenoiser, EnsembleError, ExactDenoiser, LearnedDenoiser,
    LearnedError, RotationMarginalDenoiser, RotationMarginalError,
};
use crate::noise::NoiseModel;
use crate::structure::Structure;

/// Which denoiser a run uses: a reference one, or the user's in a child process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DenoiserChoice {
    /// The loaded structure itself.
    Exact,
    /// Posterior mean over the file's models (NMR ensembles).
    Ensemble,
    /// Posterior mean over uniformly rotated copies of the structure: the ideal model trained with
    /// random rotations.
    RotationMarginal,
    /// The command of a child process speaking the external-denoiser protocol (`external:CMD`).
    External(String),
    /// A checkpoint of the learned denoiser (`sigmascope train … --out model.mpk`).
    Learned(std::path::PathBuf),
}

impl std::str::FromStr for DenoiserChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "exact" => Ok(Self::Exact),
            "ensemble" => Ok(Self::Ensemble),
            "rotation-marginal" => Ok(Self::RotationMarginal),
            _ => match s.strip_prefix("external:") {
                Some(command) if !command.trim().is_empty() => {
                    Ok(Self::External(command.to_owned()))
                }
                _ if s.ends_with(".mpk") || std::path::Path::new(s).is_file() => {
                    Ok(Self::Learned(s.into()))
                }
                _ => Err(format!(
                    "unknown denoiser {s:?}: use exact, ensemble, rotation-marginal, external:CMD or a trained model's .mpk file"
                )),
            },
        }
    }
}

/// What building a denoiser needs besides the choice.
#[derive(Debug, Clone, Copy)]
pub struct DenoiserInputs<'a> {
    /// The ground truth (and, for the ensemble, its models).
    pub structure: &'a Structure,
    /// The noise model the posterior weighs with (ensemble, rotation-marginal).
    pub noise: &'a NoiseModel,
    /// Importance draws of the rotation-marginal posterior over rotations.
    pub rotations: usize,
    /// Seed of those draws.
    pub seed: u64,
    /// How long an external denoiser may take per reply.
    pub timeout: Duration,
}

impl<'a> DenoiserInputs<'a> {
    /// Inputs with the default number of rotation draws.
    pub fn new(structure: &'a Structure, noise: &'a NoiseModel, seed: u64) -> Self {
        Self {
            structure,
            noise,
            rotations: DEFAULT_ROTATIONS,
            seed,
            timeout: DEFAULT_TIMEOUT,
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
    /// The external denoiser did not start.
    #[error(transparent)]
    External(#[from] ExternalError),
    /// The learned model could not be loaded for this structure.
    #[error(transparent)]
    Learned(#[from] LearnedError),
}

impl DenoiserChoice {
    /// The name the CLI and the JSON use.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Ensemble => "ensemble",
            Self::RotationMarginal => "rotation-marginal",
            Self::External(_) => "external",
            Self::Learned(_) => "learned",
        }
    }

    /// True when the structure can feed it (the ensemble needs several models).
    pub fn available_for(&self, structure: &Structure) -> bool {
        *self != Self::Ensemble || structure.model_positions.len() >= 2
    }

    /// Builds the denoiser on `device` (an external one is started and greeted).
    pub fn build(
        &self,
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
            Self::External(command) => Box::new(ExternalDenoiser::start(
                command,
                inputs.structure,
                inputs.timeout,
                device,
            )?),
            Self::Learned(path) => Box::new(LearnedDenoiser::load(path, inputs.structure, device)?),
        })
    }
}
