//! Reading PDB and mmCIF (plain or gzip) into the flat `Structure`: a lenient pre-pass per format
//! (`pdb_records`, `cif_records`) splits the models and keeps only the atom records, then pdbtbx parses
//! one model at a time.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::element::Element;
use super::hierarchy::{Chain, FileFormat, Residue, Selection, SelectionReport, Structure};

/// Options for loading: which model and which atoms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Model to load, 1-based (`--model N`).
    pub model: usize,
    /// Atom selection applied at load.
    pub selection: Selection,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            model: 1,
            selection: Selection::default(),
        }
    }
}

/// Why a structure could not be loaded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// The gzip stream is corrupt.
    #[error("cannot decompress {name}: {reason}")]
    Gzip {
        /// The file.
        name: String,
        /// The decoder's reason.
        reason: String,
    },
    /// Neither extension nor content say PDB or mmCIF.
    #[error(
        "cannot tell the format of {name}: expected .pdb, .ent, .cif or .mmcif (optionally .gz)"
    )]
    UnknownFormat {
        /// The file.
        name: String,
    },
    /// The parser refused the file.
    #[error("cannot parse {name} as {format}: {reason}")]
    Parse {
        /// The file.
        name: String,
        /// The format it was parsed as.
        format: &'static str,
        /// The parser's first breaking error.
        reason: String,
    },
    /// `--model N` beyond the models in the file.
    #[error("{name} has {available} model(s); model {requested} does not exist")]
    NoSuchModel {
        /// The file.
        name: String,
        /// The requested model (1-based).
        requested: usize,
        /// Models in the file.
        available: usize,
    },
    /// No atom survives the selection (or the file has none).
    #[error("{name}: no atoms left after the selection ({detail})")]
    EmptySelection {
        /// The file.
        name: String,
        /// What was there and what was dropped.
        detail: String,
    },
}

