//! The debugger window (eframe/egui): load, noise, step, scrub, plot, explain, export. A thin layer over
//! the core: the sampler runs in a worker thread, the viewport draws the renderer's scene through one
//! paint callback, and every number shown comes from the same functions as the CLI.

mod diagnosis;
mod export;
mod panels;
mod plots;
mod settings;
mod timeline;
mod viewport;
mod worker;

pub use diagnosis::{Control, DiagnosisInput, Finding, diagnose};
pub use export::{ExportKind, metrics_csv};
pub use plots::plot_id;
pub use settings::{Settings, SigmaInput, TrackView};
pub use timeline::{LoopMode, TimeControl, TimelineCommand};
pub use worker::{DenoiserKind, SamplerWorker, WorkerCommand, WorkerEvent};

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu;

use crate::cli::{LoadArgs, load_structure};
use crate::compute::{
    ComputeDevice, DevicePreference, Fallback, select_device, shared_device_descriptor,
};
use crate::noise::{NoiseCell, NoiseTableSpec, SigmaPoint, noise_table};
use crate::render::{OrbitCamera, Scene, SceneOptions, ViewPreset, build_scene, scene_text};
use crate::structure::{BUNDLED, LoadOptions, Selection, Structure, default_structure, load_path};
use crate::trajectory::{Frame, FrameMetrics};
use plots::{PinnedRun, PlotData, plots_ui};
use viewport::{ViewportResources, viewport_ui};

const SETTINGS_KEY: &str = "sigmascope-settings";

/// The frames and metrics of the current run, as received from the worker.
#[derive(Default)]
struct RunView {
    sigmas: Vec<f64>,
    frames: Vec<Frame>,
    metrics: Vec<FrameMetrics>,
    busy: Option<(usize, usize)>,
    id: u64,
}

/// The app.
pub struct SigmascopeApp {
    settings: Settings,
    structure: Arc<Structure>,
    load_error: Option<String>,
    toast: Option<String>,
    compute: ComputeDevice,
    renderer_name: String,
    render_state: Option<egui_wgpu::RenderState>,
    worker: SamplerWorker,
    run: RunView,
    pinned: Option<PinnedRun>,
    timeline: TimeControl,
    camera: OrbitCamera,
    applied_noise: Option<(Vec<[f32; 3]>, NoiseCell)>,
    scene: Arc<Scene>,
    scene_key: Option<String>,
    scene_version: u64,
    focus: Option<Control>,
    pending_commands: usize,
    expected_run: u64,
    hovered_atom: Option<usize>,
    highlighted_residue: Option<usize>,
}

fn selection_of(settings: &Settings) -> LoadOptions {
    LoadOptions {
        model: 1,
        selection: Selection {
            keep_hydrogens: settings.keep_hydrogens,
            keep_water: settings.keep_water,
            drop_hetero: settings.drop_hetero,
        },
    }
}

impl SigmascopeApp {
    /// Creates the app on a loaded structure: shares egui's wgpu device with burn where it can.
    pub fn new(cc: &eframe::CreationContext<'_>, structure: Structure) -> Self {
        Self::with_preference(cc, structure, DevicePreference::Auto)
    }

    /// Creates the app computing where `preference` says: `auto` computes on egui's device when it is a
    /// hardware GPU and on burn's CPU backend when it is a software adapter (which still renders).
    pub fn with_preference(
        cc: &eframe::CreationContext<'_>,
        structure: Structure,
        preference: DevicePreference,
    ) -> Self {
        let compute = match (preference, &cc.wgpu_render_state) {
            (DevicePreference::Cpu, _) => Some(ComputeDevice::cpu()),
            (DevicePreference::Auto, Some(rs))
                if rs.adapter.get_info().device_type == egui_wgpu::wgpu::DeviceType::Cpu =>
            {
                Some(ComputeDevice::cpu_because(Fallback::SoftwareAdapterOnly(
                    rs.adapter.get_info().name,
                )))
            }
            _ => None,
        };
        Self::with_compute(cc, structure, compute)
    }

