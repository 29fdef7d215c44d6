//! The debugger window (eframe/egui): load, noise, step, scrub, plot, explain, export. A thin layer over
//! the core: `AppState` holds what is shown, the panels read it and return `AppCommand`s, which
//! `AppState::apply` carries out; long work runs on the worker thread, and the viewport draws the
//! renderer's scene through one paint callback.

mod command;
mod denoiser_error_panel;
mod diagnosis;
mod events;
mod export;
mod export_job;
mod file_dialog;
mod jobs;
mod launch;
mod live;
mod live_runs;
mod noise_panel;
mod panel;
mod panels;
mod plots;
mod plots_panel;
mod protocol;
mod run_view;
mod sampler_panel;
mod settings;
mod split_view;
mod state;
mod structure_panel;
mod substeps_view;
mod sweep_panel;
mod timeline;
mod timeline_panel;
mod train_panel;
mod view_panel;
mod view_shown;
mod viewport;
mod worker;

pub use command::{AppCommand, DialogPurpose, NOISE_PANEL_DRAWS};
pub use diagnosis::{Control, Finding};
pub use export::ExportKind;
pub use export_job::{RenderDevice, metrics_csv};
pub use file_dialog::{DialogBackend, FILE_DIALOG_ENV, FileDialogs, detect_backend};
pub use launch::{Opening, native_options, run};
pub use plots::plot_id;
pub use protocol::{AppliedNoise, WorkerCommand, WorkerEvent};
pub use run_view::{PinnedRun, TrainingView};
pub use settings::{Settings, SettingsError, SigmaInput, TrackView};
pub use state::{AppState, DEVICE_FRAMES_BUDGET};
pub use timeline::{LoopMode, TimeControl, TimelineCommand};
pub use worker::SamplerWorker;

use std::path::Path;

use eframe::egui;
use eframe::egui_wgpu;

use crate::compute::{ComputeDevice, DevicePreference, Fallback, select_device};
use crate::structure::Structure;
use panel::Panel;
use plots_panel::PlotsPanel;
use view_panel::ViewPanel;
use viewport::ViewportResources;

const SETTINGS_KEY: &str = "sigmascope-settings";
/// The timeline's speed and loop mode, persisted apart from the settings (the timeline owns them).
const PLAYBACK_KEY: &str = "sigmascope-playback";

/// The app: the state, the panels (each with its own widget state), and what only a window has (the
/// file dialogs, the renderer's name).
pub struct SigmascopeApp {
    state: AppState,
    dialogs: FileDialogs,
    renderer_name: String,
    panels: Panels,
}

/// The window's panels: the controls on the left, top to bottom, then the plots, the timeline and the
/// central view.
struct Panels {
    /// Each with whether a separator comes before it.
    controls: Vec<(bool, Box<dyn Panel>)>,
    plots: PlotsPanel,
    timeline: timeline_panel::TimelinePanel,
    view: ViewPanel,
}

impl Panels {
    fn new(settings: &Settings, viewport_error: Option<String>) -> Self {
        Self {
            controls: vec![
                (false, Box::new(structure_panel::StructurePanel)),
                (true, Box::new(noise_panel::NoisePanel::default())),
                (true, Box::new(sampler_panel::SamplerPanel)),
                (false, Box::new(sweep_panel::SweepPanel::new(settings))),
                (false, Box::new(train_panel::TrainPanel)),
                (false, Box::new(denoiser_error_panel::DenoiserErrorPanel)),
                (true, Box::new(panels::ExportPanel)),
            ],
            plots: PlotsPanel::default(),
            timeline: timeline_panel::TimelinePanel,
            view: ViewPanel { viewport_error },
        }
    }
}

/// The settings as this frame's widgets edit them (one copy a frame, every panel's edits in it) and
/// the commands the panels returned, in order.
struct Requests {
    draft: Settings,
    commands: Vec<AppCommand>,
}

impl Requests {
    fn new(settings: &Settings) -> Self {
        Self {
            draft: settings.clone(),
            commands: Vec::new(),
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
        let panels = Panels::new(state.settings(), viewport_error);
        Self {
            state,
            dialogs: FileDialogs::detect(),
            renderer_name,
            panels,
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
        self.panels.plots.heatmap_rows()
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

    /// Carries out the panels' commands in order: a file to choose goes to the dialogs (whose answer,
    /// when it comes at once, is carried out in its place), everything else to the state.
    fn route(&mut self, commands: Vec<AppCommand>) {
        for command in commands {
            match command {
                AppCommand::ChooseFile(purpose) => {
                    let name = self.state.structure().name.clone();
                    let directory = self.dialog_directory().map(Path::to_path_buf);
                    let chosen = self.dialogs.request(purpose, &name, directory.as_deref());
                    self.state.apply_all(chosen);
                }
                other => self.state.apply(other),
            }
        }
    }

    /// A start directory for dialogs: the structure's own, else the working directory.
    fn dialog_directory(&self) -> Option<&Path> {
        self.state
            .structure()
            .source_path
            .as_deref()
            .and_then(Path::parent)
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
        // Arrays and folders are runs; a structure file is a structure, opened as a run when its
        // models are one.
        out.commands.extend(dropped.map(|path| {
            if crate::trajectory::opens_as_run(&path) {
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
        let state = &self.state;
        let panels = &mut self.panels;
        let draft = &mut out.draft;
        egui::Panel::bottom("timeline").show(ui, |ui| {
            out.commands.extend(panels.timeline.ui(ui, state, draft));
        });
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for (separated, panel) in &mut panels.controls {
                        if *separated {
                            ui.separator();
                        }
                        out.commands.extend(panel.ui(ui, state, draft));
                    }
                });
            });
        egui::Panel::right("plots")
            .resizable(true)
            .default_size(420.0)
            .show(ui, |ui| {
                out.commands.extend(panels.plots.ui(ui, state, draft))
            });
        egui::CentralPanel::default().show(ui, |ui| {
            out.commands.extend(panels.view.ui(ui, state, draft))
        });
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
        out.commands.extend(self.dialogs.show(ui.ctx()));
        let commands = out.into_commands(self.state.settings());
        let changed = !commands.is_empty();
        self.route(commands);
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
