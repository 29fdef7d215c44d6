//! Everything the window shows, without the window: the structure, the settings, the current run as the
//! worker reports it, the noise panel's draw, the timeline, the camera and the scene on screen. The UI
//! reads it and returns `AppCommand`s; `AppState::apply` (command.rs) is the one place it changes.

use std::cell::OnceCell;
use std::sync::Arc;

use super::diagnosis::{Control, Finding};
use super::export_job::RenderDevice;
use super::jobs::AwaitedJobs;
use super::protocol::AppliedNoise;
use super::run_view::{PinnedRun, TrainingView};
use super::settings::{Settings, TrackView};
use super::timeline::TimeControl;
use super::worker::SamplerWorker;
use crate::compute::{ComputeDevice, DeviceRows};
use crate::denoiser::DenoiserChoice;
use crate::denoiser::learned::PreconditionMode;
use crate::diagnosis::{DiagnosisInput, FindingCode, diagnose};
use crate::geometry::{RigidTransform, superposed_on, superposed_onto};
use crate::render::{
    ColorMode, HoldSteady, Layers, OrbitCamera, Scene, SceneOptions, ViewPreset,
    grow_atoms_with_cloud, rebuild_scene, scene_text,
};
use crate::sampler::{Frame, SubStep};
use crate::structure::{LoadOptions, Selection, Structure};
use crate::trajectory::{Displacements, Run, RunSource};

/// What the scene on screen was built from: the same key means the same scene.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SceneKey {
    run: u64,
    frame: Option<(usize, Option<SubStep>)>,
    color_by: ColorMode,
    hold_steady: HoldSteady,
    network_view: bool,
    split_view: bool,
    selection: (String, bool, bool, bool),
    layers: Layers,
    track: TrackView,
    undo_augmentation: bool,
    noise: Option<u64>,
    outline: Option<usize>,
}

/// A selection string, the structure it was read on (its address) and its atoms or why it cannot be
/// read.
pub(super) type ReadSelection = (String, usize, Result<Arc<Vec<bool>>, String>);

/// The scene on screen and what hovering it needs.
pub(super) struct ShownScene {
    pub key: Option<SceneKey>,
    pub scene: Arc<Scene>,
    /// Changes whenever the scene does (the viewport uploads only then).
    pub version: u64,
    /// Positions the scene was built from.
    pub positions: Vec<[f32; 3]>,
    /// Their displacements from the ground truth, measured on the first hover.
    pub displacements: OnceCell<Displacements>,
    /// Where the shown atoms lie on the compute device (the render device too) and the map from
    /// there into the scene's frame, when the view can draw them from there.
    pub atom_rows: Option<(DeviceRows, RigidTransform)>,
    /// Changes whenever the atoms' radii or colors do; a new frame that only moves them keeps it.
    pub atom_style: u64,
    atom_style_key: Option<(ColorMode, bool)>,
}

/// What the panels' worker jobs gave back, each kept until the structure changes.
#[derive(Default)]
pub(super) struct JobResults {
    /// The noise panel's draw, with its tag.
    pub applied_noise: Option<(u64, AppliedNoise)>,
    /// The sweep panel's last sweep.
    pub sweep: Option<Vec<crate::trajectory::SweepPoint>>,
    /// The denoiser-error panel's last measurement.
    pub denoiser_error: Option<Vec<crate::denoiser::DenoiserErrorRow>>,
    /// The Train panel's training: its loss curve so far and, once saved, its checkpoint's header.
    pub training: Option<TrainingView>,
}

/// What the user pointed at: the control a clicked finding names, the atom under the pointer, the
/// residue outlined after a heat-map click.
#[derive(Default)]
pub(super) struct Highlights {
    pub focus: Option<Control>,
    pub hovered_atom: Option<usize>,
    pub outlined_residue: Option<usize>,
}

/// Device bytes a run's frames may keep their rows in when the window computes on its own GPU: a frame
/// keeps 24 B an atom (state and prediction, f32 xyz), so at 1M atoms the first 85 frames fit.
pub const DEVICE_FRAMES_BUDGET: u64 = 2 << 30;

