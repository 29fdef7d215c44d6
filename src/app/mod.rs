//! The desktop window (eframe/egui). For now: the loaded structure's name and counts, opening files
//! and bundled examples, load errors shown inline with the previous structure kept.

use std::path::Path;
use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu;

use crate::cli::{LoadArgs, load_structure};
use crate::compute::{DevicePreference, shared_device_descriptor};
use crate::structure::{BUNDLED, LoadOptions, Structure, default_structure, load_path};

/// The app's state: the structure on screen and the last load error.
pub struct SigmascopeApp {
    structure: Structure,
    load_options: LoadOptions,
    load_error: Option<String>,
    renderer_name: String,
}

impl SigmascopeApp {
    /// Creates the app on a loaded structure.
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        structure: Structure,
        load_options: LoadOptions,
    ) -> Self {
        let renderer_name = cc.wgpu_render_state.as_ref().map_or_else(
            || "no wgpu renderer".to_owned(),
            |rs| rs.adapter.get_info().name,
        );
        Self {
            structure,
            load_options,
            load_error: None,
            renderer_name,
        }
    }

    /// The structure on screen.
    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// The last load error, if the last load failed.
    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// Loads a file; on failure the error is shown and the previous structure stays.
    pub fn open_path(&mut self, path: &Path) {
        match load_path(path, &self.load_options) {
            Ok(s) => {
                self.structure = s;
                self.load_error = None;
            }
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    fn structure_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(&self.structure.name);
        let s = &self.structure;
        egui::Grid::new("counts").num_columns(2).show(ui, |ui| {
            ui.label("format");
            ui.label(s.format.label());
            ui.end_row();
            ui.label("models");
            ui.label(format!("{} (showing {})", s.model_count, s.model_number));
            ui.end_row();
            ui.label("atoms");
            ui.label(s.atom_count().to_string());
            ui.end_row();
            ui.label("residues");
            ui.label(s.residue_count().to_string());
            ui.end_row();
            ui.label("chains");
            ui.label(format!(
                "{} ({})",
                s.chain_count(),
                s.chain_ids().join(", ")
            ));
            ui.end_row();
            ui.label("atoms per residue");
            ui.label(format!("{:.2}", s.mean_atoms_per_residue()));
            ui.end_row();
        });
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Open…").clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("structures", &["pdb", "ent", "cif", "mmcif", "gz"])
                    .pick_file()
            {
                self.open_path(&path);
            }
            for bundled in &BUNDLED {
                if ui
                    .button(bundled.name)
                    .on_hover_text(bundled.description)
                    .clicked()
                {
                    match bundled.load(&self.load_options) {
                        Ok(s) => {
                            self.structure = s;
                            self.load_error = None;
                        }
                        Err(e) => self.load_error = Some(e.to_string()),
                    }
                }
            }
        });
        if let Some(error) = &self.load_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }
}

impl eframe::App for SigmascopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
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
            ui.label(format!("renders on {}", self.renderer_name));
        });
        egui::CentralPanel::default().show(ui, |ui| self.structure_ui(ui));
    }
}

/// Window options: wgpu renderer on a device that burn can share.
pub fn native_options() -> eframe::NativeOptions {
    eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        viewport: egui::ViewportBuilder::default()
            .with_title("sigmascope")
            .with_inner_size([1280.0, 800.0]),
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
pub fn run(file: Option<&Path>, load: &LoadArgs, _device: DevicePreference) -> anyhow::Result<()> {
    let options = load.options();
    let structure = match file {
        Some(path) => load_structure(path, load)?,
        None => default_structure().load(&options)?,
    };
    eframe::run_native(
        "sigmascope",
        native_options(),
        Box::new(move |cc| Ok(Box::new(SigmascopeApp::new(cc, structure, options)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
