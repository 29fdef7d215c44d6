//! Denoisers: given the noisy state x and its noise level, an estimate of the clean structure x̂0.
//! Reference denoisers need no training: `exact` (one structure), `ensemble` (the posterior mean
//! over K structures) and `rotation-marginal` (the posterior mean over uniformly rotated copies of the
//! truth: the ideal model trained with random rotations). Learned ones will implement the same trait.

mod choice;
mod covariance;
mod ensemble;
mod error;
mod exact;
mod external;
pub mod learned;
mod rotation_marginal;

pub use choice::{DenoiserBuildError, DenoiserChoice, DenoiserInputs};
pub use ensemble::{EnsembleDenoiser, EnsembleError};
pub use error::{DenoiserErrorRow, denoiser_error};
pub use exact::ExactDenoiser;
pub use external::{
    DEFAULT_TIMEOUT, ExitNote, ExternalDenoiser, ExternalError, PROTOCOL, PROTOCOL_VERSION,
};
pub use learned::{
    CheckpointHeader, LearnedDenoiser, LearnedError, LearnedModel, LossRecord, ModelConfig,
    SigmaReportRow, TrainConfig, TrainError,
};
pub use rotation_marginal::{
    DEFAULT_ROTATIONS, MAX_ROTATION_DRAWS, RotationMarginalDenoiser, RotationMarginalError,
    RotationPosterior,
};

use burn::tensor::Tensor;

use crate::geometry::DevicePose;

/// What a denoiser sees besides x and sigma: where the data sit relative to x.
#[derive(Debug, Clone)]
pub struct DenoiseContext {
    /// Each level's effective noise at this sigma (what the external protocol sends).
    pub level_sigmas: Option<[f64; 3]>,
    /// The host form of `device_pose`, for denoisers that place a reference in x's pose (the external
    /// protocol sends it; a model under test has no use for it).
    pub pose: Option<crate::geometry::RigidTransform>,
    /// The sampler's pose: the map from the data's coordinates to those x is given in; `None` when x
    /// is given in the data's.
    pub device_pose: Option<DevicePose>,
    /// Sampler step index.
    pub step: usize,
}

impl DenoiseContext {
    /// x is given in the data frame (how the sampler calls equivariant denoisers).
    pub fn in_data_frame(step: usize) -> Self {
        Self {
            device_pose: None,
            step,
            level_sigmas: None,
            pose: None,
        }
    }

    /// x is given in the sampler's pose `pose` (data → pose).
    pub fn in_pose(pose: DevicePose, step: usize) -> Self {
        Self {
            device_pose: Some(pose),
            step,
            level_sigmas: None,
            pose: None,
        }
    }

    /// Maps data-frame points [N, 3] into x's pose.
    pub fn to_pose(&self, points: Tensor<2>) -> Tensor<2> {
        match &self.device_pose {
            Some(pose) => pose.to_pose(points),
            None => points,
        }
    }

    /// Maps points [N, 3] in x's pose to the data frame.
    pub fn to_data(&self, points: Tensor<2>) -> Tensor<2> {
        match &self.device_pose {
            Some(pose) => pose.to_data(points),
            None => points,
        }
    }
}

/// A denoiser's answer.
#[derive(Debug, Clone)]
pub struct DenoiserOutput {
    /// x̂0 in x's frame, [N, 3].
    pub x0: Tensor<2>,
    /// Posterior weight of each data structure, for ensemble denoisers, [K].
    pub weights: Option<Tensor<1>>,
    /// x̂0 of the residue and chain centroids where the model predicts them itself (the learned
    /// denoiser), in x's frame.
    pub levels: Option<LevelX0>,
}

/// A model's own prediction of the residue and chain centroids.
#[derive(Debug, Clone)]
pub struct LevelX0 {
    /// Residue centroids, [R, 3].
    pub residues: Tensor<2>,
    /// Chain centroids, [C, 3].
    pub chains: Tensor<2>,
}

/// Why a denoiser gave no x̂0.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DenoiseError {
    /// The external denoiser's child failed.
    #[error(transparent)]
    External(#[from] ExternalError),
    /// A tensor could not be read back from the device.
    #[error("cannot read x back from the device: {0}")]
    Readback(String),
    /// The learned model returned NaN.
    #[error("the learned model returned NaN at sigma {sigma}")]
    NotANumber {
        /// The sigma of the call.
        sigma: f64,
    },
}

/// x̂0 = D(x; sigma). Implementations keep their data on the sampler's device.
pub trait Denoiser: Send {
    /// Short name (`exact`, `ensemble`).
    fn name(&self) -> &'static str;

    /// Estimates the clean structure from `x` [N, 3] at noise level `sigma` (Å). Reference denoisers
    /// cannot fail; an external one can (a child that dies, times out or answers a wrong shape).
    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError>;

    /// True when moving x and the data by one rigid motion moves x̂0 by the same motion, so the
    /// frame x is given in does not matter. The sampler then calls the denoiser in the data frame
    /// and skips mapping x and x̂0 through the augmented frame. Learned models usually are not.
    fn equivariant(&self) -> bool {
        false
    }
}
