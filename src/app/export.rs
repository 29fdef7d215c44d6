//! Export from the window: trajectory tracks, residue-level file, the noised structure, a PNG of the
//! viewport and the plots' data as CSV. Every write is atomic and refuses the input file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use eframe::egui;

use super::SigmascopeApp;
use crate::render::{render_headless, write_png};
use crate::structure::{
    ExportFrame, ExportOptions, write_atomic, write_residue_level_pdb, write_trajectory_pdb,
};
use crate::trajectory::{Track, write_track};

fn save_dialog(name: &str, extension: &str) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_file_name(name)
        .add_filter(extension, &[extension])
        .save_file()
}

/// The plots' data: one row per frame.
pub fn metrics_csv(app: &SigmascopeApp) -> String {
    let mut out = String::from(
        "frame,sigma,t_hat,gamma,rmsd_3d_atom,rmsd_3d_residue,rmsd_3d_chain,motion_3d_atom,motion_3d_residue,motion_3d_chain,independent_residue_share,abnormal_bond_share,c_skip_global,c_skip_residue,c_skip_chain\n",
    );
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v}"));
    for (f, m) in app.run.frames.iter().zip(&app.run.metrics) {
        let p = f.precondition;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            m.index,
            f.sigma,
            f.t_hat,
            f.gamma,
            m.levels.atom.rmsd,
            m.levels.residue.rmsd,
            opt(m.levels.chain.map(|c| c.rmsd)),
            opt(m.levels.atom.motion),
            opt(m.levels.residue.motion),
            opt(m.levels.chain.and_then(|c| c.motion)),
            opt(m.levels.residue.independent_share),
            m.abnormal_bonds.share,
            opt(p.map(|p| p.global.c_skip)),
            opt(p.map(|p| p.residue.c_skip)),
            opt(p.map(|p| p.chain.c_skip)),
        )
        .ok();
    }
    out
}

impl SigmascopeApp {
    /// Writes one export; errors go to the toast.
    pub fn export_to(&mut self, what: ExportKind, path: &Path) {
        let s = &self.structure;
        let result: anyhow::Result<()> = (|| {
            match what {
                ExportKind::StateTrack => write_track(path, s, &self.run.frames, Track::State)?,
                ExportKind::PredictionTrack => {
                    write_track(path, s, &self.run.frames, Track::Prediction)?
                }
                ExportKind::ResidueLevel => {
                    let coords: Vec<Vec<[f32; 3]>> =
                        self.run.frames.iter().map(|f| f.x_t_in_data()).collect();
                    let labels: Vec<String> = self
                        .run
                        .frames
                        .iter()
                        .map(|f| format!("frame={} sigma={:.6}", f.index, f.sigma))
                        .collect();
                    let frames: Vec<ExportFrame<'_>> = coords
                        .iter()
                        .zip(&labels)
                        .map(|(c, l)| ExportFrame {
                            label: l,
                            positions: c,
                            b_factors: None,
                        })
                        .collect();
                    write_residue_level_pdb(path, s, &frames, ExportOptions::default())?;
                }
                ExportKind::NoisedStructure => {
                    let (noised, _) = self
                        .applied_noise
                        .as_ref()
                        .ok_or_else(|| anyhow::anyhow!("apply a noise first (noise panel)"))?;
                    let label = format!(
                        "noise={} sigma={:.4}",
                        self.settings.noise().map(|n| n.name).unwrap_or_default(),
                        self.settings.noise_sigma()
                    );
                    let frame = ExportFrame {
                        label: &label,
                        positions: noised,
                        b_factors: None,
                    };
                    write_trajectory_pdb(path, s, &[frame], ExportOptions::default())?;
                }
                ExportKind::ViewportPng => {
                    let rs = self
                        .render_state
                        .as_ref()
                        .ok_or_else(|| anyhow::anyhow!("no wgpu renderer"))?;
                    let size = [1280, 800];
                    let aspect = size[0] as f32 / size[1] as f32;
                    let camera =
                        self.camera
                            .fitted_to(self.scene.center, self.scene.radius, aspect);
                    let rgba = render_headless(&rs.device, &rs.queue, &self.scene, &camera, size)?;
                    write_png(path, size[0], size[1], &rgba)?;
                }
                ExportKind::PlotsCsv => write_atomic(path, metrics_csv(self).as_bytes(), &[])?,
            }
            Ok(())
        })();
        self.toast = Some(match result {
            Ok(()) => format!("wrote {}", path.display()),
            Err(e) => format!("export failed: {e:#}"),
        });
    }
}

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// x_t track (multi-MODEL PDB).
    StateTrack,
    /// x̂0 track.
    PredictionTrack,
    /// Residue-level x_t track.
    ResidueLevel,
    /// The noised structure of the noise panel.
    NoisedStructure,
    /// PNG of the viewport.
    ViewportPng,
    /// Plot data as CSV.
    PlotsCsv,
}

/// Export buttons.
pub fn export_ui(ui: &mut egui::Ui, app: &mut SigmascopeApp) {
    ui.strong("Export");
    let has_run = !app.run.frames.is_empty();
    let name = app.structure.name.clone();
    let buttons = [
        (
            ExportKind::StateTrack,
            "x_t track…",
            format!("{name}_xt.pdb"),
            "pdb",
            has_run,
        ),
        (
            ExportKind::PredictionTrack,
            "x̂0 track…",
            format!("{name}_x0.pdb"),
            "pdb",
            has_run,
        ),
        (
            ExportKind::ResidueLevel,
            "residue level…",
            format!("{name}_residues.pdb"),
            "pdb",
            has_run,
        ),
        (
            ExportKind::NoisedStructure,
            "noised structure…",
            format!("{name}_noised.pdb"),
            "pdb",
            app.applied_noise.is_some(),
        ),
        (
            ExportKind::ViewportPng,
            "viewport PNG…",
            format!("{name}.png"),
            "png",
            true,
        ),
        (
            ExportKind::PlotsCsv,
            "plots CSV…",
            format!("{name}_metrics.csv"),
            "csv",
            has_run,
        ),
    ];
    ui.horizontal_wrapped(|ui| {
        for (kind, label, file, extension, enabled) in buttons {
            if ui.add_enabled(enabled, egui::Button::new(label)).clicked()
                && let Some(path) = save_dialog(&file, extension)
            {
                app.export_to(kind, &path);
            }
        }
    });
}
