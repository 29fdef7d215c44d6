//! Movies of a run: each frame (or every `stride`-th) drawn headless by the window's renderer, with a
//! camera that follows the frames (fitted to each, smoothed), optionally superposed to hold the
//! structure steady, labelled with frame and σ, then encoded as a GIF (`gif`'s NeuQuant palette per
//! frame) or, for MP4 and WebM, handed to ffmpeg.

use std::io::Write as _;
use std::path::Path;

use burn::tensor::wgpu::wgpu;
use glam::Vec3;

use super::camera::{OrbitCamera, ViewPreset};
use super::error::RenderError;
use super::overlay_text::draw_text;
use super::renderer::SceneRenderer;
use super::scene::{ColorMode, SceneOptions, build_scene, grow_atoms_with_cloud};
use crate::geometry::superposed_onto;
use crate::sampler::{CNoiseMode, Frame, Preconditioning};
use crate::structure::Structure;

crate::choice::choices! {
    /// What a movie shows of each frame.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub enum MovieView {
        /// The state x_t.
        Xt = "xt",
        /// The prediction x̂0.
        X0 = "x0",
        /// x_t and x̂0 side by side.
        Split = "split",
        /// What the denoiser is given: x · c_in(σ), in Å of the data (x σ_data / √(σ² + σ_data²)).
        Network = "network",
    }
}

crate::choice::choices! {
    /// What each shown frame is superposed onto (Chimera's `coordset … holdSteady`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    pub enum HoldSteady {
        /// As recorded.
        None = "none",
        /// The frame shown before it.
        Previous = "previous",
        /// The reference.
        Reference = "reference",
        /// The run's last frame.
        Last = "last",
    }
}

/// How a movie is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovieSpec {
    /// Picture size, pixels.
    pub size: [u32; 2],
    /// Frames a second.
    pub fps: u32,
    /// Every `stride`-th frame (the last always shown).
    pub stride: usize,
    /// What is shown.
    pub view: MovieView,
    /// Atom colours.
    pub color_by: ColorMode,
    /// Superposition of the shown frames.
    pub hold_steady: HoldSteady,
    /// σ_data of the network view, Å.
    pub sigma_data: f64,
}

/// The frames a movie shows.
pub fn movie_frames(frames: usize, stride: usize) -> Vec<usize> {
    let mut shown: Vec<usize> = (0..frames).step_by(stride.max(1)).collect();
    if frames > 0 && shown.last() != Some(&(frames - 1)) {
        shown.push(frames - 1);
    }
    shown
}

/// The positions a view shows of `frame` (none for x̂0 of a frame without one).
fn view_positions(frame: &Frame, x0: bool, network: Option<f64>) -> Option<Vec<[f32; 3]>> {
    let positions = if x0 {
        frame.x0_hat.clone()?
    } else {
        frame.x_t.clone()
    };
    Some(match network {
        Some(sigma_data) => network_view(positions, frame.sigma, sigma_data),
        None => positions,
    })
}

/// What the denoiser is given, in Å of the data: `positions` · c_in(σ) · σ_data (Karras et al. 2022
/// table 1); as they are when σ is unknown.
pub fn network_view(positions: Vec<[f32; 3]>, sigma: f64, sigma_data: f64) -> Vec<[f32; 3]> {
    if !sigma.is_finite() {
        return positions;
    }
    let c = (Preconditioning::at(sigma, sigma_data, CNoiseMode::Edm).c_in * sigma_data) as f32;
    positions.iter().map(|p| p.map(|v| v * c)).collect()
}

/// Renders pictures of a run; `progress(done, total)` returning false cancels (`Ok(None)`).
pub struct MovieRenderer<'a> {
    device: &'a wgpu::Device,
    queue: &'a wgpu::Queue,
    renderer: SceneRenderer,
    camera: Option<(Vec3, f32)>,
    clean_radius: Option<f32>,
}

impl<'a> MovieRenderer<'a> {
    /// A renderer on `device`.
    pub fn new(device: &'a wgpu::Device, queue: &'a wgpu::Queue) -> Result<Self, RenderError> {
        Ok(Self {
            device,
            queue,
            renderer: SceneRenderer::new(device, None)?,
            camera: None,
            clean_radius: None,
        })
    }

