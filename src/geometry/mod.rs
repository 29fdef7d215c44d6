//! Rigid geometry that the sampler, the denoisers and the trajectory metrics share: transforms in the
//! row-vector convention, Kabsch superposition, uniform random rotations, and the same transform as
//! device tensors.

mod frame_map;
mod rigid;

pub use frame_map::FrameMap;
pub use rigid::{
    RigidTransform, centroid, kabsch, kabsch_from_moments, random_rotation, rigid_fit,
    rms_distance, superposed_rmsd,
};