/// Loads a structure file from disk. The format comes from the extension (`.gz` is looked through),
/// or from the content when the extension says nothing.
pub fn load_path(path: &Path, options: &LoadOptions) -> Result<Structure, LoadError> {
    let bytes = std::fs::read(path).map_err(|reason| LoadError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut structure = load_bytes(&file_name, &bytes, options)?;
    structure.source_path = Some(path.to_path_buf());
    Ok(structure)
}

/// Loads a structure from bytes; `file_name` gives the display name and the format hint.
pub fn load_bytes(
    file_name: &str,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Structure, LoadError> {
    let text_bytes = decompress_if_gzip(file_name, bytes)?;
    let inner_name = file_name.strip_suffix(".gz").unwrap_or(file_name);
    let format = format_from_name(inner_name)
        .or_else(|| format_from_content(&text_bytes))
        .ok_or_else(|| LoadError::UnknownFormat {
            name: file_name.to_owned(),
        })?;
    let model_texts = match format {
        FileFormat::Pdb => super::pdb_records::canonical_models(&text_bytes)
            .map(|models| models.into_iter().map(|m| m.text).collect()),
        FileFormat::Mmcif => super::cif_records::canonical_models(&text_bytes),
    }
    .map_err(|reason| LoadError::Parse {
        name: file_name.to_owned(),
        format: format.label(),
        reason,
    })?;
    let name = display_name(inner_name);
    let mut structure =
        build_structure(file_name, &name, format, &model_texts, options).map_err(|e| match e {
            BuildError::Load(e) => e,
            BuildError::NoSuchModel {
                requested,
                available,
            } => LoadError::NoSuchModel {
                name: file_name.to_owned(),
                requested,
                available,
            },
            BuildError::Empty(detail) => LoadError::EmptySelection {
                name: file_name.to_owned(),
                detail,
            },
        })?;
    structure.name = name;
    Ok(structure)
}

fn display_name(inner_name: &str) -> String {
    Path::new(inner_name).file_stem().map_or_else(
        || inner_name.to_owned(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn decompress_if_gzip(file_name: &str, bytes: &[u8]) -> Result<Vec<u8>, LoadError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| LoadError::Gzip {
                name: file_name.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

fn format_from_name(name: &str) -> Option<FileFormat> {
    let ext = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "pdb" | "ent" | "pdb1" | "brk" => Some(FileFormat::Pdb),
        "cif" | "mmcif" => Some(FileFormat::Mmcif),
        _ => None,
    }
}

/// The format of a structure file's bytes (plain or gzip) by their content alone.
pub fn format_of_content(bytes: &[u8]) -> Option<FileFormat> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // The head is enough to tell: the records that say PDB or mmCIF come first.
        let mut head = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
        (&mut decoder).take(64 * 1024).read_to_end(&mut head).ok()?;
        return format_from_content(&head);
    }
    format_from_content(bytes)
}

fn format_from_content(bytes: &[u8]) -> Option<FileFormat> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    let first = head
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    if first.starts_with("data_") {
        return Some(FileFormat::Mmcif);
    }
    let pdb_records = [
        "HEADER", "ATOM  ", "HETATM", "MODEL ", "REMARK", "CRYST1", "TITLE ",
    ];
    head.lines()
        .any(|l| pdb_records.iter().any(|r| l.starts_with(r)))
        .then_some(FileFormat::Pdb)
}

/// Parses the canonical text of one model (see `pdb_records`, `cif_records`) with pdbtbx.
fn parse_model(file_name: &str, format: FileFormat, text: &[u8]) -> Result<pdbtbx::PDB, LoadError> {
    let parse_error = |reason: String| LoadError::Parse {
        name: file_name.to_owned(),
        format: format.label(),
        reason,
    };
    let mut read_options = pdbtbx::ReadOptions::new();
    read_options
        .set_format(match format {
            FileFormat::Pdb => pdbtbx::Format::Pdb,
            FileFormat::Mmcif => pdbtbx::Format::Mmcif,
        })
        .set_level(pdbtbx::StrictnessLevel::Loose);
    // A parser bug on a malformed file must become a load error, never a crash of the app.
    let result = quietly(|| read_options.read_raw(std::io::BufReader::new(text)))
        .map_err(|_| parse_error("the parser gave up on malformed input".to_owned()))?;
    match result {
        Ok((pdb, _warnings)) => Ok(pdb),
        Err(errors) => {
            let first = errors
                .iter()
                .find(|e| e.fails(pdbtbx::StrictnessLevel::Loose))
                .or_else(|| errors.first());
            Err(parse_error(first.map_or_else(
                || "unknown error".to_owned(),
                |e| {
                    one_line(&format!(
                        "{}: {}",
                        e.short_description(),
                        e.long_description()
                    ))
                },
            )))
        }
    }
}

thread_local! {
    /// Set while this thread runs the parser under `quietly`.
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err` without printing the panic message. The process-wide hook is
/// wrapped once; it stays silent only on the thread inside `quietly`, so other panics still print.
fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    // Under the fuzzer a parser panic is a finding (the pre-passes must keep pdbtbx from it), not an error.
    #[cfg(fuzzing)]
    return Ok(f());
    #[cfg(not(fuzzing))]
    quietly_caught(f)
}

#[cfg(not(fuzzing))]
fn quietly_caught<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(false));
    result
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

enum BuildError {
    Load(LoadError),
    NoSuchModel { requested: usize, available: usize },
    Empty(String),
}

/// Atoms of one model after altloc merging and the selection, in file order.
#[derive(Default)]
struct ModelAtoms {
    positions: Vec<[f32; 3]>,
    elements: Vec<Element>,
    atom_names: Vec<String>,
    b_factors: Vec<f32>,
    hetero: Vec<bool>,
    atom_residue: Vec<u32>,
    residues: Vec<Residue>,
    residue_chain: Vec<u32>,
    chains: Vec<Chain>,
    dropped: SelectionReport,
}

const WATER_NAMES: [&str; 7] = ["HOH", "WAT", "H2O", "DOD", "D2O", "TIP", "TIP3"];

fn is_water(residue_name: &str) -> bool {
    WATER_NAMES.contains(&residue_name)
}

/// Element symbol from the file, or guessed from the atom name (first letter) when missing.
fn element_of(atom: &pdbtbx::Atom) -> Element {
    Element::parse(&element_symbol(atom))
}

fn element_symbol(atom: &pdbtbx::Atom) -> String {
    match atom.element() {
        Some(e) => e.symbol().to_ascii_uppercase(),
        None => atom
            .name()
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .chars()
            .next()
            .map_or_else(|| "X".to_owned(), |c| c.to_ascii_uppercase().to_string()),
    }
}

fn collect_model(model: &pdbtbx::Model, selection: Selection) -> ModelAtoms {
    let mut out = ModelAtoms::default();
    for chain in model.chains() {
        let chain_index = out.chains.len() as u32;
        let first_residue = out.residues.len() as u32;
        for residue in chain.residues() {
            let residue_index = out.residues.len() as u32;
            let first_atom = out.positions.len() as u32;
            let mut residue_name: Option<&str> = None;
            // (atom name, serial number, conformer index) of the atoms kept so far in this residue.
            let mut kept: Vec<(&str, usize, usize)> = Vec::new();
            for (conformer_index, conformer) in residue.conformers().enumerate() {
                for atom in conformer.atoms() {
                    let (name, serial) = (atom.name(), atom.serial_number());
                    let mut other_locations = kept
                        .iter()
                        .filter(|&&(n, _, c)| n == name && c != conformer_index)
                        .peekable();
                    if other_locations.peek().is_some() {
                        // pdbtbx copies atoms without altloc into every conformer (same serial): skip the
                        // copy. A different serial is a true alternate location: the first one seen wins.
                        if !other_locations.any(|&(_, s, _)| s == serial) {
                            out.dropped.alternate_locations += 1;
                        }
                        continue;
                    }
                    // Repeated names inside one conformer are distinct atoms (some files have them), except in
                    // a conformer with an altloc: there pdbtbx has joined the atoms without altloc (ILE 25
                    // beside LEU 25 altloc A), so a repeat is a second location of the same atom.
                    if conformer.alternative_location().is_some()
                        && kept
                            .iter()
                            .any(|&(n, _, c)| n == name && c == conformer_index)
                    {
                        out.dropped.alternate_locations += 1;
                        continue;
                    }
                    kept.push((name, serial, conformer_index));
                    let name = *residue_name.get_or_insert(conformer.name());
                    let element = element_of(atom);
                    if is_water(name) {
                        if !selection.keep_water {
                            out.dropped.water_atoms += 1;
                            continue;
                        }
                    } else if atom.hetero() && selection.drop_hetero {
                        out.dropped.hetero_atoms += 1;
                        continue;
                    }
                    if element.is_hydrogen() && !selection.keep_hydrogens {
                        out.dropped.hydrogens += 1;
                        continue;
                    }
                    let (x, y, z) = atom.pos();
                    out.positions.push([x as f32, y as f32, z as f32]);
                    out.elements.push(element);
                    out.atom_names.push(atom.name().to_owned());
                    out.b_factors.push(atom.b_factor() as f32);
                    out.hetero.push(atom.hetero());
                    out.atom_residue.push(residue_index);
                }
            }
            let atoms = first_atom..out.positions.len() as u32;
            if !atoms.is_empty() {
                let (number, insertion_code) = residue.id();
                out.residues.push(Residue {
                    name: residue_name.unwrap_or("UNK").to_owned(),
                    number,
                    insertion_code: insertion_code.map(str::to_owned),
                    chain: chain_index,
                    atoms,
                });
                out.residue_chain.push(chain_index);
            }
        }
        let residues = first_residue..out.residues.len() as u32;
        if !residues.is_empty() {
            out.chains.push(Chain {
                id: chain.id().to_owned(),
                residues,
            });
        }
    }
    out
}

/// Identity of the selected atoms, to decide which models can join the ensemble. Residue names may
/// differ (a sequence co-design run, MultiFlow's, renames residues between models).
fn same_atoms(a: &ModelAtoms, b: &ModelAtoms) -> bool {
    a.atom_names == b.atom_names
        && a.residues.len() == b.residues.len()
        && a.residues
            .iter()
            .zip(&b.residues)
            .all(|(x, y)| x.number == y.number && x.atoms == y.atoms)
}

fn same_residue_names(a: &ModelAtoms, b: &ModelAtoms) -> bool {
    a.residues
        .iter()
        .zip(&b.residues)
        .all(|(x, y)| x.name == y.name)
}

fn build_structure(
    file_name: &str,
    name: &str,
    format: FileFormat,
    model_texts: &[Vec<u8>],
    options: &LoadOptions,
) -> Result<Structure, BuildError> {
    let model_count = model_texts.len();
    let index = options.model.checked_sub(1).unwrap_or(usize::MAX);
    let Some(text) = model_texts.get(index) else {
        if model_count == 0 {
            return Err(BuildError::Empty("the file has no atom records".to_owned()));
        }
        return Err(BuildError::NoSuchModel {
            requested: options.model,
            available: model_count,
        });
    };
    let collect = |text: &[u8]| -> Result<(ModelAtoms, usize), BuildError> {
        let pdb = parse_model(file_name, format, text).map_err(BuildError::Load)?;
        Ok(pdb.model(0).map_or_else(
            || (ModelAtoms::default(), 0),
            |model| (collect_model(model, options.selection), model.atom_count()),
        ))
    };
    let (chosen, atom_records) = collect(text)?;
    if chosen.positions.is_empty() {
        let d = &chosen.dropped;
        return Err(BuildError::Empty(format!(
            "model {} has {} atom(s); dropped {} hydrogen, {} water, {} hetero",
            options.model, atom_records, d.hydrogens, d.water_atoms, d.hetero_atoms
        )));
    }
    let mut ensemble = Vec::new();
    let mut ensemble_models = Vec::new();
    let mut dropped = chosen.dropped.clone();
    for (i, other) in model_texts.iter().enumerate() {
        if i == index {
            ensemble.push(chosen.positions.clone());
            ensemble_models.push(i + 1);
            continue;
        }
        let (atoms, _) = collect(other)?;
        if same_atoms(&chosen, &atoms) {
            if !same_residue_names(&chosen, &atoms) {
                dropped.models_with_other_residue_names.push(i + 1);
            }
            ensemble.push(atoms.positions);
            ensemble_models.push(i + 1);
        } else {
            dropped.models_not_in_ensemble.push(i + 1);
        }
    }
    let ModelAtoms {
        positions,
        elements,
        atom_names,
        b_factors,
        hetero,
        atom_residue,
        residues,
        residue_chain,
        chains,
        dropped: _,
    } = chosen;
    Ok(Structure {
        name: name.to_owned(),
        source_path: None,
        format,
        model_count,
        model_number: options.model,
        positions,
        elements,
        atom_names,
        b_factors,
        hetero,
        atom_residue,
        residues,
        residue_chain,
        chains,
        model_positions: ensemble,
        model_numbers: ensemble_models,
        selection: options.selection,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_taken_from_extension_then_content() {
        assert_eq!(format_from_name("a.PDB"), Some(FileFormat::Pdb));
        assert_eq!(format_from_name("a.ent"), Some(FileFormat::Pdb));
        assert_eq!(format_from_name("a.cif"), Some(FileFormat::Mmcif));
        assert_eq!(format_from_name("a.txt"), None);
        assert_eq!(
            format_from_content(b"# c\ndata_1ABC\n"),
            Some(FileFormat::Mmcif)
        );
        assert_eq!(
            format_from_content(b"HEADER  X\nATOM      1"),
            Some(FileFormat::Pdb)
        );
        assert_eq!(format_from_content(b"hello\nworld\n"), None);
    }

    #[test]
    fn garbage_is_an_error_naming_the_file() {
        let err = load_bytes("junk.txt", b"hello world\n", &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("junk.txt"), "{err}");
        let err =
            load_bytes("bad.gz", &[0x1f, 0x8b, 0, 1, 2], &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, LoadError::Gzip { .. }), "{err}");
    }
}
