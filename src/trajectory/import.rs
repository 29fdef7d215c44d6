//! Importing trajectories written by other tools (RFdiffusion, FrameDiff, MultiFlow, RFdiffusion3,
//! BoltzGen, Chroma, AlphaFold2-lineage arrays, folders of per-step files) as a run sigmascope measures:
//! the source is read (`import_source`), its units found, its frames put noisiest first with the clean
//! end found by backbone geometry (`sampling_order`), its predictions paired (`pairing`), its reference
//! matched (`reference_match`), σ given and rigid motion taken out as asked (`import_adjust`). What was
//! found and done is the `SourceReport`.

use std::path::{Path, PathBuf};

use super::array_file::CoordinateFrames;
use super::import_adjust::{
    FrameSchedule, ImportAlignment, align_frames, in_nanometres, read_sigma_file, scale_frames,
    unscale_by_c_in,
};
use super::import_error::{ImportError, name_of};
use super::import_source::{Source, SourceFormat, Topology, read_source};
use super::pairing::{order_predictions, prediction_path};
use super::reference_match::match_reference;
use super::sampling_order::{FrameOrder, OrderFound, find_order};
use crate::sampler::Frame;
use crate::structure::{LoadOptions, Structure, load_path};

/// How a trajectory is read (`analyze`'s and the window's options).
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Atom selection and model.
    pub load: LoadOptions,
    /// What the source is.
    pub format: SourceFormat,
    /// A structure naming an array file's atoms.
    pub topology: Option<PathBuf>,
    /// The ground truth.
    pub reference: Option<PathBuf>,
    /// The models' order.
    pub order: FrameOrder,
    /// The predictions' file.
    pub x0: Option<PathBuf>,
    /// Superposition on import.
    pub align: ImportAlignment,
    /// σ per frame from a named schedule.
    pub schedule: Option<FrameSchedule>,
    /// σ per frame from a sidecar file.
    pub sigma_file: Option<PathBuf>,
    /// σ_data to undo RFdiffusion3's input scaling with (`--unscale sigma-data`).
    pub unscale_sigma_data: Option<f64>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            load: LoadOptions::default(),
            format: SourceFormat::Auto,
            topology: None,
            reference: None,
            order: FrameOrder::Auto,
            x0: None,
            align: ImportAlignment::None,
            schedule: None,
            sigma_file: None,
            unscale_sigma_data: None,
        }
    }
}

/// What was found in a source and done to it (the JSON's `source`, the window's status line).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceReport {
    /// What was read.
    pub format: String,
    /// Where the atoms' names came from.
    pub topology: String,
    /// Order, reversal, reference, pairing.
    #[serde(flatten)]
    pub order: OrderFound,
    /// The coordinates' unit and any conversion.
    pub units: String,
    /// Atoms of `--reference` matched to the run's, and how.
    pub atoms_matched: Option<String>,
    /// Where σ per frame came from.
    pub sigma: String,
    /// The superposition applied on import.
    pub alignment: ImportAlignment,
    /// Whether the frames were scaled back from the network's input scale.
    pub unscaled: Option<String>,
    /// Atom-frames a per-frame mask marked absent (held at their nearest present position).
    pub held_atoms: usize,
    /// Whose residue names are shown when they change between frames.
    pub residue_names: Option<String>,
}

impl SourceReport {
    /// One line for a status bar.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.format.clone(), format!("order {}", self.order.order)];
        if self.order.reversed {
            parts.push("frames reversed (the file starts at the clean end)".to_owned());
        }
        parts.push(format!("reference: {}", self.order.reference));
        if let Some(p) = &self.order.paired_with {
            parts.push(format!("x̂0 from {p}"));
        }
        if self.units != "Å" {
            parts.push(self.units.clone());
        }
        if self.alignment != ImportAlignment::None {
            parts.push(format!(
                "frames superposed onto the {}",
                match self.alignment {
                    ImportAlignment::Previous => "previous frame",
                    _ => "reference",
                }
            ));
        }
        if self.sigma.ends_with("(--schedule)") || self.sigma.ends_with("(--sigma)") {
            parts.push(format!("σ from {}", self.sigma));
        }
        parts.join("; ")
    }
}