/// The window's state.
pub struct AppState {
    pub(super) settings: Settings,
    pub(super) structure: Arc<Structure>,
    pub(super) load_error: Option<String>,
    pub(super) status: Option<String>,
    pub(super) compute: ComputeDevice,
    pub(super) render_device: Option<RenderDevice>,
    pub(super) worker: SamplerWorker,
    /// The run on screen.
    pub(super) run: Run,
    /// Changes whenever the run is replaced (plots refit, the scene rebuilds).
    pub(super) run_id: u64,
    /// Work done and total while the worker is busy.
    pub(super) progress: Option<(usize, usize)>,
    pub(super) pinned: Option<PinnedRun>,
    pub(super) timeline: TimeControl,
    pub(super) camera: OrbitCamera,
    /// What the panels' worker jobs gave back.
    pub(super) results: JobResults,
    /// The worker jobs whose results are awaited.
    pub(super) jobs: AwaitedJobs,
    pub(super) shown: ShownScene,
    /// What the user pointed at.
    pub(super) highlights: Highlights,
    pub(super) pending_commands: usize,
    /// Device bytes a run's frames may keep their rows in (0 unless burn computes on the render device).
    pub(super) device_frames_budget: u64,
    /// Called when something arrives off the UI thread (a repaint request).
    pub(super) wake: Arc<dyn Fn() + Send + Sync>,
    /// The listener for live runs, while the window listens.
    pub(super) live: Option<super::live_runs::LiveRuns>,
    /// Where the following camera is easing to: the fit of the frame last shown.
    pub(super) follow_goal: Option<(glam::Vec3, f32)>,
    /// The split view's right half: the prediction's scene and its version.
    pub(super) prediction_scene: Option<(Arc<Scene>, u64)>,
    /// The selection string last read, on which structure, and its atoms or why it cannot be read.
    pub(super) selection_cache: Option<ReadSelection>,
}

/// The loader options of the structure panel's selection.
pub(super) fn load_options(settings: &Settings) -> LoadOptions {
    LoadOptions {
        model: 1,
        selection: Selection {
            keep_hydrogens: settings.keep_hydrogens,
            keep_water: settings.keep_water,
            drop_hetero: settings.drop_hetero,
        },
    }
}

impl AppState {
    /// State on `structure`, computing on `compute`; `wake` is called after every worker event
    /// (request a repaint there).
    pub fn new(
        structure: Structure,
        settings: Settings,
        compute: ComputeDevice,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let timeline = TimeControl::default();
        let structure = Arc::new(structure);
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let worker_wake = Arc::clone(&wake);
        let mut state = Self {
            worker: SamplerWorker::spawn(compute.device.clone(), move || worker_wake()),
            wake,
            live: None,
            follow_goal: None,
            prediction_scene: None,
            selection_cache: None,
            compute,
            render_device: None,
            settings,
            structure,
            load_error: None,
            status: None,
            run: Run::default(),
            run_id: 0,
            progress: None,
            pinned: None,
            timeline,
            camera: OrbitCamera::fitted(ViewPreset::Fit, glam::Vec3::ZERO, 10.0, 1.5),
            results: JobResults::default(),
            jobs: AwaitedJobs::default(),
            shown: ShownScene {
                key: None,
                scene: Arc::new(Scene::default()),
                version: 0,
                positions: Vec::new(),
                displacements: OnceCell::new(),
                atom_rows: None,
                atom_style: 0,
                atom_style_key: None,
            },
            highlights: Highlights::default(),
            pending_commands: 0,
            device_frames_budget: 0,
        };
        state.structure_changed();
        state
    }

    /// The structure on screen.
    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// The settings (persisted by the window).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Why the last file could not be opened, while it is shown.
    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// The status line's message (the last export, a failed command).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Lets runs keep their frames' rows on the compute device, up to `budget` bytes, for the view to
    /// draw them from: only when burn computes on the device the view renders with. A sampler run on
    /// screen restarts with it.
    pub fn keep_frames_on_device(&mut self, budget: u64) {
        self.device_frames_budget = budget;
        if !self.run.frames.is_empty() && self.run.source == RunSource::Sampled {
            self.reset_run();
        }
    }

