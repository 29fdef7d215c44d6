//! Everything a user can do in the window, as data, and the one place each is applied to the state.
//! The panels return commands; tests send them with no window and no GPU.

use std::path::PathBuf;
use std::sync::Arc;

use super::diagnosis::Control;
use super::export::ExportKind;
use super::protocol::WorkerCommand;
use super::run_view::PinnedRun;
use super::settings::Settings;
use super::state::{AppState, load_options};
use super::timeline::TimelineCommand;
use crate::denoiser::DenoiserChoice;
use crate::noise::{NoiseTableSpec, SigmaPoint};
use crate::render::OrbitCamera;
use crate::structure::{BUNDLED, LoadOptions, Structure};
use crate::trajectory::RunSource;

/// Draws the noise panel measures over: enough that the measured figures sit near the closed form
/// even with few chains.
pub const NOISE_PANEL_DRAWS: usize = 32;

/// One user action.
#[derive(Debug, Clone, PartialEq)]
pub enum AppCommand {
    /// Open a structure file (the current one stays when it cannot be read).
    Open(PathBuf),
    /// Open a structure file (or a bundled structure by name) with these loader options, then a run of
    /// another tool against it: the window's start-up on `sigmascope FILE [--trajectory RUN]`.
    OpenAtStart {
        /// The structure file.
        path: PathBuf,
        /// How to read it.
        options: LoadOptions,
        /// The run to open once it is read.
        run: Option<PathBuf>,
    },
    /// Open a bundled structure by its index in `BUNDLED`.
    OpenBundled(usize),
    /// Open a run written by another tool (multi-MODEL PDB/mmCIF, NPZ, NPY) against the structure.
    OpenRun(PathBuf),
    /// Load the current structure again (the selection changed).
    Reload,
    /// Replace the settings (what the panels' widgets edit).
    UpdateSettings(Box<Settings>),
    /// Draw and measure the noise panel's noise on the worker.
    ApplyNoise,
    /// Start a new run from the settings.
    Reset,
    /// Take this many steps (starting a run when there is none); `usize::MAX` runs to the end.
    Step(usize),
    /// Run the sweep panel's sweep on the worker.
    RunSweep,
    /// Load one run of the sweep (rerun with its steps and seed) as the current run.
    LoadSweepRun {
        /// Steps.
        steps: usize,
        /// Seed.
        seed: u64,
    },
    /// Measure the sampler panel's denoiser's x̂0 error per σ (the noise table's z grid) on the worker.
    MeasureDenoiserError,
    /// Train the learned denoiser with the Train panel's toggles on the worker and save it.
    Train,
    /// Stop what the worker is doing after its current step.
    Cancel,
    /// Keep the current run's curves to compare.
    Pin,
    /// Drop the pinned run.
    Unpin,
    /// Outline a residue and center the view on it (a heat-map click).
    FocusResidue(usize),
    /// Remove the residue outline.
    ClearOutline,
    /// Play, pause, scrub.
    Timeline(TimelineCommand),
    /// Highlight the control a finding points to.
    HighlightControl(Control),
    /// Write an export.
    Export(ExportKind, PathBuf),
    /// Stop the export being written (its file is not written).
    CancelExport,
    /// The camera after an orbit, pan or zoom.
    SetCamera(OrbitCamera),
    /// Fit the camera to the scene.
    FitCamera,
    /// Center the view on an atom (double click).
    CenterOnAtom(usize),
    /// The atom under the pointer changed.
    Hover(Option<usize>),
    /// Show why a file could not be opened.
    ShowLoadError(String),
    /// Clear the status line's message.
    DismissStatus,
    /// Ask the user for a file (the window's dialog answers with `Open`, `OpenRun` or `Export`; the
    /// state has no window and ignores it).
    ChooseFile(DialogPurpose),
    /// Listen for live runs (on the address given, or the default), or stop.
    Listen(bool, Option<String>),
    /// Fit the camera to the selected atoms.
    FocusSelection,
}

