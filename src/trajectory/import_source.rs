//! Reading a trajectory source, whatever wrote it, into its models in file order with the topology
//! they are measured on: a multi-model PDB/mmCIF (plain or gzip), an NPY/NPZ array file in any of the
//! layouts `array_topology` knows, or a folder of per-step files. The format is found from the content
//! first (zip, NPY and gzip magic, PDB records, `data_`), from the name second, or taken as asked.

use std::collections::HashMap;
use std::path::Path;

use super::array_file::{ArrayTrajectory, CoordinateFrames};
use super::array_topology::{ArrayLayout, ArrayRun, read_array_run};
use super::boltz_topology::read_boltz_topology;
use super::import_error::{ImportError, name_of, read_file};
use super::step_folder::step_files;
use crate::structure::{
    FileFormat, LoadOptions, Structure, format_of_content, load_bytes, load_path,
};

crate::choice::choices! {
    /// What a trajectory source is (`--format`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum SourceFormat {
        /// Found from the content, then the name.
        Auto = "auto",
        /// A multi-model PDB (MODEL/ENDMDL or bare ENDMDL).
        Pdb = "pdb",
        /// A multi-model mmCIF.
        Mmcif = "mmcif",
        /// An NPZ archive of arrays.
        Npz = "npz",
        /// One NPY array.
        Npy = "npy",
        /// A folder of per-step files.
        Folder = "folder",
    }
}