    /// Creates the app computing on `compute` when given (tests share one device per binary), else on
    /// egui's own wgpu device registered with burn, else on the CPU.
    pub fn with_compute(
        cc: &eframe::CreationContext<'_>,
        structure: Structure,
        compute: Option<ComputeDevice>,
    ) -> Self {
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        let (compute, renderer_name) = match &cc.wgpu_render_state {
            Some(rs) => {
                rs.renderer
                    .write()
                    .callback_resources
                    .insert(ViewportResources::new(rs));
                let compute = compute.unwrap_or_else(|| {
                    ComputeDevice::from_wgpu(
                        rs.instance.clone(),
                        rs.adapter.clone(),
                        rs.device.clone(),
                        rs.queue.clone(),
                    )
                    .unwrap_or_else(|e| {
                        ComputeDevice::cpu_because(Fallback::GpuUnavailable(e.to_string()))
                    })
                });
                (compute, rs.adapter.get_info().name)
            }
            None => (
                compute.unwrap_or_else(|| {
                    select_device(DevicePreference::Cpu).unwrap_or_else(|_| ComputeDevice::cpu())
                }),
                "no wgpu renderer".to_owned(),
            ),
        };
        let mut timeline = TimeControl::default();
        timeline.apply(TimelineCommand::SetFps(settings.fps));
        timeline.apply(TimelineCommand::SetLoopMode(settings.loop_mode));
        let structure = Arc::new(structure);
        let scene = Arc::new(build_scene(
            &structure,
            &structure.positions,
            &structure.positions,
            None,
            &SceneOptions::default(),
        ));
        let mut app = Self {
            worker: {
                let ctx = cc.egui_ctx.clone();
                SamplerWorker::spawn(compute.device.clone(), move || ctx.request_repaint())
            },
            pending_commands: 0,
            expected_run: 0,
            compute,
            renderer_name,
            render_state: cc.wgpu_render_state.clone(),
            settings,
            structure,
            load_error: None,
            toast: None,
            run: RunView::default(),
            pinned: None,
            timeline,
            camera: OrbitCamera::fitted(ViewPreset::Fit, glam::Vec3::ZERO, 10.0, 1.5),
            applied_noise: None,
            scene,
            scene_key: None,
            scene_version: 0,
            focus: None,
            hovered_atom: None,
            highlighted_residue: None,
        };
        app.structure_changed();
        app
    }

    /// The structure on screen.
    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// Shows why a file could not be opened (the structure on screen stays).
    pub fn show_load_error(&mut self, message: String) {
        self.load_error = Some(message);
    }

    /// Why the last file could not be opened, while it is shown.
    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// Frames of the current run.
    pub fn frame_count(&self) -> usize {
        self.run.frames.len()
    }

    /// The timeline.
    pub fn timeline(&self) -> &TimeControl {
        &self.timeline
    }

    /// Applies a timeline command (what the timeline UI and keys do).
    pub fn timeline_command(&mut self, command: TimelineCommand) {
        self.timeline.apply(command);
    }

    /// The settings (persisted).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// What a heat-map cell click does after moving to its frame: outline the residue and center the
    /// view on it. Out-of-range indices are ignored.
    pub fn focus_residue(&mut self, residue: usize) {
        if residue >= self.structure.residue_count() {
            return;
        }
        self.highlighted_residue = Some(residue);
        self.rebuild_scene();
        let (positions, _) = self.shown_positions();
        if let Some(c) = self.structure.residue_centroids(&positions).get(residue) {
            self.camera.target = glam::Vec3::from(*c);
        }
    }

    /// The scene on screen as text (for tests and bug reports).
    pub fn scene_text(&self) -> String {
        scene_text(&self.scene, &self.camera, 1.5)
    }

    /// Points in the RMSD plot's atom series.
    pub fn plot_point_count(&self) -> usize {
        self.run.metrics.len()
    }

    /// The current findings.
    pub fn findings(&self) -> Vec<Finding> {
        match self.settings.noise() {
            Ok(noise) => diagnose(&DiagnosisInput {
                structure: &self.structure,
                noise: &noise,
                preset: &self.settings.preset(),
                start: self
                    .settings
                    .sampler_settings()
                    .map_or(crate::sampler::StartNoise::Multiscale, |s| s.start),
                per_level_precondition: self.settings.per_level_precondition,
                metrics: &self.run.metrics,
            }),
            Err(e) => vec![Finding {
                text: e,
                control: Control::NoiseWeights,
                warning: true,
            }],
        }
    }

