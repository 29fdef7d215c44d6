//! Writing the x_t and x̂0 tracks as multi-MODEL PDBs (or multi-model mmCIF when the path ends in
//! `.cif`): MODEL 0 = ground truth, sigma in the REMARK, per-atom displacement from the ground truth in
//! the B-factor column, augmentation undone. A whole run also goes to an NPZ with the import keys.

use std::path::Path;

use super::array_file::{NpzEntry, npz_bytes};
use super::displacement::point_distances;
use crate::sampler::Frame;
use crate::structure::{
    ExportFrame, ExportOptions, Structure, WriteError, write_atomic, write_trajectory_cif,
    write_trajectory_pdb,
};

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
    write_track_models(path, structure, frames, track, false)
}

/// `write_track` with each step's recorded sub-steps (`Frame::substeps`) as models of their own
/// before their frame, marked `substep=churned` or `substep=second-order` in their REMARK 250 with
/// their σ (t̂ or σ_next).
pub fn write_track_with_substeps(
    path: &Path,
    structure: &Structure,
    frames: &[Frame],
    track: Track,
) -> Result<(), WriteError> {
    write_track_models(path, structure, frames, track, true)
}

fn write_track_models(
    path: &Path,
    structure: &Structure,
    frames: &[Frame],
    track: Track,
    substeps: bool,
) -> Result<(), WriteError> {
    let mut coords = Vec::new();
    let mut labels = Vec::new();
    let mut add = |frame: &Frame, substep: &str| {
        let positions = match track {
            Track::State => Some(frame.x_t_in_data()),
            Track::Prediction => frame.x0_in_data(),
        };
        if let Some(p) = positions {
            labels.push(format!(
                "frame={}{substep} sigma={:.6} t_hat={:.6} gamma={:.4} (augmentation undone)",
                frame.index, frame.sigma, frame.t_hat, frame.gamma
            ));
            coords.push(p);
        }
    };
    for frame in frames {
        for kind in frame.substeps().into_iter().filter(|_| substeps) {
            if let Some(sub) = frame.substep_frame(kind) {
                add(&sub, &format!(" substep={}", kind.key()));
            }
        }
        add(frame, "");
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
    if is_cif(path) {
        write_trajectory_cif(path, structure, &export, ExportOptions::default())
    } else {
        write_trajectory_pdb(path, structure, &export, ExportOptions::default())
    }
}

fn is_cif(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".cif") || name.ends_with(".mmcif")
}

fn flat(frames: &[Vec<[f32; 3]>]) -> Vec<f32> {
    frames.iter().flatten().flatten().copied().collect()
}

/// Writes a run as an NPZ with the keys `import_against` reads: `x_t` [frames, atoms, 3], `x0_hat`
/// when every frame after the start has one (the start's is its x_t), `sigma`, and the atom naming
/// keys. Coordinates are in the ground truth's frame.
pub fn write_run_npz(
    path: &Path,
    structure: &Structure,
    frames: &[Frame],
) -> Result<(), WriteError> {
    let atoms = structure.atom_count() as u64;
    let shape = vec![frames.len() as u64, atoms, 3];
    let x_t: Vec<Vec<[f32; 3]>> = frames.iter().map(Frame::x_t_in_data).collect();
    let x0: Option<Vec<Vec<[f32; 3]>>> = frames
        .iter()
        .enumerate()
        .map(|(k, f)| f.x0_in_data().or_else(|| (k == 0).then(|| f.x_t_in_data())))
        .collect();
    let mut entries = vec![
        NpzEntry::F32("x_t", shape.clone(), flat(&x_t)),
        NpzEntry::F64(
            "sigma",
            vec![frames.len() as u64],
            frames.iter().map(|f| f.sigma).collect(),
        ),
        NpzEntry::Text("atom_names", structure.atom_names.clone()),
        NpzEntry::I64(
            "residue_index",
            vec![atoms],
            structure
                .atom_residue
                .iter()
                .map(|&r| structure.residues[r as usize].number as i64)
                .collect(),
        ),
        NpzEntry::I64(
            "chain_index",
            vec![atoms],
            structure
                .atom_residue
                .iter()
                .map(|&r| i64::from(structure.residues[r as usize].chain))
                .collect(),
        ),
        // With these two the file is its own topology (opened without the structure beside it).
        NpzEntry::Text(
            "residue_names",
            structure
                .atom_residue
                .iter()
                .map(|&r| structure.residues[r as usize].name.clone())
                .collect(),
        ),
        NpzEntry::Text(
            "chain_ids",
            structure
                .atom_chain()
                .iter()
                .map(|&c| structure.chains[c as usize].id.clone())
                .collect(),
        ),
    ];
    if let Some(x0) = x0.filter(|_| frames.len() > 1) {
        entries.push(NpzEntry::F32("x0_hat", shape, flat(&x0)));
    }
    let bytes = npz_bytes(&entries).map_err(|reason| WriteError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    let protected: Vec<&Path> = structure.source_path.as_deref().into_iter().collect();
    write_atomic(path, &bytes, &protected)
}
