//! Denoisers: given the noisy state x and its noise level, an estimate of the clean structure x̂0 in the
//! sampler's current frame. Reference denoisers need no training: `exact` (one structure) and
//! `ensemble` (the posterior mean over K structures). Learned ones will implement the same trait.

mod ensemble;
mod exact;

pub use ensemble::{EnsembleDenoiser, EnsembleError};
pub use exact::ExactDenoiser;

use burn::tensor::Tensor;

/// What a denoiser sees besides x and sigma: where the data sit in the sampler's frame.
#[derive(Debug, Clone)]
pub struct DenoiseContext {
    /// Rotation of the map data → current frame, [3, 3] (row vectors: y = x R + t).
    pub frame_rotation: Tensor<2>,
    /// Translation of that map, [1, 3].
    pub frame_translation: Tensor<2>,
    /// Sampler step index.
    pub step: usize,
}

impl DenoiseContext {
    /// Maps data-frame points [N, 3] into the current frame.
    pub fn to_frame(&self, points: Tensor<2>) -> Tensor<2> {
        points.matmul(self.frame_rotation.clone()) + self.frame_translation.clone()
    }
}

/// A denoiser's answer.
#[derive(Debug, Clone)]
pub struct DenoiserOutput {
    /// x̂0 in the current frame, [N, 3].
    pub x0: Tensor<2>,
    /// Posterior weight of each data structure, for ensemble denoisers, [K].
    pub weights: Option<Tensor<1>>,
}

/// x̂0 = D(x; sigma). Implementations keep their data on the sampler's device.
pub trait Denoiser: Send {
    /// Short name (`exact`, `ensemble`).
    fn name(&self) -> &'static str;
    /// Estimates the clean structure from `x` [N, 3] at noise level `sigma` (Å).
    fn denoise(&self, x: Tensor<2>, sigma: f64, context: &DenoiseContext) -> DenoiserOutput;
}
