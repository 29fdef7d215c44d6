//! Trajectories: recorded frames, rigid transforms and Kabsch, per-level metrics, import and export.

mod export;
mod frame;
mod import;
mod metrics;
mod rigid;

pub use crate::noise::SplitMix64;
pub use export::{Track, write_track};
pub use frame::{Augmentation, Frame};
pub use import::{ImportError, ImportedTrajectory, import_trajectory, read_npy};
pub use metrics::{
    BackboneIndex, BondReport, CA_CA_RANGE, FrameMetrics, LevelMetrics, Levels, MetricsTracker,
    PEPTIDE_CN_RANGE, bond_report, trajectory_metrics,
};
pub use rigid::{
    RigidTransform, centroid, kabsch, kabsch_from_moments, random_rotation, rms_distance,
    superposed_rmsd,
};
