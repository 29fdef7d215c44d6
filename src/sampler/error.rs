//! Why a sampler run could not start or step, whatever its family.

/// Why a sampler could not start or step.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// The schedule has fewer than two sigmas.
    #[error("the schedule needs at least one step (got {0} sigma values)")]
    EmptySchedule(usize),
    /// A sigma is negative or not finite.
    #[error("the schedule has an invalid sigma {0}")]
    InvalidSigma(f64),
    /// Reading results back from the device failed.
    #[error("device computation failed: {0}")]
    Device(String),
    /// The state became NaN or infinite.
    #[error("the sampler state became NaN or infinite at step {0}")]
    NonFinite(usize),
    /// The denoiser gave no x̂0 (an external one that died, timed out or answered badly).
    #[error("the denoiser failed at step {step}: {reason}")]
    Denoiser {
        /// The step.
        step: usize,
        /// What it said.
        reason: crate::denoiser::DenoiseError,
    },
}