/// An imported trajectory: the topology (its positions are the reference) and the frames.
#[derive(Debug, Clone)]
pub struct ImportedTrajectory {
    /// Topology; `positions` holds the reference.
    pub structure: Structure,
    /// Frames noisiest first.
    pub frames: Vec<Frame>,
    /// What was found and done.
    pub source: SourceReport,
    /// Keys the file lacks for some figure (`sigma` for the schedule, `x0_hat` for the denoiser error).
    pub missing: Vec<&'static str>,
    /// True when the topology is the file's own (not the structure it was opened against).
    pub own_topology: bool,
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

/// Imports `trajectory` for `analyze`, numbering frames from 1. Its atoms are named by the file
/// itself, else by `--topology` (or `--reference`) for arrays that name nothing.
pub fn import_trajectory(
    trajectory: &Path,
    options: &ImportOptions,
) -> Result<ImportedTrajectory, ImportError> {
    let topology = match options.topology.as_deref() {
        Some(file) => Topology::File(file),
        None => Topology::Own {
            unnamed: options.reference.as_deref(),
        },
    };
    let mut imported = import_with(trajectory, topology, options)?;
    for frame in &mut imported.frames {
        frame.index += 1;
    }
    Ok(imported)
}

/// Imports `trajectory` against `structure` (the structure on screen; its positions are the
/// reference), numbering frames from 0.
pub fn import_against(
    trajectory: &Path,
    structure: &Structure,
    options: &ImportOptions,
) -> Result<ImportedTrajectory, ImportError> {
    import_with(trajectory, Topology::Given(structure), options)
}

/// Imports `trajectory` for the window: against `structure` when its atoms are the run's, else with the
/// topology the run carries (arrays that name their atoms, structure files, folders). The structure
/// file itself opened as a run is its own topology, its clean end the reference.
pub fn import_for_view(
    trajectory: &Path,
    structure: &Structure,
    options: &ImportOptions,
) -> Result<ImportedTrajectory, ImportError> {
    if structure.source_path.as_deref() == Some(trajectory) {
        return import_with(trajectory, Topology::Own { unnamed: None }, options);
    }
    match import_against(trajectory, structure, options) {
        Err(e @ (ImportError::AtomCount { .. } | ImportError::Unmatched { .. })) => {
            import_with(trajectory, Topology::Own { unnamed: None }, options)
                .ok()
                .filter(|own| own.own_topology)
                .ok_or(e)
        }
        other => other,
    }
}

fn import_with(
    trajectory: &Path,
    topology: Topology<'_>,
    options: &ImportOptions,
) -> Result<ImportedTrajectory, ImportError> {
    let name = name_of(trajectory);
    let mut source = read_source(trajectory, options.format, topology, &options.load)?;
    check_finite(&name, &source.models)?;
    if let Some(p) = &source.predictions {
        check_finite(&name, p)?;
    }
    let units = convert_units(&mut source);
    let found = find_order(&source.structure, &source.models, options.order);
    let residue_names = clean_end_names(&mut source, &found, trajectory, options);
    let mut run = RunParts::ordered(source, found, options.reference.is_some(), &name)?;
    if run.predictions.is_none() {
        let file = options.x0.clone().or_else(|| prediction_path(trajectory));
        run.pair_file(file.as_deref(), options.x0.is_some(), &options.load)?;
    }
    let atoms_matched = match options.reference.as_deref() {
        Some(path) => Some(run.match_reference(path, &options.load)?),
        None => None,
    };
    let sigma = run.give_sigma(options)?;
    let unscaled = run.unscale(options)?;
    align_frames(
        &mut run.models,
        run.predictions.as_mut(),
        options.align,
        &run.structure.positions,
    );
    let report = SourceReport {
        format: run.format.clone(),
        topology: run.topology.clone(),
        order: run.found.clone(),
        units,
        atoms_matched,
        sigma,
        alignment: options.align,
        unscaled,
        held_atoms: run.held_atoms,
        residue_names,
    };
    Ok(run.into_imported(report, matches!(topology, Topology::Own { .. })))
}

/// Converts a run written in nanometres to Å; the unit as the report states it.
fn convert_units(source: &mut Source) -> String {
    if !in_nanometres(&source.structure, &source.models) {
        return "Å".to_owned();
    }
    scale_frames(&mut source.models, 10.0);
    if let Some(p) = source.predictions.as_mut() {
        scale_frames(p, 10.0);
    }
    if !source.fixed_reference {
        for p in &mut source.structure.positions {
            *p = p.map(|v| v * 10.0);
        }
    }
    "nm, converted to Å (×10): consecutive Cα atoms 0.38 apart".to_owned()
}

/// Gives the topology the residue names of the run's clean end when they change between models
/// (MultiFlow's sequence co-design); which model's names are shown.
fn clean_end_names(
    source: &mut Source,
    found: &OrderFound,
    trajectory: &Path,
    options: &ImportOptions,
) -> Option<String> {
    let differ = &source.structure.dropped.models_with_other_residue_names;
    if differ.is_empty() || source.fixed_reference || !trajectory.is_file() {
        return None;
    }
    let clean = match found.order {
        FrameOrder::NoiseFirst => *source.structure.model_numbers.last()?,
        _ => source.structure.model_number,
    };
    if clean != source.structure.model_number {
        let load = LoadOptions {
            model: clean,
            ..options.load
        };
        let at_clean = load_path(trajectory, &load).ok()?;
        for (r, named) in source.structure.residues.iter_mut().zip(at_clean.residues) {
            r.name = named.name;
        }
    }
    Some(format!(
        "residue names change in {} models; those of model {clean}, the clean end, are shown",
        differ.len()
    ))
}

/// A run being assembled: the source's parts in sampling order.
struct RunParts {
    structure: Structure,
    models: CoordinateFrames,
    predictions: Option<CoordinateFrames>,
    sigma: Option<Vec<f64>>,
    found: OrderFound,
    format: String,
    topology: String,
    held_atoms: usize,
}

impl RunParts {
    /// The source's models noisiest first as `found` says, the clean end the reference unless the
    /// source came with one or a separate reference is given.
    fn ordered(
        source: Source,
        mut found: OrderFound,
        has_reference: bool,
        name: &str,
    ) -> Result<Self, ImportError> {
        let Source {
            mut structure,
            mut models,
            mut predictions,
            mut sigma,
            format,
            topology,
            fixed_reference,
            held_atoms,
            may_lead_with_truth,
        } = source;
        let is_truth = |m: &Vec<[f32; 3]>| {
            m.iter()
                .zip(&structure.positions)
                .all(|(a, b)| (0..3).all(|k| (a[k] - b[k]).abs() < 1e-3))
        };
        let drop_first = match found.order {
            FrameOrder::CleanFirst => {
                models.reverse();
                if let Some(p) = predictions.as_mut() {
                    p.reverse();
                }
                if let Some(s) = sigma.as_mut() {
                    s.reverse();
                }
                false
            }
            FrameOrder::NoiseFirst => false,
            // A first model equal to the structure opened beside it is sigmascope's MODEL 0.
            _ if fixed_reference => {
                may_lead_with_truth && models.len() > 1 && models.first().is_some_and(is_truth)
            }
            _ => !has_reference,
        };
        if drop_first && !models.is_empty() {
            let first = models.remove(0);
            if let Some(p) = predictions.as_mut().filter(|p| !p.is_empty()) {
                p.remove(0);
            }
            if let Some(s) = sigma.as_mut().filter(|s| !s.is_empty()) {
                s.remove(0);
            }
            if !fixed_reference {
                structure.positions = first;
            }
        } else if !fixed_reference && let Some(end) = models.last() {
            structure.positions.clone_from(end);
        }
        if fixed_reference {
            found.reference.clone_from(&topology);
        }
        if models.is_empty() {
            return Err(ImportError::NoFrames(name.to_owned()));
        }
        Ok(Self {
            structure,
            models,
            predictions,
            sigma,
            found,
            format,
            topology,
            held_atoms,
        })
    }

