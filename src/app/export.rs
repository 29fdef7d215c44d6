//! Export from the window: trajectory tracks, residue-level file, the noised structure, a PNG of the
//! viewport and the plots' data as CSV. Every write is atomic and refuses the input file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

use super::state::{AppState, RenderDevice};
use crate::render::{OrbitCamera, Scene, render_headless, write_png};
use crate::sampler::Frame;
use crate::structure::{
    ExportFrame, ExportOptions, Structure, write_atomic, write_residue_level_pdb,
    write_trajectory_pdb,
};
use crate::trajectory::{COLUMNS, FrameMetrics, Track, frame_rows, write_run_npz, write_track};

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
    /// The whole run as NPZ (the keys `Open run…` reads).
    RunNpz,
}

impl ExportKind {
    /// Every export, in the order of the panel's buttons.
    pub const ALL: [Self; 7] = [
        Self::StateTrack,
        Self::PredictionTrack,
        Self::ResidueLevel,
        Self::NoisedStructure,
        Self::ViewportPng,
        Self::PlotsCsv,
        Self::RunNpz,
    ];

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::StateTrack => "x_t track…",
            Self::PredictionTrack => "x0_hat track…",
            Self::ResidueLevel => "residue level…",
            Self::NoisedStructure => "noised structure…",
            Self::ViewportPng => "viewport PNG…",
            Self::PlotsCsv => "plots CSV…",
            Self::RunNpz => "run NPZ…",
        }
    }

    /// The file name suggested for `structure_name`.
    pub fn file_name(self, structure_name: &str) -> String {
        let suffix = match self {
            Self::StateTrack => "_xt.pdb",
            Self::PredictionTrack => "_x0.pdb",
            Self::ResidueLevel => "_residues.pdb",
            Self::NoisedStructure => "_noised.pdb",
            Self::ViewportPng => ".png",
            Self::PlotsCsv => "_metrics.csv",
            Self::RunNpz => "_run.npz",
        };
        format!("{structure_name}{suffix}")
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::ViewportPng => "png",
            Self::PlotsCsv => "csv",
            Self::RunNpz => "npz",
            _ => "pdb",
        }
    }
}

/// The plots' data as CSV: a header of the [`COLUMNS`]' names, then one row per frame; an absent figure is
/// an empty field.
pub fn metrics_csv(frames: &[Frame], metrics: &[FrameMetrics]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS.map(|c| c.name))?;
    for row in frame_rows(frames, metrics) {
        writer.write_record(
            row.flat()
                .iter()
                .map(|v| v.map_or_else(String::new, |v| v.to_string())),
        )?;
    }
    let bytes = writer.into_inner().context("cannot finish the CSV")?;
    Ok(String::from_utf8(bytes)?)
}

/// What an export writes, taken from the state when it is asked for (the frames shared, not copied),
/// so that the writing runs off the UI thread.
pub struct ExportJob {
    path: PathBuf,
    structure: Arc<Structure>,
    content: ExportContent,
    /// Set by Cancel export: nothing is written from then on.
    cancel: Arc<AtomicBool>,
}

/// What each kind of export carries.
enum ExportContent {
    /// A multi-MODEL track.
    Track(Track, Arc<Vec<Frame>>),
    /// The x_t track at the residue level.
    ResidueLevel(Arc<Vec<Frame>>),
    /// The whole run as NPZ.
    RunNpz(Arc<Vec<Frame>>),
    /// The plots' data.
    PlotsCsv(Arc<Vec<Frame>>, Vec<FrameMetrics>),
    /// The noised structure, with its label.
    Noised {
        label: String,
        positions: Vec<[f32; 3]>,
    },
    /// The viewport, drawn again off screen.
    Picture {
        device: RenderDevice,
        scene: Arc<Scene>,
        camera: OrbitCamera,
    },
}

impl AppState {
    /// True when `kind` has something to write now (and no other export is being written).
    pub fn can_export(&self, kind: ExportKind) -> bool {
        if self.export_pending() {
            return false;
        }
        match kind {
            ExportKind::NoisedStructure => self.applied_noise.is_some(),
            ExportKind::ViewportPng => self.render_device.is_some(),
            _ => !self.run.frames.is_empty(),
        }
    }

