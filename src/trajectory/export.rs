//! Writing the x_t and x̂0 tracks as multi-MODEL PDBs: MODEL 0 = ground truth, sigma in the REMARK,
//! per-atom displacement from the ground truth in the B-factor column, augmentation undone.

use std::path::Path;

use super::displacement::point_distances;
use crate::sampler::Frame;
use crate::structure::{ExportFrame, ExportOptions, Structure, WriteError, write_trajectory_pdb};

/// Which track to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// The sampler state x_t (frame 0 = the start).
    State,
    /// The predictions x̂0 (frames with a prediction).
    Prediction,
}

/// Writes one track of `frames` (in the ground truth's frame) atomically.
pub fn write_track(
    path: &Path,
    structure: &Structure,
    frames: &[Frame],
    track: Track,
) -> Result<(), WriteError> {
    let mut coords = Vec::new();
    let mut labels = Vec::new();
    for frame in frames {
        let positions = match track {
            Track::State => Some(frame.x_t_in_data()),
            Track::Prediction => frame.x0_in_data(),
        };
        if let Some(p) = positions {
            labels.push(format!(
                "frame={} sigma={:.6} t_hat={:.6} gamma={:.4} (augmentation undone)",
                frame.index, frame.sigma, frame.t_hat, frame.gamma
            ));
            coords.push(p);
        }
    }
    let displacement: Vec<Vec<f32>> = coords
        .iter()
        .map(|c| point_distances(c, &structure.positions))
        .collect();
    let export: Vec<ExportFrame<'_>> = coords
        .iter()
        .zip(&labels)
        .zip(&displacement)
        .map(|((positions, label), b)| ExportFrame {
            label,
            positions,
            b_factors: Some(b),
        })
        .collect();
    write_trajectory_pdb(path, structure, &export, ExportOptions::default())
}
