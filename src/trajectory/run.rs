//! A run as every front end sees it: its recorded frames with their metrics, the noise level of each
//! grid point, and where the frames came from. The window's worker and the importers make one; the
//! window, the exports and the tables read it.

use std::sync::Arc;

use super::metrics::{FrameMetrics, trajectory_metrics};
use crate::sampler::Frame;
use crate::structure::Structure;

/// Where a run's frames came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunSource {
    /// A sampler of sigmascope's, stepped here.
    #[default]
    Sampled,
    /// One run of a step sweep.
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
        /// What the import found and did (for the status line).
        note: String,
    },
    /// Streamed live from a user's own loop (the Python package).
    Streamed {
        /// The run's name.
        name: String,
        /// True while steps still arrive.
        open: bool,
    },
}

impl RunSource {
    /// What a figure needing `key` says when the run's file lacks it.
    pub fn missing_note(&self, key: &str, what: &str) -> Option<String> {
        match self {
            Self::Imported { missing, .. } if missing.contains(&key) => Some(format!(
                "{what} needs the key `{key}` in the run's NPZ (see README, Runs from other tools)"
            )),
            _ => None,
        }
    }
}

/// Recorded frames (frame 0 is the start) with their metrics, frame by frame.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The noise level of each grid point (one more than steps; as many as frames for a whole run).
    pub sigmas: Vec<f64>,
    /// The frames recorded so far; shared with whatever writes them out meanwhile.
    pub frames: Arc<Vec<Frame>>,
    /// Each frame's metrics.
    pub metrics: Vec<FrameMetrics>,
    /// Where the frames came from.
    pub source: RunSource,
}

impl Run {
    /// A whole run, measured against `structure`'s own coordinates as the reference.
    pub fn measured(structure: &Structure, frames: Vec<Frame>, source: RunSource) -> Self {
        let metrics = trajectory_metrics(structure, &structure.positions, &frames);
        Self::of(frames, metrics, source)
    }

    /// A whole run of frames already measured; its grid is the frames' own σ.
    pub fn of(frames: Vec<Frame>, metrics: Vec<FrameMetrics>, source: RunSource) -> Self {
        Self {
            sigmas: frames.iter().map(|f| f.sigma).collect(),
            frames: Arc::new(frames),
            metrics,
            source,
        }
    }

    /// A sampled run's start: its grid and frame 0.
    pub fn started(sigmas: Vec<f64>, start: Frame, metrics: FrameMetrics) -> Self {
        Self {
            sigmas,
            frames: Arc::new(vec![start]),
            metrics: vec![metrics],
            source: RunSource::Sampled,
        }
    }

    /// Adds a step's frame; copies the frames only while something else still holds them.
    pub fn push(&mut self, frame: Frame, metrics: FrameMetrics) {
        Arc::make_mut(&mut self.frames).push(frame);
        self.metrics.push(metrics);
    }
}