    /// Whether the frame on screen is drawn from GPU memory (its rows), not from uploaded atoms.
    pub fn draws_frame_from_device(&self) -> bool {
        self.shown.atom_rows.is_some()
    }

    /// Where the state computes.
    pub fn compute(&self) -> &ComputeDevice {
        &self.compute
    }

    /// The current run.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Changes whenever the run on screen is replaced.
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// Work done and total while the worker is busy (steps, draws, files).
    pub fn progress(&self) -> Option<(usize, usize)> {
        self.progress
    }

    /// The pinned run.
    pub fn pinned(&self) -> Option<&PinnedRun> {
        self.pinned.as_ref()
    }

    /// The timeline.
    pub fn timeline(&self) -> &TimeControl {
        &self.timeline
    }

    /// The camera.
    pub fn camera(&self) -> &OrbitCamera {
        &self.camera
    }

    /// The noise panel's applied draw, if any.
    pub fn applied_noise(&self) -> Option<&AppliedNoise> {
        self.results.applied_noise.as_ref().map(|(_, a)| a)
    }

    /// True while the worker draws the noise panel's samples.
    pub fn noise_pending(&self) -> bool {
        self.jobs.noise.is_pending()
    }

    /// The sweep panel's last sweep (one point per steps and seed).
    pub fn sweep_points(&self) -> Option<&[crate::trajectory::SweepPoint]> {
        self.results.sweep.as_deref()
    }

    /// True while a sweep runs.
    pub fn sweep_pending(&self) -> bool {
        self.jobs.sweep.is_pending()
    }

    /// The Train panel's current or last training.
    pub fn training(&self) -> Option<&TrainingView> {
        self.results.training.as_ref()
    }

    /// True while a training runs.
    pub fn training_pending(&self) -> bool {
        self.jobs.train.is_pending()
    }

    /// The denoiser-error panel's last rows (one per σ).
    pub fn denoiser_error_rows(&self) -> Option<&[crate::denoiser::DenoiserErrorRow]> {
        self.results.denoiser_error.as_deref()
    }

    /// True while the denoiser error is measured.
    pub fn denoiser_error_pending(&self) -> bool {
        self.jobs.denoiser_error.is_pending()
    }

    /// The residue outlined after a heat-map click.
    pub fn highlighted_residue(&self) -> Option<usize> {
        self.highlights.outlined_residue
    }

    /// The control a clicked finding points to.
    pub fn focus(&self) -> Option<Control> {
        self.highlights.focus
    }

    /// The atom under the pointer.
    pub fn hovered_atom(&self) -> Option<usize> {
        self.highlights.hovered_atom
    }

    /// The scene on screen and its version.
    pub fn scene(&self) -> (&Arc<Scene>, u64) {
        (&self.shown.scene, self.shown.version)
    }

    /// What the view draws the scene's atoms from: the frame's device rows with their map when it has
    /// them, and the version of the atoms' radii and colors.
    pub fn shown_atoms(&self) -> (Option<&(DeviceRows, RigidTransform)>, u64) {
        (self.shown.atom_rows.as_ref(), self.shown.atom_style)
    }

    /// The scene on screen as text (for tests and bug reports).
    pub fn scene_text(&self) -> String {
        scene_text(&self.shown.scene, &self.camera, 1.5)
    }

    /// True while the worker has a command in progress.
    pub fn is_busy(&self) -> bool {
        self.pending_commands > 0
    }

    /// The current findings: the core's diagnosis of the settings and the run on screen.
    pub fn findings(&self) -> Vec<Finding> {
        let findings = match self.settings.noise() {
            Ok(noise) => diagnose(&DiagnosisInput {
                structure: &self.structure,
                noise: Some(&noise),
                preset: Some(&self.settings.preset()),
                start: Some(self.settings.start),
                per_level_precondition: self.settings.precondition_shown
                    == PreconditionMode::PerLevel,
                metrics: &self.run.metrics,
            }),
            Err(e) => vec![crate::diagnosis::Finding::new(
                FindingCode::InvalidWeights,
                true,
                e.to_string(),
                [],
            )],
        };
        findings.into_iter().map(Finding::of).collect()
    }

