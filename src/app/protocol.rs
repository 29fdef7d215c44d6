//! What the window and its worker thread say to each other. Every event of a run or a noise draw
//! carries the tag it was asked with, so results of work the window has since abandoned are dropped.

use std::sync::Arc;

use crate::denoiser::learned::{LearnedError, TrainError};
use crate::denoiser::learned::{ModelConfig, TrainConfig};
use crate::denoiser::{
    CheckpointHeader, DenoiseError, DenoiserBuildError, DenoiserChoice, DenoiserErrorRow,
    LossRecord,
};
use crate::noise::{NamedNoise, NoiseCell, NoiseError, NoiseTableSpec};
use crate::sampler::{FamilySettings, Frame, SamplerError, SamplerSettings};
use crate::structure::{LoadError, Structure};
use crate::trajectory::{FrameMetrics, ImportError, Run, SweepError, SweepPoint, SweepSpec};

/// What the window asks of the worker.
pub enum WorkerCommand {
    /// Start a new run (frame 0 is sent back).
    Reset {
        /// The structure.
        structure: Arc<Structure>,
        /// Preset, noise, start, seed.
        settings: Box<SamplerSettings>,
        /// A flow-matching or DDPM run instead of EDM.
        family: Option<Box<FamilySettings>>,
        /// Denoiser.
        denoiser: DenoiserChoice,
        /// Tag of the run, echoed in its events.
        run: u64,
        /// Device bytes its frames may keep their rows in, for the view to draw them from (0: none).
        device_frames_budget: u64,
        /// Keep each second-order step's Euler point and prediction (the timeline's sub-steps).
        substeps: bool,
    },
    /// Take up to this many steps of the current run.
    Step(usize),
    /// Read a run written by another tool against the structure and measure every frame.
    ImportRun {
        /// The topology and ground truth.
        structure: Arc<Structure>,
        /// The trajectory file.
        path: std::path::PathBuf,
        /// How to read it (the selection the structure was loaded with, alignment, σ).
        options: Box<crate::trajectory::ImportOptions>,
        /// Tag of the run, echoed in its events.
        run: u64,
    },
    /// Run a step sweep.
    Sweep {
        /// The structure.
        structure: Arc<Structure>,
        /// The sampler, denoiser and noise.
        spec: Box<SweepSpec>,
        /// Step counts.
        steps: Vec<usize>,
        /// Seeds per step count.
        seeds: u64,
        /// Tag echoed in the result.
        tag: u64,
    },
    /// Run one configuration of a sweep again and send its frames.
    SweepRun {
        /// The structure.
        structure: Arc<Structure>,
        /// The sampler, denoiser and noise.
        spec: Box<SweepSpec>,
        /// Steps.
        steps: usize,
        /// Seed.
        seed: u64,
        /// Tag of the run, echoed in its events.
        run: u64,
    },
    /// Measure the denoiser's x̂0 error per noise level (`denoiser::denoiser_error`).
    DenoiserError {
        /// The structure.
        structure: Arc<Structure>,
        /// The denoiser.
        denoiser: DenoiserChoice,
        /// Noise weights of the draws.
        noise: NamedNoise,
        /// Noise levels, Å.
        sigmas: Vec<f64>,
        /// The flow-matching prior's σ for the velocity reading, Å.
        prior_sigma: f64,
        /// Seed of the draws.
        seed: u64,
        /// Tag echoed in the result.
        tag: u64,
    },
    /// Train the learned denoiser on the structure and save it.
    Train {
        /// The structure.
        structure: Arc<Structure>,
        /// The network and its toggles.
        model: Box<ModelConfig>,
        /// Steps, loss, augmentation, seed.
        train: Box<TrainConfig>,
        /// The training noise.
        noise: NamedNoise,
        /// Where the checkpoint goes.
        out: std::path::PathBuf,
        /// The compute device's description, recorded in the checkpoint.
        device_name: String,
        /// Tag echoed in the events.
        tag: u64,
    },
    /// Read a structure file (the current structure stays until it arrives, and when it cannot be read).
    LoadStructure {
        /// The file.
        path: std::path::PathBuf,
        /// Model and selection.
        options: crate::structure::LoadOptions,
        /// Tag echoed in the result.
        tag: u64,
    },
    /// Draw the noise panel's samples and measure them (the per-level table of one cell).
    ApplyNoise {
        /// The structure.
        structure: Arc<Structure>,
        /// One noise at one sigma, with its repeats and seed.
        spec: Box<NoiseTableSpec>,
        /// Tag echoed in the result.
        tag: u64,
    },
}