    /// True while the worker has a command in progress.
    pub fn is_busy(&self) -> bool {
        self.pending_commands > 0
    }

    fn structure_changed(&mut self) {
        self.worker.cancel();
        self.expected_run += 1;
        self.run = RunView {
            id: self.run.id + 1,
            ..RunView::default()
        };
        self.applied_noise = None;
        self.pinned = None;
        self.highlighted_residue = None;
        if self.structure.ensemble.len() < 2 {
            // The ensemble denoiser needs several models; a persisted choice falls back to exact.
            self.settings.denoiser = DenoiserKind::Exact;
        }
        self.timeline.set_frame_count(0, false);
        self.scene_key = None;
        self.camera = OrbitCamera::fitted(ViewPreset::Fit, glam::Vec3::ZERO, 10.0, 1.5);
        self.rebuild_scene();
        self.camera =
            OrbitCamera::fitted(ViewPreset::Fit, self.scene.center, self.scene.radius, 1.5);
    }

    /// Loads a file; on failure the error is shown and the previous structure stays.
    pub fn open_path(&mut self, path: &Path) {
        match load_path(path, &selection_of(&self.settings)) {
            Ok(s) => {
                self.structure = Arc::new(s);
                self.load_error = None;
                self.settings.remember(path.to_path_buf());
                self.structure_changed();
            }
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    fn open_bundled(&mut self, index: usize) {
        match BUNDLED[index].load(&selection_of(&self.settings)) {
            Ok(s) => {
                self.structure = Arc::new(s);
                self.load_error = None;
                self.structure_changed();
            }
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    fn reload(&mut self) {
        match &self.structure.source_path {
            Some(p) => self.open_path(&p.clone()),
            None => {
                let name = self.structure.name.clone();
                if let Some(i) = BUNDLED.iter().position(|b| b.name == name) {
                    self.open_bundled(i);
                }
            }
        }
    }

    /// Starts a new run from the current settings (a run still stepping is cancelled and its frames dropped).
    pub fn reset_run(&mut self) {
        self.worker.cancel();
        self.expected_run += 1;
        match self.settings.sampler_settings() {
            Ok(settings) => {
                self.worker.send(WorkerCommand::Reset {
                    structure: Arc::clone(&self.structure),
                    settings: Box::new(settings),
                    denoiser: self.settings.denoiser,
                    run: self.expected_run,
                });
                self.pending_commands += 1;
                self.run.busy = Some((0, self.settings.steps));
            }
            Err(e) => self.toast = Some(e),
        }
    }

    /// Asks for `count` steps (starting a run first when there is none).
    pub fn request_steps(&mut self, count: usize) {
        if self.run.frames.is_empty() {
            self.reset_run();
        }
        self.worker.send(WorkerCommand::Step(count));
        self.pending_commands += 1;
        let done = self.run.frames.len().saturating_sub(1);
        self.run.busy = Some((done, self.settings.steps));
    }

    /// Handles what the worker sent; returns true when something changed.
    pub fn poll_worker(&mut self) -> bool {
        let events = self.worker.poll();
        let changed = !events.is_empty();
        for event in events {
            match event {
                // Frames of a run started before the structure changed are dropped.
                WorkerEvent::Started { run, .. } | WorkerEvent::Frame(run, _)
                    if run != self.expected_run => {}
                WorkerEvent::Started { sigmas, frame, .. } => {
                    let (frame, metrics) = *frame;
                    self.run.id += 1;
                    self.run.sigmas = sigmas;
                    self.run.frames = vec![frame];
                    self.run.metrics = vec![metrics];
                    self.applied_noise = None;
                    self.timeline.set_frame_count(1, true);
                }
                WorkerEvent::Frame(_, boxed) => {
                    let (frame, metrics) = *boxed;
                    self.run.frames.push(frame);
                    self.run.metrics.push(metrics);
                    let follow = self.timeline.frame + 2 >= self.run.frames.len();
                    self.timeline.set_frame_count(self.run.frames.len(), follow);
                }
                WorkerEvent::Progress(done, total) => self.run.busy = Some((done, total)),
                WorkerEvent::Idle => {
                    self.pending_commands = self.pending_commands.saturating_sub(1);
                    if self.pending_commands == 0 {
                        self.run.busy = None;
                    }
                }
                WorkerEvent::Error(e) => self.toast = Some(e),
            }
        }
        changed
    }

    fn apply_noise(&mut self) {
        let Ok(noise) = self.settings.noise() else {
            return;
        };
        let spec = NoiseTableSpec {
            noises: vec![noise],
            points: vec![SigmaPoint {
                z: None,
                sigma: self.settings.noise_sigma(),
            }],
            // Enough draws that the measured figures sit near the closed form even with few chains.
            repeats: 32,
            seed: self.settings.seed,
        };
        match noise_table(&self.structure, &spec, &self.compute.device, true) {
            Ok(table) => {
                let noised = self
                    .structure
                    .positions
                    .iter()
                    .zip(&table.samples[0])
                    .map(|(p, d)| [p[0] + d[0], p[1] + d[1], p[2] + d[2]])
                    .collect();
                let cell = table.rows[0].noises.0[0].1.clone();
                self.applied_noise = Some((noised, cell));
                self.scene_key = None;
            }
            Err(e) => self.toast = Some(e.to_string()),
        }
    }

    /// Coordinates shown now, in the ground truth's frame unless augmentation is shown.
    fn shown_positions(&self) -> (Vec<[f32; 3]>, Option<Vec<[f32; 3]>>) {
        let frame_positions =
            |f: &Frame| match (self.settings.track, self.settings.undo_augmentation) {
                (TrackView::Prediction, true) => f.x0_in_data().unwrap_or_else(|| f.x_t_in_data()),
                (TrackView::Prediction, false) => f.x0_hat.clone().unwrap_or_else(|| f.x_t.clone()),
                (TrackView::State, true) => f.x_t_in_data(),
                (TrackView::State, false) => f.x_t.clone(),
            };
        if let Some(frame) = self.run.frames.get(self.timeline.frame) {
            let previous = self
                .timeline
                .frame
                .checked_sub(1)
                .and_then(|k| self.run.frames.get(k))
                .map(frame_positions);
            return (frame_positions(frame), previous);
        }
        match &self.applied_noise {
            Some((noised, _)) => (noised.clone(), None),
            None => (self.structure.positions.clone(), None),
        }
    }

    fn rebuild_scene(&mut self) {
        let key = format!(
            "{}|{}|{}|{:?}|{:?}|{:?}|{}|{}|{:?}",
            self.run.id,
            self.timeline.frame,
            self.run.frames.len().min(self.timeline.frame + 1),
            self.settings.color_by,
            self.settings.layers,
            self.settings.track,
            self.settings.undo_augmentation,
            self.applied_noise.is_some(),
            self.highlighted_residue
        );
        if self.scene_key.as_deref() == Some(key.as_str()) {
            return;
        }
        let (positions, previous) = self.shown_positions();
        let options = SceneOptions {
            layers: self.settings.layers,
            color_by: self.settings.color_by,
            outline_residue: self.highlighted_residue,
            ..SceneOptions::default()
        };
        self.scene = Arc::new(build_scene(
            &self.structure,
            &positions,
            &self.structure.positions,
            previous.as_deref(),
            &options,
        ));
        self.scene_key = Some(key);
        self.scene_version += 1;
    }

    fn view_options_ui(&mut self, ui: &mut egui::Ui) {
        use crate::render::ColorMode;
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::new("color by", "color")
                .selected_text(format!("{:?}", self.settings.color_by))
                .show_ui(ui, |ui| {
                    for mode in [
                        ColorMode::Element,
                        ColorMode::Chain,
                        ColorMode::Residue,
                        ColorMode::DisplacementAtom,
                        ColorMode::DisplacementResidue,
                        ColorMode::DisplacementChain,
                        ColorMode::Independent,
                    ] {
                        ui.selectable_value(&mut self.settings.color_by, mode, format!("{mode:?}"));
                    }
                });
            let l = &mut self.settings.layers;
            ui.checkbox(&mut l.atoms, "atoms");
            ui.checkbox(&mut l.residues, "residues");
            ui.checkbox(&mut l.chains, "chains");
            ui.checkbox(&mut l.trace, "trace");
            ui.checkbox(&mut l.ghost, "ghost");
            ui.checkbox(&mut l.arrows, "arrows");
            ui.radio_value(&mut self.settings.track, TrackView::State, "x_t");
            ui.radio_value(&mut self.settings.track, TrackView::Prediction, "x̂0");
            ui.checkbox(&mut self.settings.undo_augmentation, "undo augmentation");
            if ui.button("fit").clicked() {
                self.camera.fit(self.scene.center, self.scene.radius, 1.5);
            }
        });
        ui.horizontal(|ui| {
            if let Some(legend) = &self.scene.legend {
                ui.label(format!(
                    "{}: {:.2} … {:.2} (viridis)",
                    legend.label, legend.min, legend.max
                ));
            }
        });
        let mut clear_outline = false;
        if let Some(r) = self
            .highlighted_residue
            .and_then(|r| self.structure.residues.get(r))
        {
            let chain = &self.structure.chains[r.chain as usize].id;
            ui.horizontal(|ui| {
                ui.label(format!(
                    "heat-map residue {} {} (chain {chain}), outlined",
                    r.name,
                    r.label()
                ));
                clear_outline = ui
                    .small_button("×")
                    .on_hover_text("clear the outline")
                    .clicked();
            });
        }
        if clear_outline {
            self.highlighted_residue = None;
            self.rebuild_scene();
        }
    }

    fn tooltip_text(&self, atom: usize) -> String {
        let s = &self.structure;
        let r = &s.residues[s.atom_residue[atom] as usize];
        let chain = &s.chains[r.chain as usize].id;
        let (positions, _) = self.shown_positions();
        let d = |a: [f32; 3], b: [f32; 3]| glam::Vec3::from(a).distance(glam::Vec3::from(b));
        let residue_index = s.atom_residue[atom] as usize;
        let res_now = s.residue_centroids(&positions);
        let res_ref = s.residue_centroids(&s.positions);
        let chn_now = s.chain_centroids(&res_now);
        let chn_ref = s.chain_centroids(&res_ref);
        format!(
            "chain {chain} · {} {} · {}\ndisplacement: atom {:.2} Å, residue {:.2} Å, chain {:.2} Å",
            r.name,
            r.label(),
            s.atom_names[atom],
            d(positions[atom], s.positions[atom]),
            d(res_now[residue_index], res_ref[residue_index]),
            d(chn_now[r.chain as usize], chn_ref[r.chain as usize]),
        )
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            let action = panels::structure_ui(
                ui,
                &self.structure,
                &mut self.settings,
                self.load_error.as_deref(),
            );
            if let Some(path) = action.open {
                self.open_path(&path);
            }
            if let Some(i) = action.bundled {
                self.open_bundled(i);
            }
            if action.reload {
                self.reload();
            }
            ui.separator();
            let highlight = self.focus == Some(Control::NoiseWeights);
            let measured = self.applied_noise.as_ref().map(|(_, c)| c);
            if panels::noise_ui(ui, &self.structure, &mut self.settings, measured, highlight) {
                self.apply_noise();
            }
            ui.separator();
            let highlight = self.focus.filter(|c| *c != Control::NoiseWeights);
            let has_ensemble = self.structure.ensemble.len() >= 2;
            let action = panels::sampler_ui(
                ui,
                &mut self.settings,
                has_ensemble,
                self.run.busy,
                highlight,
            );
            if action.reset {
                self.reset_run();
            }
            if action.step {
                self.request_steps(1);
            }
            if action.run_to_end {
                self.request_steps(usize::MAX);
            }
            if action.cancel {
                self.worker.cancel();
            }
            ui.horizontal(|ui| {
                if ui
                    .button("Pin run")
                    .on_hover_text("keep this run's curves to compare")
                    .clicked()
                    && !self.run.metrics.is_empty()
                {
                    self.pinned = Some(PinnedRun {
                        label: format!(
                            "pinned: {} {}",
                            self.settings
                                .noise()
                                .map_or_else(|_| "?".to_owned(), |n| n.name),
                            self.settings.preset
                        ),
                        metrics: self.run.metrics.clone(),
                    });
                }
                if self.pinned.is_some() && ui.button("Unpin").clicked() {
                    self.pinned = None;
                }
            });
            ui.separator();
            export::export_ui(ui, self);
        });
    }