    /// The hover text of `atom`: where it is and how far it, its residue and its chain moved from the
    /// ground truth in the scene on screen.
    pub fn tooltip_text(&self, atom: usize) -> Option<String> {
        let s = &self.structure;
        let residue_index = *s.atom_residue.get(atom)? as usize;
        let r = &s.residues[residue_index];
        let chain = &s.chains[r.chain as usize].id;
        let shown = &self.shown;
        let d = shown
            .displacements
            .get_or_init(|| Displacements::between(s, &shown.positions, &s.positions));
        Some(format!(
            "chain {chain} · {} {} · {}\ndisplacement: atom {:.2} Å, residue {:.2} Å, chain {:.2} Å",
            r.name,
            r.label(),
            s.atom_names[atom],
            d.atom.get(atom)?,
            d.residue.get(residue_index)?,
            d.chain.get(r.chain as usize)?,
        ))
    }

    /// Advances playback by `dt` seconds; returns true when the frame changed.
    pub fn tick(&mut self, dt: f32) -> bool {
        let changed = self.timeline.update(dt);
        if changed {
            self.rebuild_scene();
        }
        changed | self.follow_frames(dt)
    }

    /// Forgets everything of the previous structure.
    pub(super) fn structure_changed(&mut self) {
        self.worker.cancel();
        self.jobs.run.forget_all();
        self.run = Run::default();
        self.run_id += 1;
        self.jobs.forget_all();
        self.results = JobResults::default();
        self.pinned = None;
        self.highlights.outlined_residue = None;
        self.highlights.hovered_atom = None;
        if !self.settings.denoiser.available_for(&self.structure) {
            // A persisted choice this structure cannot feed (the ensemble) falls back to exact.
            self.settings.denoiser = DenoiserChoice::Exact;
        }
        self.timeline.set_frame_count(0, false);
        self.shown.atom_style_key = None;
        self.rebuild_scene();
        self.camera = OrbitCamera::fitted(
            ViewPreset::Fit,
            self.shown.scene.center,
            self.shown.scene.radius,
            1.5,
        );
    }

    /// Coordinates shown now, in the ground truth's frame unless augmentation is shown, and those of
    /// the frame before (for the motion arrows).
    fn shown_positions(&self) -> (Vec<[f32; 3]>, Option<Vec<[f32; 3]>>) {
        let track = if self.settings.split_view {
            TrackView::State
        } else {
            self.settings.track
        };
        self.track_positions(track)
    }

    /// The positions the view shows of the frame on screen in `track` (x_t or x̂0), and of the frame
    /// before it: undone augmentation, the network view's scale and hold-steady applied.
    pub(super) fn track_positions(
        &self,
        track: TrackView,
    ) -> (Vec<[f32; 3]>, Option<Vec<[f32; 3]>>) {
        let frame_positions = |f: &Frame| match (track, self.settings.undo_augmentation) {
            (TrackView::Prediction, true) => f.x0_in_data().unwrap_or_else(|| f.x_t_in_data()),
            (TrackView::Prediction, false) => f.x0_hat.clone().unwrap_or_else(|| f.x_t.clone()),
            (TrackView::State, true) => f.x_t_in_data(),
            (TrackView::State, false) => f.x_t.clone(),
        };
        if let Some(frame) = self.shown_frame() {
            let previous = self
                .frame_before_shown()
                .map(|f| self.network_scaled(&f, frame_positions(&f)));
            let shown = self.network_scaled(&frame, frame_positions(&frame));
            let target = match self.settings.hold_steady {
                HoldSteady::None => None,
                HoldSteady::Previous => previous.clone(),
                HoldSteady::Reference => Some(self.structure.positions.clone()),
                HoldSteady::Last => self
                    .run
                    .frames
                    .last()
                    .map(|f| self.network_scaled(f, frame_positions(f))),
            };
            let on = self
                .selected()
                .filter(|_| self.settings.selection_superposes);
            return match (target, on) {
                (Some(target), Some(on)) => (superposed_on(&shown, &target, &on), previous),
                (Some(target), None) => (superposed_onto(&shown, &target), previous),
                (None, _) => (shown, previous),
            };
        }
        match &self.results.applied_noise {
            Some((_, applied)) => (applied.noised.clone(), None),
            None => (self.structure.positions.clone(), None),
        }
    }

