//! Importing trajectories written by other tools: a multi-MODEL PDB/mmCIF with the same atoms in every
//! model (RFdiffusion / FrameDiff style), or an NPY/NPZ array [frames, atoms, 3] with a topology file.

use std::path::{Path, PathBuf};

use super::array_file::read_array_frames;
use crate::sampler::Frame;
use crate::structure::{LoadError, LoadOptions, Structure, load_path};

/// Why a trajectory could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Loading the trajectory, topology or reference failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The reason.
        reason: std::io::Error,
    },
    /// The array file is not a supported NPY/NPZ.
    #[error("{name}: {reason}")]
    Array {
        /// The file.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Atom counts disagree.
    #[error("{what} has {got} atoms but the topology has {want}")]
    AtomCount {
        /// Which input.
        what: String,
        /// Its atom count.
        got: usize,
        /// The topology's.
        want: usize,
    },
    /// Nothing to analyse.
    #[error(
        "{0}: no frames besides the reference (a multi-MODEL file needs at least 2 models with the same atoms)"
    )]
    NoFrames(String),
    /// An array file without a topology.
    #[error("{0}: an array trajectory needs --topology FILE (a PDB/mmCIF with the same atoms)")]
    NeedsTopology(String),
    /// NaN or infinite coordinates.
    #[error("{0}: frame {1} has NaN or infinite coordinates")]
    NonFinite(String, usize),
}

/// An imported trajectory: the topology (its positions are the reference) and the frames.
#[derive(Debug, Clone)]
pub struct ImportedTrajectory {
    /// Topology; `positions` holds the reference.
    pub structure: Structure,
    /// Frames in file order (index 1, 2, … ; the reference is frame 0 of nothing).
    pub frames: Vec<Frame>,
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Imports `trajectory`; the reference is `reference` if given, else the first model (MODEL 0 of our exports)
/// or the topology's coordinates for arrays.
pub fn import_trajectory(
    trajectory: &Path,
    reference: Option<&Path>,
    topology: Option<&Path>,
    options: &LoadOptions,
) -> Result<ImportedTrajectory, ImportError> {
    let name = name_of(trajectory);
    let lower = name.to_ascii_lowercase();
    let (mut structure, mut coordinates) = if lower.ends_with(".npy") || lower.ends_with(".npz") {
        let topology = topology
            .or(reference)
            .ok_or_else(|| ImportError::NeedsTopology(name.clone()))?;
        let structure = load_path(topology, options)?;
        let bytes = std::fs::read(trajectory).map_err(|reason| ImportError::Io {
            path: trajectory.to_path_buf(),
            reason,
        })?;
        let coordinates = read_array_frames(&bytes).map_err(|reason| ImportError::Array {
            name: name.clone(),
            reason,
        })?;
        if let Some(atoms) = coordinates.first().map(Vec::len)
            && atoms != structure.atom_count()
        {
            return Err(ImportError::AtomCount {
                what: name,
                got: atoms,
                want: structure.atom_count(),
            });
        }
        (structure, coordinates)
    } else {
        let structure = load_path(trajectory, options)?;
        let mut models = structure.ensemble.clone();
        if reference.is_none() {
            models.remove(0);
        }
        (structure, models)
    };
    if let Some(path) = reference {
        let reference = load_path(path, options)?;
        if reference.atom_count() != structure.atom_count() {
            return Err(ImportError::AtomCount {
                what: name_of(path),
                got: reference.atom_count(),
                want: structure.atom_count(),
            });
        }
        structure.positions = reference.positions;
    }
    if coordinates.is_empty() {
        return Err(ImportError::NoFrames(name));
    }
    if let Some(bad) = coordinates
        .iter()
        .position(|c| c.iter().flatten().any(|v| !v.is_finite()))
    {
        return Err(ImportError::NonFinite(name, bad + 1));
    }
    let frames = coordinates
        .drain(..)
        .enumerate()
        .map(|(i, c)| Frame::from_positions(i + 1, c))
        .collect();
    Ok(ImportedTrajectory { structure, frames })
}
