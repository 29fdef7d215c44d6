//! The debugger window (eframe/egui): load, noise, step, scrub, plot, explain, export. A thin layer over
//! the core: `AppState` holds what is shown, the panels read it and return `AppCommand`s, which
//! `AppState::apply` carries out; long work runs on the worker thread, and the viewport draws the
//! renderer's scene through one paint callback.

mod command;
mod denoiser_error_panel;
mod diagnosis;
mod events;
mod export;
mod file_dialog;
mod jobs;
mod launch;
mod panels;
mod plots;
mod protocol;
mod run_view;
mod settings;
mod state;
mod sweep_panel;
mod timeline;
mod timeline_panel;
mod train_panel;
mod viewport;
mod worker;

pub use command::{AppCommand, NOISE_PANEL_DRAWS};
pub use diagnosis::{Control, DiagnosisInput, Finding, diagnose};
pub use export::{ExportKind, metrics_csv};
pub use file_dialog::{DialogBackend, DialogPurpose, FILE_DIALOG_ENV, FileDialogs, detect_backend};
pub use launch::{native_options, run};
pub use plots::plot_id;
pub use protocol::{AppliedNoise, WorkerCommand, WorkerEvent};
pub use run_view::{PinnedRun, TrainingView};
pub use settings::{Settings, SettingsError, SigmaInput, TrackView};
pub use state::{AppState, DEVICE_FRAMES_BUDGET, RenderDevice};
pub use timeline::{LoopMode, TimeControl, TimelineCommand};
pub use worker::SamplerWorker;

use std::path::Path;

use eframe::egui;
use eframe::egui_wgpu;

use crate::compute::{ComputeDevice, DevicePreference, Fallback, select_device};
use crate::denoiser::learned::PreconditionMode;
use crate::render::ColorMode;
use crate::structure::Structure;
use file_dialog::DialogPurpose as Purpose;
use plots::{HeatmapTexture, PlotData, plots_ui};
use viewport::{ViewportResources, viewport_ui};

const SETTINGS_KEY: &str = "sigmascope-settings";
/// The timeline's speed and loop mode, persisted apart from the settings (the timeline owns them).
const PLAYBACK_KEY: &str = "sigmascope-playback";

/// The app: the state, and what only a window has (the file dialogs, plot textures, the renderer's
/// name).
pub struct SigmascopeApp {
    state: AppState,
    dialogs: FileDialogs,
    renderer_name: String,
    /// Why the viewport cannot draw, if it cannot.
    viewport_error: Option<String>,
    heatmap: HeatmapTexture,
    /// The sweep panel's own state (its step counts as typed).
    sweep_panel: sweep_panel::SweepPanel,
    /// The run the plots were last fitted to: (run id, frames).
    plots_fitted_to: Option<(u64, usize)>,
}

/// What the panels asked for in one frame: commands in order, and a file to choose.
#[derive(Default)]
struct Requests {
    /// The settings as this frame's widgets edit them: one copy a frame, every panel's edits in it.
    draft: Settings,
    commands: Vec<AppCommand>,
    dialog: Option<Purpose>,
}

impl Requests {
    fn new(settings: &Settings) -> Self {
        Self {
            draft: settings.clone(),
            commands: Vec::new(),
            dialog: None,
        }
    }