    /// The device rows of the frame on screen and their map into the shown frame, as
    /// `shown_positions` maps the host's copy (none while the view moves or scales the frames).
    fn shown_rows(&self) -> Option<(DeviceRows, RigidTransform)> {
        if self.settings.network_view
            || self.settings.hold_steady != HoldSteady::None
            || self.settings.split_view
            || self.timeline.sub.is_some()
        {
            return None;
        }
        let frame = self.run.frames.get(self.timeline.current)?;
        let rows = frame.on_device.as_ref()?;
        let prediction = match self.settings.track {
            TrackView::Prediction => rows.x0_hat.as_ref(),
            TrackView::State => None,
        };
        let map = if self.settings.undo_augmentation {
            RigidTransform::IDENTITY
        } else {
            frame.pose
        };
        Some((prediction.unwrap_or(&rows.state).clone(), map))
    }

    fn scene_key(&self) -> SceneKey {
        SceneKey {
            run: self.run_id,
            frame: (self.timeline.current < self.run.frames.len())
                .then_some((self.timeline.current, self.timeline.sub)),
            color_by: self.shown_color_mode(),
            hold_steady: self.settings.hold_steady,
            network_view: self.settings.network_view,
            split_view: self.settings.split_view,
            selection: (
                self.settings.selection.clone(),
                self.settings.selection_dims_others,
                self.settings.selection_hides_others,
                self.settings.selection_superposes,
            ),
            layers: self.settings.layers,
            track: self.settings.track,
            undo_augmentation: self.settings.undo_augmentation,
            noise: self.results.applied_noise.as_ref().map(|(tag, _)| *tag),
            outline: self.highlights.outlined_residue,
        }
    }

    /// Rebuilds the scene when what it shows changed.
    pub(super) fn rebuild_scene(&mut self) {
        self.refresh_selection();
        let key = self.scene_key();
        if self.shown.key.as_ref() == Some(&key) {
            return;
        }
        let (positions, previous) = self.shown_positions();
        let options = SceneOptions {
            layers: self.settings.layers,
            color_by: self.shown_color_mode(),
            outline_residue: self.highlights.outlined_residue,
            ..SceneOptions::default()
        };
        // The scene last shown lends its buffers when the view no longer holds it.
        let shown = std::mem::take(&mut self.shown.scene);
        let recycled = Arc::try_unwrap(shown).unwrap_or_default();
        let mut scene = rebuild_scene(
            recycled,
            &self.structure,
            &positions,
            &self.structure.positions,
            previous.as_deref(),
            &options,
        );
        self.mark_selection(&mut scene);
        let shown_radius = scene.radius;
        let grown = grow_atoms_with_cloud(&mut scene, shown_radius, self.clean_radius()) > 1.0;
        self.shown.scene = Arc::new(scene);
        self.shown.positions = positions;
        self.shown.displacements = OnceCell::new();
        // Colors by element, chain or residue stay from frame to frame; displacement colors do not.
        let style_key = (options.color_by, self.settings.layers.atoms);
        let colors_stay = matches!(
            options.color_by,
            ColorMode::Element | ColorMode::Chain | ColorMode::Residue
        );
        if grown || !(colors_stay && self.shown.atom_style_key == Some(style_key)) {
            self.shown.atom_style += 1;
        }
        self.shown.atom_style_key = Some(style_key);
        self.shown.atom_rows = self.shown_rows();
        self.shown.key = Some(key);
        self.shown.version += 1;
        self.rebuild_prediction_scene(&options);
        if self.run.frames.len() > 1 && !self.settings.camera_lock {
            let scene = &self.shown.scene;
            let fitted = self.camera.fitted_to(scene.center, scene.radius, 1.5);
            self.follow_goal = Some((fitted.target, fitted.distance));
        }
    }
}