/// Where the atoms of a source are named.
#[derive(Debug, Clone, Copy)]
pub enum Topology<'a> {
    /// By the source itself; an array file that names nothing takes `unnamed`'s atoms when given.
    Own {
        /// The structure naming an unnamed array's atoms (`analyze --reference`).
        unnamed: Option<&'a Path>,
    },
    /// By a structure file (`--topology`), for arrays that name nothing.
    File(&'a Path),
    /// By the structure on screen.
    Given(&'a Structure),
}

/// A source read: its topology and models in file order.
#[derive(Debug, Clone)]
pub struct Source {
    /// The topology; its positions are the reference when `fixed_reference`.
    pub structure: Structure,
    /// The states, in file order, in the topology's atom order.
    pub models: CoordinateFrames,
    /// Predictions the source holds beside its states (an NPZ's `x0_hat`, a folder's prediction
    /// files), index for index with `models`.
    pub predictions: Option<CoordinateFrames>,
    /// σ per model, when the source has it.
    pub sigma: Option<Vec<f64>>,
    /// What was read (`multi-model PDB`, `atom37 NPZ`, …).
    pub format: String,
    /// Where the topology came from.
    pub topology: String,
    /// True when the topology's positions are a reference given beside the run, not one of its models.
    pub fixed_reference: bool,
    /// Atom-frames a per-frame mask marked absent (held at the nearest present position).
    pub held_atoms: usize,
    /// True for structure files and folders, whose first model may be the ground truth (sigmascope's
    /// MODEL 0); never for arrays, whose frames are all states.
    pub may_lead_with_truth: bool,
}

/// True when `path` is a run and nothing else: a folder, or an NPZ/NPY array file (by its first
/// bytes, else its name). A structure file may be either; `looks_like_run` tells once it is loaded.
pub fn opens_as_run(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    let mut head = [0u8; 6];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let lower = path.to_string_lossy().to_ascii_lowercase();
    head[..read].starts_with(b"PK")
        || head[..read].starts_with(b"\x93NUMPY")
        || lower.ends_with(".npz")
        || lower.ends_with(".npy")
}

/// A topology file: a PDB/mmCIF, or Boltz's structure NPZ with the atoms it marks present.
pub struct TopologyFile {
    /// The structure.
    pub structure: Structure,
    /// For Boltz's NPZ: the present atoms' indices among all its atoms, and how many there are.
    pub present: Option<(Vec<usize>, usize)>,
}

/// Loads a topology or reference file (PDB/mmCIF by the loader, Boltz's NPZ by `boltz_topology`).
pub fn load_topology(path: &Path, options: &LoadOptions) -> Result<TopologyFile, ImportError> {
    let bytes = read_file(path)?;
    if !bytes.starts_with(b"PK") {
        return Ok(TopologyFile {
            structure: load_path(path, options)?,
            present: None,
        });
    }
    let name = name_of(path);
    let boltz =
        read_boltz_topology(&name, &bytes).map_err(|reason| ImportError::Array { name, reason })?;
    Ok(TopologyFile {
        structure: boltz.structure,
        present: Some((boltz.present, boltz.total_atoms)),
    })
}

enum Kind {
    Structure(FileFormat),
    Array,
    Folder,
}

fn kind_of(path: &Path, bytes: &[u8], asked: SourceFormat) -> Result<Kind, ImportError> {
    let name = name_of(path);
    let lower = name.to_ascii_lowercase();
    Ok(match asked {
        SourceFormat::Pdb => Kind::Structure(FileFormat::Pdb),
        SourceFormat::Mmcif => Kind::Structure(FileFormat::Mmcif),
        SourceFormat::Npz | SourceFormat::Npy => Kind::Array,
        SourceFormat::Folder => Kind::Folder,
        SourceFormat::Auto if bytes.starts_with(b"PK") || bytes.starts_with(b"\x93NUMPY") => {
            Kind::Array
        }
        SourceFormat::Auto => match format_of_content(bytes) {
            Some(format) => Kind::Structure(format),
            None if lower.ends_with(".npz") || lower.ends_with(".npy") => Kind::Array,
            None => {
                let inner = lower.strip_suffix(".gz").unwrap_or(&lower);
                match inner.rsplit('.').next() {
                    Some("pdb" | "ent") => Kind::Structure(FileFormat::Pdb),
                    Some("cif" | "mmcif") => Kind::Structure(FileFormat::Mmcif),
                    _ => return Err(ImportError::Unrecognised(name)),
                }
            }
        },
    })
}

/// Reads the source at `path` as `asked`, its atoms named by `topology`.
pub fn read_source(
    path: &Path,
    asked: SourceFormat,
    topology: Topology<'_>,
    options: &LoadOptions,
) -> Result<Source, ImportError> {
    if path.is_dir() || asked == SourceFormat::Folder {
        return read_folder(path, topology, options);
    }
    let bytes = read_file(path)?;
    match kind_of(path, &bytes, asked)? {
        Kind::Folder => read_folder(path, topology, options),
        Kind::Array => read_arrays(path, &bytes, topology, options),
        Kind::Structure(format) => {
            let structure = load_as(path, &bytes, format, options)?;
            let format = format!("multi-model {}", format.label());
            models_of(path, structure, format, topology)
        }
    }
}

/// Loads a structure file as `format`, whatever its name says.
fn load_as(
    path: &Path,
    bytes: &[u8],
    format: FileFormat,
    options: &LoadOptions,
) -> Result<Structure, ImportError> {
    let name = name_of(path);
    let inner = name
        .strip_suffix(".gz")
        .unwrap_or(&name)
        .to_ascii_lowercase();
    let named = match format {
        FileFormat::Pdb => [".pdb", ".ent", ".pdb1", ".brk"]
            .iter()
            .any(|e| inner.ends_with(e)),
        FileFormat::Mmcif => inner.ends_with(".cif") || inner.ends_with(".mmcif"),
    };
    let hint = if named {
        name.clone()
    } else {
        format!(
            "{name}.{}",
            if format == FileFormat::Pdb {
                "pdb"
            } else {
                "cif"
            }
        )
    };
    let mut structure = load_bytes(&hint, bytes, options)?;
    structure.source_path = Some(path.to_path_buf());
    Ok(structure)
}

/// The models of a loaded structure file, in `topology`'s atom order when one is given.
fn models_of(
    path: &Path,
    file: Structure,
    format: String,
    topology: Topology<'_>,
) -> Result<Source, ImportError> {
    let Topology::Given(given) = topology else {
        return Ok(Source {
            models: file.model_positions.clone(),
            structure: file,
            predictions: None,
            sigma: None,
            format,
            topology: "the file's own atoms".to_owned(),
            fixed_reference: false,
            held_atoms: 0,
            may_lead_with_truth: true,
        });
    };
    let keys = chain_id_keys(&file);
    let map = match_atoms(&name_of(path), given, &keys)?;
    Ok(Source {
        models: reorder(file.model_positions, map.as_deref()),
        structure: given.clone(),
        predictions: None,
        sigma: None,
        format,
        topology: "the structure on screen".to_owned(),
        fixed_reference: true,
        held_atoms: 0,
        may_lead_with_truth: true,
    })
}

/// (chain id, residue number, atom name) of each atom.
fn chain_id_keys(s: &Structure) -> Vec<(String, isize, String)> {
    (0..s.atom_count())
        .map(|a| {
            let r = &s.residues[s.atom_residue[a] as usize];
            (
                s.chains[r.chain as usize].id.clone(),
                r.number,
                s.atom_names[a].clone(),
            )
        })
        .collect()
}

/// Topology atom index of each file atom, matched by (chain id, residue number, atom name); `None`
/// when the file's order is the topology's.
pub fn match_atoms(
    file: &str,
    topology: &Structure,
    keys: &[(String, isize, String)],
) -> Result<Option<Vec<usize>>, ImportError> {
    let topology_keys = chain_id_keys(topology);
    if keys == topology_keys.as_slice() {
        return Ok(None);
    }
    let index: HashMap<&(String, isize, String), usize> = topology_keys
        .iter()
        .enumerate()
        .map(|(a, k)| (k, a))
        .collect();
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
pub fn reorder(frames: CoordinateFrames, map: Option<&[usize]>) -> CoordinateFrames {
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

/// The keys of an array file's atoms against `topology`: its own names where it has them.
fn array_keys(
    t: &ArrayTrajectory,
    own: &Structure,
    layout: ArrayLayout,
    topology: &Structure,
) -> Option<Vec<(String, isize, String)>> {
    match layout {
        ArrayLayout::AlphaCarbons => None,
        ArrayLayout::Atom37 | ArrayLayout::Atom14 => Some(chain_id_keys(own)),
        ArrayLayout::Atoms => {
            let (names, residues, chains) = (
                t.atom_names.as_ref()?,
                t.residue_index.as_ref()?,
                t.chain_index.as_ref()?,
            );
            // sigmascope's NPZ numbers chains by their ordinal in the topology.
            Some(
                (0..names.len())
                    .map(|a| {
                        let chain = usize::try_from(chains[a])
                            .ok()
                            .and_then(|c| topology.chains.get(c))
                            .map_or_else(|| chains[a].to_string(), |c| c.id.clone());
                        (chain, residues[a] as isize, names[a].clone())
                    })
                    .collect(),
            )
        }
    }
}

fn read_arrays(
    path: &Path,
    bytes: &[u8],
    topology: Topology<'_>,
    options: &LoadOptions,
) -> Result<Source, ImportError> {
    let name = name_of(path);
    let run = read_array_run(&name, bytes).map_err(|reason| ImportError::Array {
        name: name.clone(),
        reason,
    })?;
    let format = match run.layout {
        ArrayLayout::Atoms | ArrayLayout::AlphaCarbons => "NPZ/NPY arrays [frames, atoms, 3]",
        ArrayLayout::Atom37 => "AlphaFold2 atom37 arrays",
        ArrayLayout::Atom14 => "AlphaFold2 atom14 arrays",
    };
    // A structure given for arrays that name nothing names them; without one they are refused.
    let topology = match (topology, &run.topology) {
        (Topology::Own { unnamed: Some(f) }, _) if run.layout == ArrayLayout::AlphaCarbons => {
            Topology::File(f)
        }
        (Topology::Own { unnamed: Some(f) }, None) => Topology::File(f),
        (Topology::Own { unnamed: None }, None) => return Err(ImportError::NeedsTopology(name)),
        (other, _) => other,
    };
    let (structure, described, present) = match topology {
        Topology::Given(s) => (s.clone(), "the structure on screen".to_owned(), None),
        Topology::File(file) => {
            let named = load_topology(file, options)?;
            let described = format!("{} (--topology)", name_of(file));
            (named.structure, described, named.present)
        }
        Topology::Own { .. } => return own_arrays(run, format, name),
    };
    let held_atoms = run.held_atoms;
    let (t, map) = arrays_on(run, &structure, present, &name)?;
    Ok(Source {
        models: reorder(t.x_t, map.as_deref()),
        predictions: t.x0_hat.map(|f| reorder(f, map.as_deref())),
        sigma: t.sigma,
        structure,
        format: format.to_owned(),
        topology: described,
        fixed_reference: true,
        held_atoms,
        may_lead_with_truth: false,
    })
}

/// An array file read with the topology it carries.
fn own_arrays(run: ArrayRun, format: &str, name: String) -> Result<Source, ImportError> {
    let described = match run.layout {
        ArrayLayout::AlphaCarbons => {
            "one Cα per point (the file names no atoms; --topology FILE names them)"
        }
        ArrayLayout::Atoms => "the file's atom_names, residue_index and chain_index",
        _ => "the file's aatype, atom_mask, residue_index and chain_index",
    };
    let structure = run
        .topology
        .ok_or_else(|| ImportError::NeedsTopology(name.clone()))?;
    let atoms = run.trajectory.x_t.first().map_or(0, Vec::len);
    if atoms != structure.atom_count() {
        return Err(ImportError::AtomCount {
            what: name,
            got: atoms,
            want: structure.atom_count(),
        });
    }
    Ok(Source {
        models: run.trajectory.x_t,
        predictions: run.trajectory.x0_hat,
        sigma: run.trajectory.sigma,
        structure,
        format: format.to_owned(),
        topology: if run.topology_is_reference {
            "the structure file the NPZ carries (its coordinates the reference)".to_owned()
        } else {
            described.to_owned()
        },
        fixed_reference: run.topology_is_reference,
        held_atoms: run.held_atoms,
        may_lead_with_truth: false,
    })
}

/// An array file's frames on `structure`'s atoms, with the map into its order. `present` (Boltz's
/// NPZ) cuts a sampler's coordinates of every atom down to the present ones.
fn arrays_on(
    run: ArrayRun,
    structure: &Structure,
    present: Option<(Vec<usize>, usize)>,
    name: &str,
) -> Result<(ArrayTrajectory, Option<Vec<usize>>), ImportError> {
    let mut t = run.trajectory;
    if let Some((kept, total)) = present
        && t.x_t.first().is_some_and(|f| f.len() == total)
        && total != structure.atom_count()
    {
        let select = |f: &Vec<[f32; 3]>| kept.iter().map(|&a| f[a]).collect::<Vec<_>>();
        t.x_t = t.x_t.iter().map(select).collect();
        t.x0_hat = t.x0_hat.map(|x| x.iter().map(select).collect());
    }
    let atoms = t.x_t.first().map_or(0, Vec::len);
    let keys = run
        .topology
        .as_ref()
        .and_then(|own| array_keys(&t, own, run.layout, structure));
    let map = match keys {
        Some(keys) => match_atoms(name, structure, &keys)?,
        None if atoms != structure.atom_count() => {
            return Err(ImportError::AtomCount {
                what: name.to_owned(),
                got: atoms,
                want: structure.atom_count(),
            });
        }
        None => None,
    };
    Ok((t, map))
}

/// Each file's chosen model, refused unless its atoms are the first file's.
fn load_steps(
    files: &[std::path::PathBuf],
    options: &LoadOptions,
) -> Result<(Structure, CoordinateFrames), ImportError> {
    let first = load_path(&files[0], options)?;
    let keys = chain_id_keys(&first);
    let mut models = vec![first.positions.clone()];
    for file in &files[1..] {
        let step = load_path(file, options)?;
        if chain_id_keys(&step) != keys {
            return Err(ImportError::AtomCount {
                what: format!(
                    "{} (other atoms than {})",
                    name_of(file),
                    name_of(&files[0])
                ),
                got: step.atom_count(),
                want: first.atom_count(),
            });
        }
        models.push(step.positions);
    }
    Ok((first, models))
}

fn read_folder(
    dir: &Path,
    topology: Topology<'_>,
    options: &LoadOptions,
) -> Result<Source, ImportError> {
    let name = name_of(dir);
    let files = step_files(dir).map_err(|reason| ImportError::Folder { name, reason })?;
    let (mut first, models) = load_steps(&files.states, options)?;
    let predictions = files
        .predictions
        .as_deref()
        .filter(|p| p.len() == files.states.len())
        .map(|p| load_steps(p, options))
        .transpose()?;
    first.model_positions = models;
    first.source_path = Some(dir.to_path_buf());
    let format = format!(
        "a folder of {} per-step files ({})",
        files.states.len(),
        files.pattern
    );
    let mut source = models_of(dir, first, format, topology)?;
    if let Some((file, p)) = predictions {
        let keys = chain_id_keys(&file);
        let map = match topology {
            Topology::Given(given) => match_atoms(&name_of(dir), given, &keys)?,
            _ => None,
        };
        source.predictions = Some(reorder(p, map.as_deref()));
    }
    Ok(source)
}