    /// Pairs the frames with the predictions of `path` (the same atoms), put in the states' order. A
    /// file found by its name that does not fit is named in the report, not fatal.
    fn pair_file(
        &mut self,
        path: Option<&Path>,
        asked: bool,
        load: &LoadOptions,
    ) -> Result<(), ImportError> {
        let Some(path) = path else { return Ok(()) };
        let read = || -> Result<CoordinateFrames, ImportError> {
            let file = load_path(path, load)?;
            if file.atom_count() != self.structure.atom_count() {
                return Err(ImportError::AtomCount {
                    what: name_of(path),
                    got: file.atom_count(),
                    want: self.structure.atom_count(),
                });
            }
            check_finite(&name_of(path), &file.model_positions)?;
            Ok(file.model_positions)
        };
        match read() {
            Ok(predictions) => {
                let (ordered, reversed) = order_predictions(predictions, &self.structure.positions);
                self.predictions = Some(ordered);
                self.found.paired_with = Some(name_of(path));
                self.found.predictions_reversed = reversed;
                Ok(())
            }
            Err(e) if asked => Err(e),
            Err(e) => {
                self.found.paired_with = Some(format!("{} not paired: {e}", name_of(path)));
                Ok(())
            }
        }
    }

    /// Takes the reference from `path`, its atoms matched to the run's; how many matched.
    fn match_reference(&mut self, path: &Path, load: &LoadOptions) -> Result<String, ImportError> {
        let reference = super::import_source::load_topology(path, load)?.structure;
        let matched = match_reference(&self.structure, &self.structure.positions, &reference)
            .map_err(|e| ImportError::Option(format!("{}: {e}", name_of(path))))?;
        self.structure.positions = matched.positions;
        self.found.reference = format!("{} (--reference)", name_of(path));
        Ok(format!(
            "{} of the run's {} atoms matched by {} ({} atoms in the reference)",
            matched.matched,
            self.structure.atom_count(),
            matched.by,
            reference.atom_count()
        ))
    }