    /// One picture of `positions` at `size`, the camera eased toward this frame's fit.
    fn picture(
        &mut self,
        structure: &Structure,
        positions: &[[f32; 3]],
        options: &SceneOptions,
        size: [u32; 2],
    ) -> Result<Vec<u8>, RenderError> {
        let mut scene = build_scene(structure, positions, &structure.positions, None, options);
        let (center, radius) = match self.camera {
            // Halfway each frame: scrubbing σ down the camera closes in without jumps.
            Some((c, r)) => (c + 0.5 * (scene.center - c), r + 0.5 * (scene.radius - r)),
            None => (scene.center, scene.radius),
        };
        self.camera = Some((center, radius));
        // A cloud at high σ is many times the structure's size: atoms grow with it so that they stay as
        // many pixels wide as in the structure itself.
        grow_atoms_with_cloud(&mut scene, radius, self.clean_radius.unwrap_or(radius));
        let camera = OrbitCamera::fitted(
            ViewPreset::Fit,
            center,
            radius,
            size[0] as f32 / size[1] as f32,
        );
        self.renderer.ensure_target(self.device, size);
        self.renderer
            .upload(self.device, self.queue, &scene, &camera);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        self.renderer.draw(&mut encoder);
        self.queue.submit([encoder.finish()]);
        self.renderer.read_color(self.device, self.queue)
    }
}

/// Superposes `positions` as `hold` asks; `previous` is the last shown frame's positions.
fn held(
    positions: Vec<[f32; 3]>,
    hold: HoldSteady,
    previous: Option<&[[f32; 3]]>,
    reference: &[[f32; 3]],
    last: &[[f32; 3]],
) -> Vec<[f32; 3]> {
    let target = match hold {
        HoldSteady::None => return positions,
        HoldSteady::Previous => match previous {
            Some(p) => p,
            None => return positions,
        },
        HoldSteady::Reference => reference,
        HoldSteady::Last => last,
    };
    superposed_onto(&positions, target)
}

/// Every picture of the movie of `frames`, labelled; `None` when `progress` cancelled.
pub fn render_movie(
    movie: &mut MovieRenderer<'_>,
    structure: &Structure,
    frames: &[Frame],
    spec: &MovieSpec,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Option<Vec<Vec<u8>>>, RenderError> {
    let shown = movie_frames(frames.len(), spec.stride);
    let options = SceneOptions {
        color_by: spec.color_by,
        ..SceneOptions::default()
    };
    let network = (spec.view == MovieView::Network).then_some(spec.sigma_data);
    let last = frames.last().map_or_else(Vec::new, |f| f.x_t.clone());
    // The run's clean end sets the size atoms keep on screen.
    movie.clean_radius =
        Some(build_scene(structure, &last, &structure.positions, None, &options).radius);
    movie.camera = None;
    let mut previous: Option<Vec<[f32; 3]>> = None;
    let mut pictures = Vec::with_capacity(shown.len());
    for (done, &k) in shown.iter().enumerate() {
        if !progress(done, shown.len()) {
            return Ok(None);
        }
        let frame = &frames[k];
        let state = view_positions(frame, spec.view == MovieView::X0, network)
            .ok_or_else(|| RenderError::Readback(format!("frame {k} has no x̂0")))?;
        let state = held(
            state,
            spec.hold_steady,
            previous.as_deref(),
            &structure.positions,
            &last,
        );
        let sigma = if frame.sigma.is_finite() {
            format!("  SIGMA {:.2}", frame.sigma)
        } else {
            String::new()
        };
        let label = format!("FRAME {}/{}{sigma}", k, frames.len() - 1);
        let mut picture = if spec.view == MovieView::Split {
            let half = [(spec.size[0] / 2).max(1), spec.size[1]];
            let left = movie.picture(structure, &state, &options, half)?;
            let x0 = frame.x0_hat.clone().unwrap_or_else(|| state.clone());
            let x0 = held(
                x0,
                spec.hold_steady,
                Some(&state),
                &structure.positions,
                &last,
            );
            let right = movie.picture(structure, &x0, &options, half)?;
            side_by_side(&left, &right, half, spec.size)
        } else {
            movie.picture(structure, &state, &options, spec.size)?
        };
        let scale = (spec.size[1] / 240).max(1);
        draw_text(
            &mut picture,
            spec.size[0],
            4 * scale,
            4 * scale,
            scale,
            &label,
        );
        if spec.view == MovieView::Split {
            let y = spec.size[1].saturating_sub(12 * scale);
            draw_text(&mut picture, spec.size[0], 4 * scale, y, scale, "XT");
            draw_text(
                &mut picture,
                spec.size[0],
                spec.size[0] / 2 + 4 * scale,
                y,
                scale,
                "X0",
            );
        }
        pictures.push(picture);
        previous = Some(state);
    }
    progress(shown.len(), shown.len());
    Ok(Some(pictures))
}

/// Two pictures of `half` size side by side in one of `size` (an odd width's last column black).
fn side_by_side(left: &[u8], right: &[u8], half: [u32; 2], size: [u32; 2]) -> Vec<u8> {
    let mut out = vec![0u8; (size[0] * size[1] * 4) as usize];
    let row = (half[0] * 4) as usize;
    for y in 0..size[1] as usize {
        let at = y * (size[0] * 4) as usize;
        out[at..at + row].copy_from_slice(&left[y * row..(y + 1) * row]);
        out[at + row..at + 2 * row].copy_from_slice(&right[y * row..(y + 1) * row]);
    }
    out
}

/// A looping GIF of RGBA pictures of `size` at `fps`.
pub fn encode_gif(pictures: &mut [Vec<u8>], size: [u32; 2], fps: u32) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u16::try_from(size[0]).map_err(|_| "a GIF is at most 65535 pixels wide")?,
        u16::try_from(size[1]).map_err(|_| "a GIF is at most 65535 pixels high")?,
    );
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, w, h, &[]).map_err(|e| e.to_string())?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| e.to_string())?;
        // GIF delays are in hundredths of a second.
        let delay = (100 / fps.max(1)).max(1) as u16;
        for picture in pictures.iter_mut() {
            let mut frame = gif::Frame::from_rgba_speed(w, h, picture, 10);
            frame.delay = delay;
            encoder.write_frame(&frame).map_err(|e| e.to_string())?;
        }
    }
    Ok(bytes)
}