/// What a chosen file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogPurpose {
    /// Open a structure.
    Open,
    /// Open a run written by another tool.
    OpenRun,
    /// Open a folder of per-step files as a run.
    OpenRunFolder,
    /// Write an export.
    Export(ExportKind),
}

impl DialogPurpose {
    /// The command that carries out the purpose on the chosen file.
    pub(super) fn command(self, path: PathBuf) -> AppCommand {
        match self {
            Self::Open => AppCommand::Open(path),
            Self::OpenRun | Self::OpenRunFolder => AppCommand::OpenRun(path),
            Self::Export(kind) => AppCommand::Export(kind, path),
        }
    }
}

impl AppState {
    /// Applies one command.
    pub fn apply(&mut self, command: AppCommand) {
        match command {
            AppCommand::Open(path) => {
                let options = load_options(&self.settings);
                self.open(path, options, None);
            }
            AppCommand::OpenAtStart { path, options, run } => self.open(path, options, run),
            AppCommand::OpenBundled(index) => self.open_bundled(index),
            AppCommand::OpenRun(path) => self.open_run(path),
            AppCommand::Reload => self.reload(),
            AppCommand::UpdateSettings(settings) => self.settings = *settings,
            AppCommand::ApplyNoise => self.apply_noise(),
            AppCommand::Reset => self.reset_run(),
            AppCommand::Step(count) => self.request_steps(count),
            AppCommand::RunSweep => self.run_sweep(),
            AppCommand::MeasureDenoiserError => self.measure_denoiser_error(),
            AppCommand::Train => self.train(),
            AppCommand::LoadSweepRun { steps, seed } => self.load_sweep_run(steps, seed),
            AppCommand::Cancel => self.worker.cancel(),
            AppCommand::Pin => self.pin(),
            AppCommand::Unpin => self.pinned = None,
            AppCommand::FocusResidue(residue) => self.focus_residue(residue),
            AppCommand::ClearOutline => self.highlights.outlined_residue = None,
            AppCommand::Timeline(command) => self.timeline.apply(command),
            AppCommand::HighlightControl(control) => self.highlights.focus = Some(control),
            AppCommand::Export(kind, path) => self.start_export(kind, path),
            AppCommand::CancelExport => self.cancel_export(),
            AppCommand::SetCamera(camera) => self.camera = camera,
            AppCommand::FitCamera => {
                let scene = &self.shown.scene;
                self.camera.fit(scene.center, scene.radius, 1.5);
            }
            AppCommand::CenterOnAtom(atom) => {
                if let Some(sphere) = self.shown.scene.opaque_spheres.get(atom) {
                    self.camera.target = glam::Vec3::from(sphere.position);
                }
            }
            AppCommand::Hover(atom) => {
                self.highlights.hovered_atom = atom.filter(|&a| a < self.structure.atom_count());
            }
            AppCommand::ShowLoadError(message) => self.load_error = Some(message),
            AppCommand::DismissStatus => self.status = None,
            AppCommand::ChooseFile(_) => {}
            AppCommand::Listen(on, address) => self.set_listening(on, address.as_deref()),
            AppCommand::FocusSelection => self.focus_selection(),
        }
        self.rebuild_scene();
    }

    /// Applies commands in order.
    pub fn apply_all(&mut self, commands: impl IntoIterator<Item = AppCommand>) {
        for command in commands {
            self.apply(command);
        }
    }

    /// Reads a structure file on the worker, then opens `run` against it; the current structure stays
    /// until it arrives (and stays when the file cannot be read). What the worker was doing stops: its
    /// run is of the old structure.
    fn open(&mut self, path: PathBuf, options: LoadOptions, run: Option<PathBuf>) {
        self.worker.cancel();
        let tag = self.jobs.open.begin();
        self.jobs.run_after_open = run;
        self.send(WorkerCommand::LoadStructure { path, options, tag });
        self.progress = Some((0, 1));
    }

