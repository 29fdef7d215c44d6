//! Trajectories: recorded frames, rigid transforms and Kabsch, per-level metrics, import and export.

mod array_file;
#[cfg(feature = "app")]
mod export;
#[cfg(feature = "app")]
mod frame;
#[cfg(feature = "app")]
mod import;
#[cfg(feature = "app")]
mod metrics;
#[cfg(feature = "app")]
mod rigid;

#[cfg(feature = "app")]
pub use crate::noise::SplitMix64;
pub use array_file::{read_array_frames, read_npy};
#[cfg(feature = "app")]
pub use export::{Track, write_track};
#[cfg(feature = "app")]
pub use frame::{Augmentation, Frame};
#[cfg(feature = "app")]
pub use import::{ImportError, ImportedTrajectory, import_trajectory};
#[cfg(feature = "app")]
pub use metrics::{
    BackboneIndex, BondReport, CA_CA_RANGE, FrameMetrics, LevelMetrics, Levels, METRIC_UNITS,
    MetricsTracker, PEPTIDE_CN_RANGE, bond_report, trajectory_metrics,
};
#[cfg(feature = "app")]
pub use rigid::{
    RigidTransform, centroid, kabsch, kabsch_from_moments, random_rotation, rigid_fit,
    rms_distance, superposed_rmsd,
};
