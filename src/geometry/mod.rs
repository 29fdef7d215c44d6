//! Rigid geometry that the sampler, the denoisers and the trajectory metrics share: transforms in the
//! row-vector convention, Kabsch superposition, uniform random rotations, the same transform as
//! device tensors (and points moved to and from the device), and the TM-score.

mod device_pose;
mod points;
mod rigid;
mod tm_score;

pub use device_pose::DevicePose;
pub use points::{points_of_rows, points_tensor, rows_tensor, tensor_points};
pub use rigid::{
    RigidTransform, centroid, kabsch, kabsch_from_moments, random_rotation, rigid_fit,
    rms_distance, rms_distance_after, superposed_on, superposed_onto, superposed_rmsd,
};
pub use tm_score::{tm_d0, tm_score};