    /// This frame's commands: the edited settings first, so that every command reads them.
    fn into_commands(self, current: &Settings) -> Vec<AppCommand> {
        let mut commands = Vec::with_capacity(self.commands.len() + 1);
        if self.draft != *current {
            commands.push(AppCommand::UpdateSettings(Box::new(self.draft)));
        }
        commands.extend(self.commands);
        commands
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
        let mut viewport_error = None;
        // Frames can be drawn from burn's buffers only when burn computes on the view's own device.
        let mut shares_render_device = false;
        let (compute, renderer_name) = match &cc.wgpu_render_state {
            Some(rs) => {
                match ViewportResources::new(rs) {
                    Ok(resources) => {
                        rs.renderer.write().callback_resources.insert(resources);
                    }
                    Err(e) => viewport_error = Some(format!("the 3D view cannot draw: {e}")),
                }
                let compute = compute.unwrap_or_else(|| {
                    ComputeDevice::from_wgpu(
                        rs.instance.clone(),
                        rs.adapter.clone(),
                        rs.device.clone(),
                        rs.queue.clone(),
                    )
                    .inspect(|_| shares_render_device = viewport_error.is_none())
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
        let ctx = cc.egui_ctx.clone();
        let mut state = AppState::new(structure, settings, compute, move || ctx.request_repaint());
        state.render_device = cc.wgpu_render_state.as_ref().map(|rs| RenderDevice {
            device: rs.device.clone(),
            queue: rs.queue.clone(),
        });
        if shares_render_device {
            state.keep_frames_on_device(DEVICE_FRAMES_BUDGET);
        }
        if let Some(playback) = cc.storage.and_then(|s| eframe::get_value(s, PLAYBACK_KEY)) {
            state.timeline.set_playback(playback);
        }
        let sweep_panel = sweep_panel::SweepPanel::new(state.settings());
        Self {
            state,
            dialogs: FileDialogs::detect(),
            renderer_name,
            viewport_error,
            heatmap: HeatmapTexture::default(),
            sweep_panel,
            plots_fitted_to: None,
        }
    }

    /// The state (what tests read).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Applies a command as the UI would.
    pub fn apply(&mut self, command: AppCommand) {
        self.state.apply(command);
    }

    /// Lets runs keep their frames on the compute device for the view to draw them from, up to `budget`
    /// bytes (0: never); the window does so with [`DEVICE_FRAMES_BUDGET`] when burn computes on its
    /// own device. A sampler run on screen restarts with it.
    pub fn keep_frames_on_device(&mut self, budget: u64) {
        self.state.keep_frames_on_device(budget);
    }

    /// Uses `dialogs` for Open… and the exports (tests force the in-window one).
    pub fn set_file_dialogs(&mut self, dialogs: FileDialogs) {
        self.dialogs = dialogs;
    }

    /// The file dialogs.
    pub fn file_dialogs(&self) -> &FileDialogs {
        &self.dialogs
    }

    /// Rows of the residue × frame heat map last drawn (one per residue).
    pub fn heatmap_rows(&self) -> Option<usize> {
        self.heatmap.rows()
    }

    /// The status line's text.
    pub fn status_line(&self) -> String {
        let frames = if self.state.draws_frame_from_device() {
            " (frame drawn from GPU memory)"
        } else {
            ""
        };
        format!(
            "computes on {} · renders on {}{frames} · {}",
            self.state.compute().describe_choice(),
            self.renderer_name,
            self.dialogs.describe()
        )
    }

    /// A start directory for dialogs: the structure's own, else the working directory.
    fn dialog_directory(&self) -> Option<&Path> {
        self.state
            .structure()
            .source_path
            .as_deref()
            .and_then(Path::parent)
    }

    fn view_options_ui(&self, ui: &mut egui::Ui, out: &mut Requests) {
        let state = &self.state;
        let draft = &mut out.draft;
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::new("color by", "color")
                .selected_text(format!("{:?}", draft.color_by))
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
                        ui.selectable_value(&mut draft.color_by, mode, format!("{mode:?}"));
                    }
                });
            let l = &mut draft.layers;
            ui.checkbox(&mut l.atoms, "atoms");
            ui.checkbox(&mut l.residues, "residues");
            ui.checkbox(&mut l.chains, "chains");
            ui.checkbox(&mut l.trace, "trace");
            ui.checkbox(&mut l.ghost, "ghost");
            ui.checkbox(&mut l.arrows, "arrows");
            ui.radio_value(&mut draft.track, TrackView::State, "x_t");
            ui.radio_value(&mut draft.track, TrackView::Prediction, "x0_hat");
            ui.checkbox(&mut draft.undo_augmentation, "undo augmentation");
            if ui.button("fit").clicked() {
                out.commands.push(AppCommand::FitCamera);
            }
        });
        let (scene, _) = state.scene();
        if let Some(legend) = &scene.legend {
            ui.label(format!(
                "{}: {:.2} … {:.2} (viridis)",
                legend.label, legend.min, legend.max
            ));
        }
        let s = state.structure();
        if let Some(r) = state.highlighted_residue().and_then(|r| s.residues.get(r)) {
            let chain = &s.chains[r.chain as usize].id;
            ui.horizontal(|ui| {
                ui.label(format!(
                    "heat-map residue {} {} (chain {chain}), outlined",
                    r.name,
                    r.label()
                ));
                if ui
                    .small_button("×")
                    .on_hover_text("clear the outline")
                    .clicked()
                {
                    out.commands.push(AppCommand::ClearOutline);
                }
            });
        }
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui, out: &mut Requests) {
        let state = &self.state;
        let s = state.structure();
        egui::ScrollArea::vertical().show(ui, |ui| {
            let action = panels::structure_ui(ui, s, &mut out.draft, state.load_error());
            if action.pick_file {
                out.dialog = Some(Purpose::Open);
            }
            if action.pick_run {
                out.dialog = Some(Purpose::OpenRun);
            }
            out.commands.extend(action.open.map(AppCommand::Open));
            out.commands
                .extend(action.bundled.map(AppCommand::OpenBundled));
            if action.reload {
                out.commands.push(AppCommand::Reload);
            }
            ui.separator();
            let highlight = state.focus() == Some(Control::NoiseWeights);
            let measured = state.applied_noise().map(|a| &a.cell);
            let apply = panels::noise_ui(
                ui,
                s,
                &mut out.draft,
                measured,
                state.noise_pending(),
                highlight,
            );
            if apply {
                out.commands.push(AppCommand::ApplyNoise);
            }
            ui.separator();
            let highlight = state.focus().filter(|c| *c != Control::NoiseWeights);
            let has_ensemble = s.model_positions.len() >= 2;
            let action = panels::sampler_ui(
                ui,
                &mut out.draft,
                has_ensemble,
                state.progress(),
                highlight,
            );
            if action.reset {
                out.commands.push(AppCommand::Reset);
            }
            if action.step {
                out.commands.push(AppCommand::Step(1));
            }
            if action.run_to_end {
                out.commands.push(AppCommand::Step(usize::MAX));
            }
            if action.cancel {
                out.commands.push(AppCommand::Cancel);
            }
            ui.horizontal(|ui| {
                if ui
                    .button("Pin run")
                    .on_hover_text("keep this run's curves to compare")
                    .clicked()
                {
                    out.commands.push(AppCommand::Pin);
                }
                if state.pinned().is_some() && ui.button("Unpin").clicked() {
                    out.commands.push(AppCommand::Unpin);
                }
            });
            let commands = self.sweep_panel.ui(
                ui,
                &mut out.draft,
                state.sweep_points(),
                state.sweep_pending(),
            );
            out.commands.extend(commands);
            let commands = train_panel::train_ui(
                ui,
                &mut out.draft,
                state.training(),
                state.training_pending(),
                state.structure().atom_count(),
                state.structure().residue_count(),
            );
            out.commands.extend(commands);
            out.commands.extend(denoiser_error_panel::denoiser_error_ui(
                ui,
                state.denoiser_error_rows(),
                state.denoiser_error_pending(),
            ));
            ui.separator();
            ui.strong("Export");
            ui.horizontal_wrapped(|ui| {
                for kind in ExportKind::ALL {
                    if ui
                        .add_enabled(state.can_export(kind), egui::Button::new(kind.label()))
                        .clicked()
                    {
                        out.dialog = Some(Purpose::Export(kind));
                    }
                }
            });
        });
    }

    fn plots_ui(&mut self, ui: &mut egui::Ui, out: &mut Requests) {
        let state = &self.state;
        let findings = state.findings();
        if let Some(control) = panels::diagnosis_ui(ui, &findings) {
            out.commands.push(AppCommand::HighlightControl(control));
        }
        ui.separator();
        let preset = state.settings().preset();
        let run = state.run();
        let sigmas = if run.sigmas.is_empty() {
            preset.schedule.sigmas()
        } else {
            run.sigmas.clone()
        };
        // Every plot fits its data when a run starts and when a frame arrives.
        let fitted_to = (state.run_id(), run.metrics.len());
        let refit = self.plots_fitted_to != Some(fitted_to);
        self.plots_fitted_to = Some(fitted_to);
        let data = PlotData {
            frames: &run.frames,
            metrics: &run.metrics,
            pinned: state.pinned(),
            sigmas: &sigmas,
            preset: &preset,
            frame: state.timeline().current,
            per_level: state.settings().precondition_shown == PreconditionMode::PerLevel,
            residues: state.structure().residue_count(),
            run_id: state.run_id(),
            source: &run.source,
            refit,
        };
        let click = plots_ui(ui, &data, &mut self.heatmap);
        if let Some(frame) = click.frame {
            out.commands
                .push(AppCommand::Timeline(TimelineCommand::SetFrameClamped(
                    frame,
                )));
        }
        if let Some(residue) = click.residue {
            out.commands.push(AppCommand::FocusResidue(residue));
        }
    }

    fn central_ui(&self, ui: &mut egui::Ui, out: &mut Requests) {
        self.view_options_ui(ui, out);
        if let Some(e) = &self.viewport_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
        let mut camera = *self.state.camera();
        let input = viewport_ui(
            ui,
            self.state.scene(),
            self.state.shown_atoms(),
            &mut camera,
        );
        if camera != *self.state.camera() {
            out.commands.push(AppCommand::SetCamera(camera));
        }
        if input.hovered_atom != self.state.hovered_atom() {
            out.commands.push(AppCommand::Hover(input.hovered_atom));
        }
        if let Some(atom) = input.centered_atom {
            out.commands.push(AppCommand::CenterOnAtom(atom));
        }
    }
}