/// The noised coordinates of the noise panel and their measured table cell.
#[derive(Debug, Clone)]
pub struct AppliedNoise {
    /// Ground truth plus the first draw, Å.
    pub noised: Vec<[f32; 3]>,
    /// Measured (and expected) figures over every draw.
    pub cell: NoiseCell,
}

/// What the worker reports.
pub enum WorkerEvent {
    /// A run started: its sigma schedule and frame 0.
    Started {
        /// The run's tag.
        run: u64,
        /// The schedule.
        sigmas: Vec<f64>,
        /// Frame 0 and its metrics.
        frame: Box<(Frame, FrameMetrics)>,
    },
    /// A step of run `.0` finished.
    Frame(u64, Box<(Frame, FrameMetrics)>),
    /// A whole run at once (read from a file, or one run of a sweep): every frame with its metrics.
    Loaded {
        /// The run's tag.
        tag: u64,
        /// Its frames with their metrics, and where it came from.
        run: Box<Run>,
        /// The topology the run carries, when it replaces the structure on screen (a run opened
        /// without its structure).
        structure: Option<Box<Structure>>,
    },
    /// The sweep tagged `.0` finished (or was cancelled part way).
    SweepDone(u64, Vec<SweepPoint>),
    /// The denoiser-error measurement tagged `.0` finished.
    DenoiserErrorDone(u64, Vec<DenoiserErrorRow>),
    /// A training step of the training tagged `.0`.
    TrainStep(u64, LossRecord),
    /// The training tagged `.0` finished (or was cancelled) and its model was saved at `.2`.
    TrainDone(u64, Box<CheckpointHeader>, std::path::PathBuf),
    /// The noise draw tagged `.0` finished.
    NoiseApplied(u64, Box<AppliedNoise>),
    /// The structure file asked for with tag `tag` was read.
    StructureLoaded {
        /// The request's tag.
        tag: u64,
        /// The file.
        path: std::path::PathBuf,
        /// What it holds.
        structure: Box<Structure>,
    },
    /// The structure file asked for with tag `.0` could not be read.
    LoadFailed(u64, LoadError),
    /// Work done and total, in the command's units (steps; draws), after each part of a command.
    Progress(usize, usize),
    /// A command finished (or was cancelled).
    Idle,
    /// An export was written.
    Exported(std::path::PathBuf),
    /// An export was cancelled before it wrote anything.
    ExportCancelled(std::path::PathBuf),
    /// Something failed; the run stays as it was.
    Failed(WorkerError),
}

/// Why a worker job failed, as the status line will say it.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The worker thread could not be started, or has stopped.
    #[error("the worker thread is not running: {0}")]
    NotRunning(String),
    /// The run's denoiser could not be built.
    #[error(transparent)]
    Denoiser(#[from] DenoiserBuildError),
    /// The run could not start, or a step failed.
    #[error(transparent)]
    Sampler(#[from] SamplerError),
    /// A run file could not be read.
    #[error("cannot open the run: {0}")]
    Import(#[from] ImportError),
    /// The sweep, or one of its runs, failed.
    #[error("the sweep failed: {0}")]
    Sweep(#[from] SweepError),
    /// The denoiser-error measurement's denoiser could not be built.
    #[error("the denoiser error failed: {0}")]
    DenoiserErrorSetup(DenoiserBuildError),
    /// The denoiser-error measurement failed.
    #[error("the denoiser error failed: {0}")]
    DenoiserError(DenoiseError),
    /// The training failed.
    #[error("training failed: {0}")]
    Train(#[from] TrainError),
    /// The trained model could not be saved.
    #[error("cannot save the model: {0}")]
    SaveModel(#[from] LearnedError),
    /// The noise draw failed.
    #[error(transparent)]
    Noise(#[from] NoiseError),
    /// The noise draw came back without a sample.
    #[error("the noise table came back empty")]
    EmptyNoiseTable,
    /// An export could not be written.
    #[error("export failed: {0:#}")]
    Export(anyhow::Error),
}
