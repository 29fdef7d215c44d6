//! The window's views of job results, as the worker reports them: the pinned run and the Train panel's
//! training (the current run is a `trajectory::Run`). The state, the plots, the worker and its protocol
//! all read these; they import nothing of the app.

use crate::trajectory::FrameMetrics;

/// A run pinned for comparison.
pub struct PinnedRun {
    /// What changed, for the legend.
    pub label: String,
    /// Its metrics.
    pub metrics: Vec<FrameMetrics>,
}

/// A training in the Train panel.
#[derive(Debug, Clone, Default)]
pub struct TrainingView {
    /// One record per step so far.
    pub losses: Vec<crate::denoiser::LossRecord>,
    /// The saved model's header (the per-σ report), once done.
    pub header: Option<crate::denoiser::CheckpointHeader>,
    /// Where it was saved.
    pub path: Option<std::path::PathBuf>,
}
