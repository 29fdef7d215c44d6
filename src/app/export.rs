//! Export from the window: trajectory tracks, residue-level file, the noised structure, a PNG of the
//! viewport and the plots' data as CSV. Every write is atomic and refuses the input file.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::export_job::{ExportContent, ExportJob};
use super::settings::TrackView;
use super::state::AppState;
use crate::render::{MovieSpec, MovieView};
use crate::sampler::Frame;
use crate::trajectory::Track;

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
    /// The run as a looping GIF, drawn as the view shows it.
    MovieGif,
}

impl ExportKind {
    /// Every export, in the order of the panel's buttons.
    pub const ALL: [Self; 8] = [
        Self::StateTrack,
        Self::PredictionTrack,
        Self::ResidueLevel,
        Self::NoisedStructure,
        Self::ViewportPng,
        Self::PlotsCsv,
        Self::RunNpz,
        Self::MovieGif,
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
            Self::MovieGif => "movie GIF…",
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
            Self::MovieGif => "_movie.gif",
        };
        format!("{structure_name}{suffix}")
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::ViewportPng => "png",
            Self::PlotsCsv => "csv",
            Self::RunNpz => "npz",
            Self::MovieGif => "gif",
            _ => "pdb",
        }
    }
}

impl AppState {
    /// True when `kind` has something to write now (and no other export is being written).
    pub fn can_export(&self, kind: ExportKind) -> bool {
        if self.export_pending() {
            return false;
        }
        match kind {
            ExportKind::NoisedStructure => self.results.applied_noise.is_some(),
            ExportKind::ViewportPng => self.render_device.is_some(),
            ExportKind::MovieGif => self.render_device.is_some() && !self.run.frames.is_empty(),
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
                    .results
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
            ExportKind::MovieGif => ExportContent::Movie {
                device: self
                    .render_device
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("no wgpu renderer"))?,
                frames: Arc::new(self.movie_frames(&frames()?)),
                spec: self.movie_spec(),
            },
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

    /// The frames as the view shows them (augmentation undone when it is), for a movie.
    fn movie_frames(&self, frames: &[Frame]) -> Vec<Frame> {
        frames
            .iter()
            .map(|f| {
                let mut shown = f.clone();
                if self.settings.undo_augmentation {
                    shown.x_t = f.x_t_in_data();
                    shown.x0_hat = f.x0_in_data();
                }
                shown
            })
            .collect()
    }

    /// A movie of the view as it is set: its track or split or network view, colours, hold steady,
    /// and the timeline's speed and stride.
    fn movie_spec(&self) -> MovieSpec {
        let view = if self.settings.split_view {
            MovieView::Split
        } else if self.settings.network_view {
            MovieView::Network
        } else if self.settings.track == TrackView::Prediction {
            MovieView::X0
        } else {
            MovieView::Xt
        };
        MovieSpec {
            size: [640, 480],
            fps: self.timeline.fps.round().clamp(1.0, 100.0) as u32,
            stride: self.timeline.stride,
            view,
            color_by: self.shown_color_mode(),
            hold_steady: self.settings.hold_steady,
            sigma_data: self.settings.preset.preset().schedule.sigma_data,
        }
    }

    /// Stops the export being written: its file is not written (an export already written stays).
    pub(super) fn cancel_export(&mut self) {
        if let Some(cancel) = &self.jobs.export {
            cancel.store(true, Ordering::SeqCst);
        }
    }
}