    fn central_ui(&mut self, ui: &mut egui::Ui) {
        self.view_options_ui(ui);
        self.rebuild_scene();
        let input = viewport_ui(ui, &self.scene, self.scene_version, &mut self.camera);
        self.hovered_atom = input.hovered_atom;
        if let Some(atom) = input.centered_atom {
            self.camera.target = glam::Vec3::from(self.scene.opaque_spheres[atom].position);
        }
    }
}

impl eframe::App for SigmascopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut repaint = self.poll_worker();
        let dt = ui.input(|i| i.stable_dt).min(0.1);
        repaint |= self.timeline.update(dt);
        let dropped: Vec<std::path::PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(path) = dropped.first() {
            self.open_path(path);
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "computes on {} · renders on {}",
                    self.compute.describe_choice(),
                    self.renderer_name
                ));
                if let Some(t) = &self.toast {
                    ui.colored_label(ui.visuals().error_fg_color, t);
                    if ui.small_button("✕").clicked() {
                        self.toast = None;
                    }
                }
            });
        });
        egui::Panel::bottom("timeline").show(ui, |ui| {
            let sigmas: Vec<f64> = self.run.frames.iter().map(|f| f.sigma).collect();
            for command in panels::timeline_ui(ui, &self.timeline, &sigmas) {
                self.timeline.apply(command);
            }
        });
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| self.left_panel_ui(ui));
        egui::Panel::right("plots")
            .resizable(true)
            .default_size(420.0)
            .show(ui, |ui| {
                let findings = self.findings();
                if let Some(control) = panels::diagnosis_ui(ui, &findings) {
                    self.focus = Some(control);
                }
                ui.separator();
                let preset = self.settings.preset();
                let sigmas = if self.run.sigmas.is_empty() {
                    preset.schedule.sigmas()
                } else {
                    self.run.sigmas.clone()
                };
                let data = PlotData {
                    frames: &self.run.frames,
                    metrics: &self.run.metrics,
                    pinned: self.pinned.as_ref(),
                    sigmas: &sigmas,
                    preset: &preset,
                    frame: self.timeline.frame,
                    per_level: self.settings.per_level_precondition,
                };
                let click = plots_ui(ui, &data);
                if let Some(frame) = click.frame {
                    self.timeline.apply(TimelineCommand::SetFrameClamped(frame));
                }
                if let Some(residue) = click.residue {
                    self.focus_residue(residue);
                }
            });
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        if let Some(atom) = self.hovered_atom
            && atom < self.structure.atom_count()
        {
            egui::Tooltip::always_open(
                ui.ctx().clone(),
                ui.layer_id(),
                egui::Id::unique("atom tooltip"),
                egui::PopupAnchor::Pointer,
            )
            .show(|ui| ui.label(self.tooltip_text(atom)));
        }
        self.settings.fps = self.timeline.fps;
        self.settings.loop_mode = self.timeline.loop_mode;
        if repaint || self.timeline.playing || self.run.busy.is_some() {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// Window options: wgpu renderer on a device that burn can share.
pub fn native_options() -> eframe::NativeOptions {
    eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        viewport: egui::ViewportBuilder::default()
            .with_title("sigmascope")
            .with_inner_size([1440.0, 900.0]),
        wgpu_options: egui_wgpu::WgpuConfiguration {
            wgpu_setup: egui_wgpu::WgpuSetup::CreateNew(egui_wgpu::WgpuSetupCreateNew {
                device_descriptor: Arc::new(shared_device_descriptor),
                ..egui_wgpu::WgpuSetupCreateNew::without_display_handle()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Opens the window on `file` (or the bundled default structure) and runs until it is closed.
/// The device choice is `with_preference`'s.
pub fn run(file: Option<&Path>, load: &LoadArgs, device: DevicePreference) -> anyhow::Result<()> {
    // A file that cannot be opened still opens the window, on the bundled structure, with the reason.
    let (structure, startup_error) = match file.map(|path| load_structure(path, load)) {
        Some(Ok(s)) => (s, None),
        Some(Err(e)) => {
            let message = format!("{e:#}");
            eprintln!("error: {message}; opening the bundled structure instead");
            (default_structure().load(&load.options())?, Some(message))
        }
        None => (default_structure().load(&load.options())?, None),
    };
    eframe::run_native(
        "sigmascope",
        native_options(),
        Box::new(move |cc| {
            let mut app = SigmascopeApp::with_preference(cc, structure, device);
            if let Some(message) = startup_error {
                app.show_load_error(message);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