    pub(super) fn replace_structure(&mut self, structure: Structure) {
        self.structure = Arc::new(structure);
        self.load_error = None;
        self.structure_changed();
    }

    fn open_bundled(&mut self, index: usize) {
        let Some(bundled) = BUNDLED.get(index) else {
            return;
        };
        match bundled.load(&load_options(&self.settings)) {
            Ok(s) => self.replace_structure(s),
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    fn reload(&mut self) {
        match self.structure.source_path.clone() {
            Some(path) => self.apply(AppCommand::Open(path)),
            None => {
                let name = self.structure.name.clone();
                if let Some(i) = BUNDLED.iter().position(|b| b.name == name) {
                    self.open_bundled(i);
                }
            }
        }
    }

    /// Reads a run on the worker; the current run stays until the file's frames arrive (and stays when
    /// the file cannot be read).
    fn open_run(&mut self, path: PathBuf) {
        self.worker.cancel();
        let run = self.jobs.run.begin_whole();
        let options = crate::trajectory::ImportOptions {
            load: load_options(&self.settings),
            align: self.settings.run_alignment,
            schedule: self.settings.run_schedule,
            ..Default::default()
        };
        self.send(WorkerCommand::ImportRun {
            structure: Arc::clone(&self.structure),
            path,
            options: Box::new(options),
            run,
        });
        self.progress = Some((0, 1));
    }

    fn run_sweep(&mut self) {
        let (spec, steps) = match (
            self.settings.sweep_spec(),
            self.settings.sweep_step_counts(),
        ) {
            (Ok(spec), Ok(steps)) => (spec, steps),
            (Err(e), _) | (_, Err(e)) => {
                self.status = Some(e.to_string());
                return;
            }
        };
        let tag = self.jobs.sweep.begin();
        let seeds = self.settings.sweep_seeds.max(1);
        self.progress = Some((0, steps.len() * seeds as usize));
        self.send(WorkerCommand::Sweep {
            structure: Arc::clone(&self.structure),
            spec: Box::new(spec),
            steps,
            seeds,
            tag,
        });
    }

    fn train(&mut self) {
        let noise = match self.settings.noise() {
            Ok(noise) => noise,
            Err(e) => {
                self.status = Some(e.to_string());
                return;
            }
        };
        // A structure too large for this machine is refused by `train_model` on the worker, and the
        // panel's Train button is off for it.
        let (model, train) = self.settings.training();
        // One file per set of toggles, so two trained models can be compared.
        let out = self.settings.train_out.clone().unwrap_or_else(|| {
            let code = crate::denoiser::learned::toggles_code(&model, &train);
            crate::denoiser::learned::default_checkpoint_path(&self.structure)
                .with_extension(format!("{code}.mpk"))
        });
        let tag = self.jobs.train.begin();
        self.results.training = Some(super::run_view::TrainingView::default());
        self.progress = Some((0, train.steps));
        self.send(WorkerCommand::Train {
            structure: Arc::clone(&self.structure),
            model: Box::new(model),
            train: Box::new(train),
            noise,
            out,
            device_name: self.compute.describe(),
            tag,
        });
    }

    fn measure_denoiser_error(&mut self) {
        let settings = match self.settings.sampler_settings() {
            Ok(settings) => settings,
            Err(e) => {
                self.status = Some(e.to_string());
                return;
            }
        };
        let training = settings.preset.training();
        let tag = self.jobs.denoiser_error.begin();
        let sigmas = training.table_sigmas();
        self.progress = Some((0, sigmas.len()));
        self.send(WorkerCommand::DenoiserError {
            structure: Arc::clone(&self.structure),
            denoiser: self.settings.denoiser.clone(),
            noise: settings.noise,
            sigmas,
            prior_sigma: settings.preset.schedule.sigma_data,
            seed: self.settings.seed,
            tag,
        });
    }

    fn load_sweep_run(&mut self, steps: usize, seed: u64) {
        let spec = match self.settings.sweep_spec() {
            Ok(spec) => spec,
            Err(e) => {
                self.status = Some(e.to_string());
                return;
            }
        };
        let run = self.jobs.run.begin_whole();
        self.send(WorkerCommand::SweepRun {
            structure: Arc::clone(&self.structure),
            spec: Box::new(spec),
            steps,
            seed,
            run,
        });
        self.progress = Some((0, 1));
    }

    fn send(&mut self, command: WorkerCommand) {
        self.worker.send(command);
        self.pending_commands += 1;
    }

    pub(super) fn reset_run(&mut self) {
        self.worker.cancel();
        let run = self.jobs.run.begin_stepped();
        let settings = self.settings.sampler_settings().and_then(|edm| {
            let family = self.settings.family_settings(self.settings.sampler, &edm)?;
            Ok((edm, family))
        });
        match settings {
            Ok((settings, family)) => {
                self.send(WorkerCommand::Reset {
                    structure: Arc::clone(&self.structure),
                    settings: Box::new(settings),
                    family: family.map(Box::new),
                    denoiser: self.settings.denoiser.clone(),
                    run,
                    device_frames_budget: self.device_frames_budget,
                    substeps: self.timeline.show_substeps,
                });
                self.progress = Some((0, self.settings.steps));
            }
            Err(e) => self.status = Some(e.to_string()),
        }
    }

    fn request_steps(&mut self, count: usize) {
        // A run read from a file has no sampler behind it: stepping starts a new run.
        if self.run.frames.is_empty() || self.run.source != RunSource::Sampled {
            self.reset_run();
        }
        self.send(WorkerCommand::Step(count));
        let done = self.run.frames.len().saturating_sub(1);
        self.progress = Some((done, self.settings.steps));
    }

    fn apply_noise(&mut self) {
        let noise = match self.settings.noise() {
            Ok(noise) => noise,
            Err(e) => {
                self.status = Some(e.to_string());
                return;
            }
        };
        let tag = self.jobs.noise.begin();
        let spec = NoiseTableSpec {
            noises: vec![noise],
            points: vec![SigmaPoint {
                z: None,
                sigma: self.settings.noise_sigma(),
            }],
            repeats: NOISE_PANEL_DRAWS,
            seed: self.settings.seed,
        };
        self.send(WorkerCommand::ApplyNoise {
            structure: Arc::clone(&self.structure),
            spec: Box::new(spec),
            tag,
        });
        self.progress = Some((0, NOISE_PANEL_DRAWS));
    }

    fn pin(&mut self) {
        if self.run.metrics.is_empty() {
            return;
        }
        let noise = self
            .settings
            .noise()
            .map_or_else(|_| "?".to_owned(), |n| n.name);
        let sampler = match self.settings.sampler {
            crate::sampler::SamplerChoice::Edm => self.settings.preset.to_string(),
            other => other.label().to_owned(),
        };
        let denoiser = match &self.settings.denoiser {
            DenoiserChoice::Learned(path) => path.file_name().map_or_else(
                || "learned".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            ),
            other => other.name().to_owned(),
        };
        self.pinned = Some(PinnedRun {
            label: format!("pinned: {noise} {sampler} {denoiser}"),
            metrics: self.run.metrics.clone(),
        });
    }

    /// Outlines `residue` and centers the view on it; an out-of-range index is ignored.
    fn focus_residue(&mut self, residue: usize) {
        if residue >= self.structure.residue_count() {
            return;
        }
        self.highlights.outlined_residue = Some(residue);
        self.rebuild_scene();
        let centroids = self.structure.residue_centroids(&self.shown.positions);
        if let Some(c) = centroids.get(residue) {
            self.camera.target = glam::Vec3::from(*c);
        }
    }
}
