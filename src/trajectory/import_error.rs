//! Why an import failed, and the file helpers every importer shares.

use std::path::{Path, PathBuf};

use crate::structure::LoadError;

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
    /// An array file that names no atoms, without a structure to name them.
    #[error(
        "{0}: the arrays name no atoms and are not a Cα trace; give --topology FILE (a PDB/mmCIF with the same atoms)"
    )]
    NeedsTopology(String),
    /// The array file is not a supported NPY/NPZ.
    #[error("{name}: {reason}")]
    Array {
        /// The file.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The folder holds no per-step files.
    #[error("{name}: {reason}")]
    Folder {
        /// The folder.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The file is none of the formats.
    #[error(
        "{0}: not a trajectory; tried multi-model PDB, mmCIF (plain or gzip), NPZ/NPY arrays and a folder of per-step files (--format names one)"
    )]
    Unrecognised(String),
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
    /// NaN or infinite coordinates.
    #[error("{0}: frame {1} has NaN or infinite coordinates")]
    NonFinite(String, usize),
    /// An atom of the file has no atom of the topology with its chain, residue and name.
    #[error(
        "{file}: atom {atom} (chain {chain}, residue {residue}, {name}) is not in the topology"
    )]
    Unmatched {
        /// The trajectory file.
        file: String,
        /// Index of the atom in the file.
        atom: usize,
        /// Its chain (id or index).
        chain: String,
        /// Its residue number.
        residue: String,
        /// Its atom name.
        name: String,
    },
    /// An option that cannot be honoured for this file.
    #[error("{0}")]
    Option(String),
}

/// The bytes of `path`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|reason| ImportError::Io {
        path: path.to_path_buf(),
        reason,
    })
}

/// The file name of `path` (its display form when it has none).
pub fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
