//! Sampling: EDM schedules and presets, preconditioning (global and per level), training coverage, and
//! the Euler/Heun engine with churn and augmentation.

mod choice;
mod coverage;
mod engine;
mod error;
mod euler;
mod families;
mod frame;
mod moments;
mod parameterization;
mod precondition;
mod preset;
mod run;
mod schedule;
mod settings;
mod substeps;

pub use choice::{FamilyPreset, PresetName, SamplerChoice, SamplerSpec};
pub use coverage::{TrainingCoverage, Z_999, training_coverage, training_percentile};
pub use engine::Sampler;
pub use error::SamplerError;
pub use families::{
    AlphaBarSchedule, FamilySampler, FamilySettings, FamilySpec, FlowSolver, sample_family,
};
pub use frame::{Augmentation, Frame, FrameRows, SecondOrderState};
pub use parameterization::{FlowDirection, MIN_DATA_SCALE, Marginal};
pub use precondition::{
    CNoiseMode, LevelPreconditioning, LevelSigmas, Preconditioning, level_preconditioning,
    level_sigmas,
};
pub use preset::{ChurnRule, PRESETS, SamplerPreset, Solver, StepLevels, UpdateRule, find_preset};
pub use run::SteppedRun;
pub use schedule::{ScheduleSpec, ScheduleTimes};
pub use settings::{ChurnNoise, SamplerSettings, StartNoise};
pub use substeps::SubStep;
