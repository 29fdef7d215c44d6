//! An export on its way to a file: what it writes, taken from the state when it is asked for, and the
//! writing itself, which runs on a thread of its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

use crate::render::{
    MovieRenderer, MovieSpec, OrbitCamera, Scene, encode_gif, render_headless, render_movie,
    write_png,
};
use crate::sampler::Frame;
use crate::structure::{
    ExportFrame, ExportOptions, Structure, write_atomic, write_residue_level_pdb,
    write_trajectory_pdb,
};
use crate::trajectory::{COLUMNS, FrameMetrics, Track, frame_rows, write_run_npz, write_track};

/// The device and queue that render the viewport (for the PNG export); none in tests without a window.
#[derive(Clone)]
pub struct RenderDevice {
    /// wgpu device.
    pub device: burn::tensor::wgpu::wgpu::Device,
    /// Its queue.
    pub queue: burn::tensor::wgpu::wgpu::Queue,
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
    pub(super) path: PathBuf,
    pub(super) structure: Arc<Structure>,
    pub(super) content: ExportContent,
    /// Set by Cancel export: nothing is written from then on.
    pub(super) cancel: Arc<AtomicBool>,
}

/// What each kind of export carries.
pub(super) enum ExportContent {
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
    /// A movie of the run, drawn off screen frame by frame.
    Movie {
        device: RenderDevice,
        frames: Arc<Vec<Frame>>,
        spec: MovieSpec,
    },
    /// The viewport, drawn again off screen.
    Picture {
        device: RenderDevice,
        scene: Arc<Scene>,
        camera: OrbitCamera,
    },
}

impl ExportJob {
    /// Where it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the export (atomically, never over the structure's own file): true when written, false
    /// when cancelled first. A cancel is seen before the frames are gathered and before the file is
    /// written; the text in between is built whole, so no file is ever half written.
    pub fn write(&self, progress: &dyn Fn(usize, usize)) -> anyhow::Result<bool> {
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
            ExportContent::Movie {
                device,
                frames,
                spec,
            } => return self.write_movie(device, frames, spec, progress),
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

impl ExportJob {
    /// Renders and writes a GIF; false when cancelled (between any two pictures).
    fn write_movie(
        &self,
        device: &RenderDevice,
        frames: &[Frame],
        spec: &MovieSpec,
        progress: &dyn Fn(usize, usize),
    ) -> anyhow::Result<bool> {
        let mut movie = MovieRenderer::new(&device.device, &device.queue)?;
        let pictures = render_movie(&mut movie, &self.structure, frames, spec, |done, total| {
            progress(done, total);
            !self.cancel.load(Ordering::SeqCst)
        })?;
        let Some(mut pictures) = pictures else {
            return Ok(false);
        };
        let bytes = encode_gif(&mut pictures, spec.size, spec.fps).map_err(anyhow::Error::msg)?;
        if self.cancel.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let protected: Vec<&Path> = self.structure.source_path.as_deref().into_iter().collect();
        write_atomic(&self.path, &bytes, &protected)?;
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