impl eframe::App for SigmascopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut repaint = self.state.poll_worker();
        let dt = ui.input(|i| i.stable_dt).min(0.1);
        repaint |= self.state.tick(dt);
        let mut out = Requests::new(self.state.settings());
        let dropped: Option<std::path::PathBuf> =
            ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        // Arrays are runs; a structure file is a structure (Open run… takes multi-MODEL runs).
        out.commands.extend(dropped.map(|path| {
            let name = path.to_string_lossy().to_ascii_lowercase();
            if name.ends_with(".npz") || name.ends_with(".npy") {
                AppCommand::OpenRun(path)
            } else {
                AppCommand::Open(path)
            }
        }));
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(self.status_line());
                if let Some(t) = self.state.status() {
                    ui.colored_label(ui.visuals().error_fg_color, t);
                    if ui.small_button("×").on_hover_text("dismiss").clicked() {
                        out.commands.push(AppCommand::DismissStatus);
                    }
                }
            });
        });
        egui::Panel::bottom("timeline").show(ui, |ui| {
            let sigmas: Vec<f64> = self.state.run().frames.iter().map(|f| f.sigma).collect();
            out.commands.extend(
                timeline_panel::timeline_ui(ui, self.state.timeline(), &sigmas)
                    .into_iter()
                    .map(AppCommand::Timeline),
            );
        });
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| self.left_panel_ui(ui, &mut out));
        egui::Panel::right("plots")
            .resizable(true)
            .default_size(420.0)
            .show(ui, |ui| self.plots_ui(ui, &mut out));
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, &mut out));
        if let Some(text) = self
            .state
            .hovered_atom()
            .and_then(|atom| self.state.tooltip_text(atom))
        {
            egui::Tooltip::always_open(
                ui.ctx().clone(),
                ui.layer_id(),
                egui::Id::unique("atom tooltip"),
                egui::PopupAnchor::Pointer,
            )
            .show(|ui| ui.label(text));
        }
        if let Some(purpose) = out.dialog.take() {
            let name = self.state.structure().name.clone();
            let directory = self.dialog_directory().map(Path::to_path_buf);
            out.commands
                .extend(self.dialogs.request(purpose, &name, directory.as_deref()));
        }
        out.commands.extend(self.dialogs.show(ui.ctx()));
        let commands = out.into_commands(self.state.settings());
        let changed = !commands.is_empty();
        self.state.apply_all(commands);
        if repaint
            || changed
            || self.state.timeline().playing
            || self.state.progress().is_some()
            || self.dialogs.is_open()
        {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, self.state.settings());
        eframe::set_value(storage, PLAYBACK_KEY, &self.state.timeline().playback());
    }
}
