//! Importing trajectories written by other tools: a multi-MODEL PDB/mmCIF with the same atoms in every
//! model (RFdiffusion / FrameDiff style), or an NPY/NPZ array [frames, atoms, 3] with a topology file.
//! Atoms are matched to the topology by chain, residue and atom name when the file names them (a PDB's
//! atom records; an NPZ's `atom_names`, `residue_index`, `chain_index`), else taken in topology order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::array_file::{ArrayTrajectory, CoordinateFrames, read_array_trajectory};
use super::pairing::{pair_predictions, prediction_path};
use super::sampling_order::{FrameOrder, OrderFound, find_order};
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
}

/// An imported trajectory: the topology (its positions are the reference) and the frames.
#[derive(Debug, Clone)]
pub struct ImportedTrajectory {
    /// Topology; `positions` holds the reference.
    pub structure: Structure,
    /// Frames noisiest first (index 1, 2, … ; the reference is frame 0 of nothing).
    pub frames: Vec<Frame>,
    /// The order a multi-model file's models were taken in, and which is the reference (none for
    /// arrays and for a run read against a structure).
    pub order: Option<OrderFound>,
    /// Keys the file lacks for some figure (`sigma` for the schedule, `x0_hat` for the denoiser error).
    pub missing: Vec<&'static str>,
}