    /// What writing `kind` to `path` needs, or why there is nothing to write.
    pub(super) fn export_job(&self, kind: ExportKind, path: PathBuf) -> anyhow::Result<ExportJob> {
        let frames = || {
            if self.run.frames.is_empty() {
                anyhow::bail!("no run yet: press Step or Run to end first");
            }
            Ok(Arc::clone(&self.run.frames))
        };
        let content = match kind {
            ExportKind::StateTrack => ExportContent::Track(Track::State, frames()?),
            ExportKind::PredictionTrack => ExportContent::Track(Track::Prediction, frames()?),
            ExportKind::ResidueLevel => ExportContent::ResidueLevel(frames()?),
            ExportKind::RunNpz => ExportContent::RunNpz(frames()?),
            ExportKind::PlotsCsv => ExportContent::PlotsCsv(frames()?, self.run.metrics.clone()),
            ExportKind::NoisedStructure => {
                let (_, applied) = self
                    .applied_noise
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("apply a noise first (noise panel)"))?;
                let label = format!(
                    "noise={} sigma={:.4}",
                    self.settings.noise().map(|n| n.name).unwrap_or_default(),
                    self.settings.noise_sigma()
                );
                ExportContent::Noised {
                    label,
                    positions: applied.noised.clone(),
                }
            }
            ExportKind::ViewportPng => ExportContent::Picture {
                device: self
                    .render_device
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("no wgpu renderer"))?,
                scene: Arc::clone(&self.shown.scene),
                camera: self.camera,
            },
        };
        Ok(ExportJob {
            path,
            structure: Arc::clone(&self.structure),
            content,
            cancel: Arc::new(AtomicBool::new(false)),
        })
    }

    /// True while an export is being written.
    pub fn export_pending(&self) -> bool {
        self.jobs.export.is_some()
    }

    /// Writes an export off the UI thread.
    pub(super) fn start_export(&mut self, kind: ExportKind, path: PathBuf) {
        if self.export_pending() {
            self.status = Some("an export is being written: wait for it or cancel it".to_owned());
            return;
        }
        match self.export_job(kind, path) {
            Ok(job) => {
                self.status = Some(format!("writing {}…", job.path().display()));
                self.jobs.export = Some(Arc::clone(&job.cancel));
                self.worker.export(job);
                self.pending_commands += 1;
            }
            Err(e) => self.status = Some(format!("export failed: {e:#}")),
        }
    }

    /// Stops the export being written: its file is not written (an export already written stays).
    pub(super) fn cancel_export(&mut self) {
        if let Some(cancel) = &self.jobs.export {
            cancel.store(true, Ordering::SeqCst);
        }
    }
}

impl ExportJob {
    /// Where it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the export (atomically, never over the structure's own file): true when written, false
    /// when cancelled first. A cancel is seen before the frames are gathered and before the file is
    /// written; the text in between is built whole, so no file is ever half written.
    pub fn write(&self) -> anyhow::Result<bool> {
        let (s, path) = (self.structure.as_ref(), &self.path);
        let cancelled = || self.cancel.load(Ordering::SeqCst);
        if cancelled() {
            return Ok(false);
        }
        match &self.content {
            ExportContent::Track(track, frames) => write_track(path, s, frames, *track)?,
            ExportContent::ResidueLevel(frames) => write_residue_level(path, s, frames)?,
            ExportContent::RunNpz(frames) => write_run_npz(path, s, frames)?,
            ExportContent::PlotsCsv(frames, metrics) => {
                let csv = metrics_csv(frames, metrics)?;
                write_atomic(
                    path,
                    csv.as_bytes(),
                    &[s.source_path.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>(),
                )?;
            }
            ExportContent::Noised { label, positions } => {
                let frame = ExportFrame {
                    label,
                    positions,
                    b_factors: None,
                };
                write_trajectory_pdb(path, s, &[frame], ExportOptions::default())?;
            }
            ExportContent::Picture {
                device,
                scene,
                camera,
            } => {
                let size = [1280, 800];
                let aspect = size[0] as f32 / size[1] as f32;
                let camera = camera.fitted_to(scene.center, scene.radius, aspect);
                let rgba = render_headless(&device.device, &device.queue, scene, &camera, size)?;
                if cancelled() {
                    return Ok(false);
                }
                write_png(path, size[0], size[1], &rgba)?;
            }
        }
        Ok(true)
    }
}

/// The x_t track at the residue level (one pseudo-atom per residue centroid).
fn write_residue_level(path: &Path, s: &Structure, frames: &[Frame]) -> anyhow::Result<()> {
    let coords: Vec<Vec<[f32; 3]>> = frames.iter().map(Frame::x_t_in_data).collect();
    let labels: Vec<String> = frames
        .iter()
        .map(|f| format!("frame={} sigma={:.6}", f.index, f.sigma))
        .collect();
    let export: Vec<ExportFrame<'_>> = coords
        .iter()
        .zip(&labels)
        .map(|(c, l)| ExportFrame {
            label: l,
            positions: c,
            b_factors: None,
        })
        .collect();
    write_residue_level_pdb(path, s, &export, ExportOptions::default())?;
    Ok(())
}
