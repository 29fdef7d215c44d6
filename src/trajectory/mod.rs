//! Trajectories: a run (`Run`: frames, their metrics, where they came from), per-level metrics of
//! recorded frames, import from other tools and export.

mod af2_layout;
mod array_file;
mod array_topology;
mod boltz_topology;
#[cfg(feature = "app")]
mod displacement;
#[cfg(feature = "app")]
mod export;
#[cfg(feature = "app")]
mod frame_table;
#[cfg(feature = "app")]
mod import;
#[cfg(feature = "app")]
mod import_adjust;
#[cfg(feature = "app")]
mod import_error;
#[cfg(feature = "app")]
mod import_source;
#[cfg(feature = "app")]
mod level_points;
#[cfg(feature = "app")]
mod measured_run;
#[cfg(feature = "app")]
mod metrics;
#[cfg(feature = "app")]
mod motion;
#[cfg(feature = "app")]
mod pairing;
#[cfg(feature = "app")]
mod reference_match;
#[cfg(feature = "app")]
mod run;
#[cfg(feature = "app")]
mod sampling_order;
#[cfg(feature = "app")]
mod step_folder;
#[cfg(feature = "app")]
mod sweep;

#[cfg(feature = "app")]
pub use af2_layout::{AF2_RESTYPES, ATOM37_NAMES, SlotLayout};
pub use array_file::{
    ArrayTrajectory, ArrayValues, CoordinateFrames, NpyArray, NpzEntry, npz_bytes,
    read_array_frames, read_array_trajectory, read_npy, read_npz, read_npz_members, read_sigmas,
};
pub use array_topology::{ArrayLayout, ArrayRun, read_array_run};
pub use boltz_topology::{BoltzTopology, read_boltz_topology};
#[cfg(feature = "app")]
pub use displacement::{Displacements, point_distances};
#[cfg(feature = "app")]
pub use export::{Track, write_run_npz, write_track, write_track_with_substeps};
#[cfg(feature = "app")]
pub use frame_table::{COLUMNS, Column, FrameRow, frame_rows};
#[cfg(feature = "app")]
pub use import::{
    ImportOptions, ImportedTrajectory, SourceReport, import_against, import_for_view,
    import_trajectory,
};
#[cfg(feature = "app")]
pub use import_adjust::{FrameSchedule, ImportAlignment};
#[cfg(feature = "app")]
pub use import_error::ImportError;
#[cfg(feature = "app")]
pub use import_source::{SourceFormat, opens_as_run};
#[cfg(feature = "app")]
pub use measured_run::{KeptCoordinates, run_measuring};
#[cfg(feature = "app")]
pub use metrics::{
    BackboneIndex, BondReport, CA_CA_RANGE, FRAMEDIFF_CA_CA, FrameMetrics, LevelMetrics, Levels,
    METRIC_UNITS, MetricsTracker, PEPTIDE_CN_RANGE, bond_report, trajectory_metrics,
};
#[cfg(feature = "app")]
pub use motion::{CauseMotion, CauseShares, MotionByCause, Shares};
#[cfg(feature = "app")]
pub use pairing::{order_predictions, prediction_path};
#[cfg(feature = "app")]
pub use run::{Run, RunSource};
#[cfg(feature = "app")]
pub use sampling_order::{FrameOrder, OrderFound, ca_spacing_error, find_order, looks_like_run};
#[cfg(feature = "app")]
pub use sweep::{SweepError, SweepPoint, SweepSpec, sweep, sweep_run};