    /// σ per frame: the file's, a sidecar's or a named schedule's; where it came from.
    fn give_sigma(&mut self, options: &ImportOptions) -> Result<String, ImportError> {
        let frames = self.models.len();
        let (sigma, said) = if let Some(path) = options.sigma_file.as_deref() {
            let sigma = read_sigma_file(path)
                .map_err(|e| ImportError::Option(format!("--sigma {}: {e}", name_of(path))))?;
            (sigma, format!("{} (--sigma)", name_of(path)))
        } else if let Some(schedule) = options.schedule {
            let said = format!("the {schedule} schedule for {frames} frames (--schedule)");
            (schedule.sigmas(frames), said)
        } else if self.sigma.is_some() {
            return Ok("the file's sigma".to_owned());
        } else {
            return Ok("none (the file has no σ; --schedule or --sigma gives it)".to_owned());
        };
        if sigma.len() != frames {
            return Err(ImportError::Option(format!(
                "{said} gives {} σ values for {frames} frames",
                sigma.len()
            )));
        }
        self.sigma = Some(sigma);
        Ok(said)
    }

    /// Scales the states back from the network's input scale when asked.
    fn unscale(&mut self, options: &ImportOptions) -> Result<Option<String>, ImportError> {
        let Some(sigma_data) = options.unscale_sigma_data else {
            return Ok(None);
        };
        let sigma = self.sigma.as_deref().ok_or_else(|| {
            ImportError::Option(
                "--unscale sigma-data needs σ per frame (--schedule NAME or --sigma FILE)"
                    .to_owned(),
            )
        })?;
        unscale_by_c_in(&mut self.models, sigma, sigma_data);
        Ok(Some(format!(
            "states multiplied by √(σ² + σ_data²)/σ_data, σ_data {sigma_data} Å"
        )))
    }

    fn into_imported(self, source: SourceReport, own_topology: bool) -> ImportedTrajectory {
        let mut missing = Vec::new();
        if self.sigma.is_none() {
            missing.push("sigma");
        }
        if self.predictions.is_none() {
            missing.push("x0_hat");
        }
        let mut predictions = self.predictions.map(Vec::into_iter);
        let frames = self
            .models
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut frame = Frame::from_positions(i, c);
                if let Some(s) = self.sigma.as_ref().and_then(|s| s.get(i)) {
                    frame.sigma = *s;
                }
                frame.x0_hat = predictions.as_mut().and_then(Iterator::next);
                frame
            })
            .collect();
        ImportedTrajectory {
            structure: self.structure,
            frames,
            source,
            missing,
            own_topology,
        }
    }
}