/// Topology atom index of each file atom, matched by (chain, residue number, atom name); `None` when the
/// file's order is the topology's.
fn match_atoms(
    file: &str,
    topology: &Structure,
    keys: &[(String, isize, String)],
    chain_of_topology: impl Fn(usize) -> String,
) -> Result<Option<Vec<usize>>, ImportError> {
    let key_of = |a: usize| {
        let r = &topology.residues[topology.atom_residue[a] as usize];
        (
            chain_of_topology(a),
            r.number,
            topology.atom_names[a].clone(),
        )
    };
    if keys.len() == topology.atom_count() && (0..keys.len()).all(|a| keys[a] == key_of(a)) {
        return Ok(None);
    }
    let index: HashMap<(String, isize, String), usize> =
        (0..topology.atom_count()).map(|a| (key_of(a), a)).collect();
    let map = keys
        .iter()
        .enumerate()
        .map(|(atom, key)| {
            index
                .get(key)
                .copied()
                .ok_or_else(|| ImportError::Unmatched {
                    file: file.to_owned(),
                    atom,
                    chain: key.0.clone(),
                    residue: key.1.to_string(),
                    name: key.2.clone(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if map.len() != topology.atom_count() {
        return Err(ImportError::AtomCount {
            what: file.to_owned(),
            got: map.len(),
            want: topology.atom_count(),
        });
    }
    Ok(Some(map))
}

/// Frames in topology atom order.
fn reorder(frames: CoordinateFrames, map: Option<&[usize]>) -> CoordinateFrames {
    let Some(map) = map else { return frames };
    frames
        .into_iter()
        .map(|f| {
            let mut out = vec![[0.0f32; 3]; f.len()];
            for (i, p) in f.into_iter().enumerate() {
                out[map[i]] = p;
            }
            out
        })
        .collect()
}

/// The atom map of an array trajectory (by its naming keys, when it has all three).
fn array_atom_map(
    name: &str,
    topology: &Structure,
    t: &ArrayTrajectory,
) -> Result<Option<Vec<usize>>, ImportError> {
    let atoms = t.x_t.first().map_or(0, Vec::len);
    match (&t.atom_names, &t.residue_index, &t.chain_index) {
        (Some(names), Some(residues), Some(chains)) => {
            let keys: Vec<(String, isize, String)> = (0..atoms)
                .map(|a| {
                    (
                        chains[a].to_string(),
                        residues[a] as isize,
                        names[a].clone(),
                    )
                })
                .collect();
            let chain_ordinal = |a: usize| {
                let r = &topology.residues[topology.atom_residue[a] as usize];
                r.chain.to_string()
            };
            match_atoms(name, topology, &keys, chain_ordinal)
        }
        _ if atoms != topology.atom_count() => Err(ImportError::AtomCount {
            what: name.to_owned(),
            got: atoms,
            want: topology.atom_count(),
        }),
        _ => Ok(None),
    }
}

fn check_finite(name: &str, frames: &CoordinateFrames) -> Result<(), ImportError> {
    match frames
        .iter()
        .position(|c| c.iter().flatten().any(|v| !v.is_finite()))
    {
        Some(bad) => Err(ImportError::NonFinite(name.to_owned(), bad + 1)),
        None => Ok(()),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|reason| ImportError::Io {
        path: path.to_path_buf(),
        reason,
    })
}

fn is_array_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".npy") || lower.ends_with(".npz")
}

/// Imports `trajectory` against a loaded `topology` (the structure on screen; its positions are the
/// reference). Frames are numbered from 0 in file order; a first model equal to the topology (MODEL 0
/// of sigmascope's exports) is the ground truth, not a frame.
pub fn import_against(
    trajectory: &Path,
    topology: &Structure,
    options: &LoadOptions,
) -> Result<ImportedTrajectory, ImportError> {
    let name = name_of(trajectory);
    let mut order = None;
    let (x_t, x0_hat, sigma) = if is_array_file(&name) {
        let t = read_array_trajectory(&read_file(trajectory)?).map_err(|reason| {
            ImportError::Array {
                name: name.clone(),
                reason,
            }
        })?;
        let map = array_atom_map(&name, topology, &t)?;
        let x0 = t.x0_hat.map(|f| reorder(f, map.as_deref()));
        (reorder(t.x_t, map.as_deref()), x0, t.sigma)
    } else {
        let file = load_path(trajectory, options)?;
        let keys: Vec<(String, isize, String)> = (0..file.atom_count())
            .map(|a| {
                let r = &file.residues[file.atom_residue[a] as usize];
                (
                    file.chains[r.chain as usize].id.clone(),
                    r.number,
                    file.atom_names[a].clone(),
                )
            })
            .collect();
        let chain_id = |a: usize| {
            let r = &topology.residues[topology.atom_residue[a] as usize];
            topology.chains[r.chain as usize].id.clone()
        };
        let map = match_atoms(&name, topology, &keys, chain_id)?;
        let mut models = reorder(file.model_positions, map.as_deref());
        let is_truth = |m: &Vec<[f32; 3]>| {
            m.iter()
                .zip(&topology.positions)
                .all(|(a, b)| (0..3).all(|k| (a[k] - b[k]).abs() < 1e-3))
        };
        // A flipped stack (RFdiffusion, FrameDiff) runs clean first: the run is shown noisiest first,
        // its clean end a frame even where it equals the structure (the design opened beside its run).
        let mut found = find_order(topology, &models, FrameOrder::Auto);
        if found.order == FrameOrder::CleanFirst {
            models.reverse();
        } else if models.len() > 1 && models.first().is_some_and(is_truth) {
            models.remove(0);
        }
        found.reference = "the structure it was opened against".to_owned();
        order = Some(found);
        (models, None, None)
    };
    if x_t.is_empty() {
        return Err(ImportError::NoFrames(name));
    }
    check_finite(&name, &x_t)?;
    if let Some(x0) = &x0_hat {
        check_finite(&name, x0)?;
    }
    let mut missing = Vec::new();
    if sigma.is_none() {
        missing.push("sigma");
    }
    if x0_hat.is_none() {
        missing.push("x0_hat");
    }
    let mut x0_frames = x0_hat.map(Vec::into_iter);
    let frames = x_t
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut frame = Frame::from_positions(i, c);
            if let Some(s) = sigma.as_ref().and_then(|s| s.get(i)) {
                frame.sigma = *s;
            }
            frame.x0_hat = x0_frames.as_mut().and_then(Iterator::next);
            frame
        })
        .collect();
    Ok(ImportedTrajectory {
        structure: topology.clone(),
        frames,
        order,
        missing,
    })
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Imports `trajectory` for `analyze`; the reference is `reference` if given, else the clean end of a
/// multi-model file as `order` finds it (the first model of sigmascope's exports, the last of a
/// noise-first file, the first of a flipped stack) or the topology's coordinates for arrays. A
/// multi-model file's predictions come from `x0`, else from the file its tool writes beside it. Frames
/// are numbered from 1, noisiest first.
pub fn import_trajectory(
    trajectory: &Path,
    reference: Option<&Path>,
    topology: Option<&Path>,
    options: &LoadOptions,
    order: FrameOrder,
    x0: Option<&Path>,
) -> Result<ImportedTrajectory, ImportError> {
    let name = name_of(trajectory);
    let mut imported = if is_array_file(&name) {
        let topology = topology
            .or(reference)
            .ok_or_else(|| ImportError::NeedsTopology(name.clone()))?;
        import_against(trajectory, &load_path(topology, options)?, options)?
    } else {
        let mut imported = import_models(trajectory, reference.is_some(), options, order)?;
        if let Some(path) = x0 {
            pair_with(&mut imported, path, options)?;
        } else if let Some(path) = prediction_path(trajectory) {
            // A file found by its name that does not fit is named, not fatal.
            if let Err(e) = pair_with(&mut imported, &path, options)
                && let Some(found) = imported.order.as_mut()
            {
                found.paired_with = Some(format!("{} not paired: {e}", name_of(&path)));
            }
        }
        imported
    };
    if let Some(path) = reference {
        let reference = load_alike(path, options, imported.structure.atom_count())?;
        imported.structure.positions = reference.positions;
        if let Some(found) = imported.order.as_mut() {
            found.reference = format!("{} (--reference)", name_of(path));
        }
    }
    for frame in &mut imported.frames {
        frame.index += 1;
    }
    Ok(imported)
}

/// A multi-model file's models as frames, in the order `order` finds, its clean end the reference
/// (the first model as written is dropped as the reference only in the as-written order, and only
/// without a separate reference).
fn import_models(
    trajectory: &Path,
    has_reference: bool,
    options: &LoadOptions,
    order: FrameOrder,
) -> Result<ImportedTrajectory, ImportError> {
    let name = name_of(trajectory);
    let mut structure = load_path(trajectory, options)?;
    let mut models = structure.model_positions.clone();
    check_finite(&name, &models)?;
    let found = find_order(&structure, &models, order);
    match found.order {
        FrameOrder::NoiseFirst => {
            if let Some(end) = models.last() {
                structure.positions.clone_from(end);
            }
        }
        // The first model as written is the clean end: the reference, and the run's last frame.
        FrameOrder::CleanFirst => models.reverse(),
        FrameOrder::AsWritten | FrameOrder::Auto => {
            if !has_reference {
                models.remove(0);
            }
        }
    }
    if models.is_empty() {
        return Err(ImportError::NoFrames(name));
    }
    Ok(ImportedTrajectory {
        frames: models
            .into_iter()
            .enumerate()
            .map(|(i, c)| Frame::from_positions(i, c))
            .collect(),
        structure,
        order: Some(found),
        missing: vec!["sigma", "x0_hat"],
    })
}

/// The structure file at `path`, refused unless it has `atoms` atoms (a reference or a prediction file
/// of the run's atoms).
fn load_alike(path: &Path, options: &LoadOptions, atoms: usize) -> Result<Structure, ImportError> {
    let structure = load_path(path, options)?;
    if structure.atom_count() != atoms {
        return Err(ImportError::AtomCount {
            what: name_of(path),
            got: structure.atom_count(),
            want: atoms,
        });
    }
    Ok(structure)
}

/// Pairs the frames with the predictions of `path` (the same atoms), in the states' order.
fn pair_with(
    imported: &mut ImportedTrajectory,
    path: &Path,
    options: &LoadOptions,
) -> Result<(), ImportError> {
    let predictions = load_alike(path, options, imported.structure.atom_count())?;
    check_finite(&name_of(path), &predictions.model_positions)?;
    let reversed = pair_predictions(
        &mut imported.frames,
        predictions.model_positions,
        &imported.structure.positions,
    );
    imported.missing.retain(|&key| key != "x0_hat");
    if let Some(found) = imported.order.as_mut() {
        found.paired_with = Some(name_of(path));
        found.predictions_reversed = reversed;
    }
    Ok(())
}
