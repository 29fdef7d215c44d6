//! The window's views of runs and of job results, as the worker reports them: the current run's
//! frames and metrics with where they came from, the pinned run, and the Train panel's training. The
//! state, the plots, the worker and its protocol all read these; they import nothing of the app.

use crate::sampler::Frame;
use crate::trajectory::FrameMetrics;

/// The frames and metrics of the current run, as received from the worker.
#[derive(Default)]
pub struct RunView {
    /// The run's sigma schedule.
    pub sigmas: Vec<f64>,
    /// Frames received so far (frame 0 is the start); shared with an export that writes them.
    pub frames: std::sync::Arc<Vec<Frame>>,
    /// Their metrics.
    pub metrics: Vec<FrameMetrics>,
    /// Steps done and total while the worker is busy.
    pub busy: Option<(usize, usize)>,
    /// Changes whenever the run is replaced (plots refit, the scene rebuilds).
    pub id: u64,
    /// Where the frames came from.
    pub source: RunSource,
}

/// Where a run's frames came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunSource {
    /// The sampler, in this window.
    #[default]
    Sampler,
    /// One run of the sweep panel's sweep.
    Sweep {
        /// Its steps.
        steps: usize,
        /// Its seed.
        seed: u64,
    },
    /// A file written by another tool.
    Imported {
        /// The file.
        path: std::path::PathBuf,
        /// Keys the file lacks for some figure.
        missing: Vec<&'static str>,
    },
}

impl RunSource {
    /// What a panel needing `key` says when the run's file lacks it.
    pub fn missing_note(&self, key: &str, what: &str) -> Option<String> {
        match self {
            Self::Imported { missing, .. } if missing.contains(&key) => Some(format!(
                "{what} needs the key `{key}` in the run's NPZ (see README, Runs from other tools)"
            )),
            _ => None,
        }
    }
}

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