/// Encodes RGBA pictures to `path` (MP4 or WebM by its extension) with ffmpeg, when it is installed.
pub fn encode_with_ffmpeg(
    pictures: &[Vec<u8>],
    size: [u32; 2],
    fps: u32,
    path: &Path,
) -> Result<(), String> {
    let mut child = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
        ])
        .arg(format!("{}x{}", size[0], size[1]))
        .args([
            "-r",
            &fps.max(1).to_string(),
            "-i",
            "-",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("MP4 and WebM need ffmpeg, which is not installed ({e}); write a .gif instead")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        for picture in pictures {
            stdin
                .write_all(picture)
                .map_err(|e| format!("ffmpeg stopped reading: {e}"))?;
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "ffmpeg failed: {}",
            stderr.lines().last().unwrap_or("no message")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_keep_the_last_frame() {
        assert_eq!(movie_frames(10, 4), [0, 4, 8, 9]);
        assert_eq!(movie_frames(9, 4), [0, 4, 8]);
        assert_eq!(movie_frames(3, 0), [0, 1, 2]);
        assert!(movie_frames(0, 2).is_empty());
    }

    #[test]
    fn the_network_view_scales_by_c_in() {
        let mut frame = Frame::from_positions(0, vec![[32.0, 0.0, 0.0]]);
        frame.sigma = 16.0 * 3f64.sqrt();
        // σ_data / √(3 σ_data² + σ_data²) = 1/2.
        let shown = view_positions(&frame, false, Some(16.0)).unwrap();
        assert!((shown[0][0] - 16.0).abs() < 1e-4);
        assert!(
            view_positions(&frame, true, None).is_none(),
            "no x̂0 to show"
        );
    }

    #[test]
    fn gifs_hold_every_picture() {
        let mut pictures = vec![vec![255u8; 8 * 6 * 4], vec![0u8; 8 * 6 * 4]];
        let bytes = encode_gif(&mut pictures, [8, 6], 10).unwrap();
        assert!(bytes.starts_with(b"GIF89a"));
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(std::io::Cursor::new(bytes)).unwrap();
        let mut frames = 0;
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            assert_eq!((frame.width, frame.height, frame.delay), (8, 6, 10));
            frames += 1;
        }
        assert_eq!(frames, 2);
    }
}
