//! `sigmascope bench`: timings printed as JSON (speed is measured here, never asserted in tests).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};

use super::{LoadArgs, load_structure};
use crate::compute::{ComputeDevice, open_wgpu};
use crate::noise::TABLE_Z;
use crate::noise::{NoiseTableSpec, SigmaPoint, TrainingSigma, noise_table, parse_noise};

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to time.
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Time to load a structure file (read, gunzip, parse, build the hierarchy), beside gemmi's when
    /// `python3 benches/gemmi_load.py` runs (python3 with the gemmi package).
    Load {
        /// Structure file (PDB/mmCIF, optionally .gz).
        file: PathBuf,
        /// Model and atom selection.
        #[command(flatten)]
        load: LoadArgs,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// The full default noise table (7 z × flat, seed-old, rebalanced) on the CPU backend and the wgpu adapter.
    NoiseTable {
        /// Structure file or bundled name.
        file: PathBuf,
        /// Model and atom selection.
        #[command(flatten)]
        load: LoadArgs,
        /// Draws per cell.
        #[arg(long, default_value_t = 1)]
        repeats: usize,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Time per sampler step (exact denoiser, Euler, augmentation on, frames not read back) on synthetic
    /// structures, on the CPU backend and the wgpu adapter.
    SamplerStep {
        /// Atom counts of the synthetic structures.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 10_000, 100_000, 1_000_000])]
        atoms: Vec<usize>,
        /// Timed steps per size (after 3 warm-up steps).
        #[arg(long, default_value_t = 20)]
        steps: usize,
        /// Skip the CPU backend.
        #[arg(long, conflicts_with = "cpu_only")]
        gpu_only: bool,
        /// Skip the wgpu adapter (no device is opened).
        #[arg(long)]
        cpu_only: bool,
    },
    /// Round trip of the external-denoiser protocol per denoiser call (x out, x0_hat back) with a
    /// child that computes nothing (examples/external_denoiser/echo.py), on a synthetic structure.
    ExternalDenoiser {
        /// Atoms of the synthetic structure.
        #[arg(long, default_value_t = 10_000)]
        atoms: usize,
        /// Timed calls (after 3 warm-up calls).
        #[arg(long, default_value_t = 50)]
        calls: usize,
        /// The child's command.
        #[arg(long, default_value = "python3 examples/external_denoiser/echo.py")]
        command: String,
    },
    /// Training steps per second of the learned denoiser (default configuration) on structures, on
    /// the CPU backend and the wgpu adapter.
    Training {
        /// Structure files or bundled names.
        #[arg(long, value_delimiter = ',', default_values_t = ["1crn".to_owned(), "4hhb".to_owned()])]
        files: Vec<String>,
        /// Timed steps per structure and device (after an untimed run of 2 steps).
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Skip the wgpu adapter.
        #[arg(long)]
        cpu_only: bool,
    },
    /// Time and peak memory of one training step of residue attention against the residue count, for
    /// the factorised and the dense pair bias; each point runs in a child process so its peak resident
    /// memory is its own. A point whose estimate exceeds this machine's budget is refused, not run.
    LearnedAttention {
        /// Residue counts.
        #[arg(long, value_delimiter = ',', default_values_t = [100usize, 1_000, 5_000, 20_000])]
        residues: Vec<usize>,
        /// Draws per step.
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Compute on the wgpu adapter instead of the CPU backend.
        #[arg(long)]
        gpu: bool,
        /// Run one point in this process and print it (what the parent spawns).
        #[arg(long, hide = true, value_enum)]
        one: Option<crate::denoiser::learned::PairBias>,
    },
    /// burn's mean over a long atom axis and sigmascope's two-stage one, each against the known mean,
    /// with their times, on the CPU backend and on wgpu.
    Reductions {
        /// Atom counts (rounded up to multiples of 7).
        #[arg(long, value_delimiter = ',', default_values_t = [100_000usize, 200_000, 1_000_000, 4_000_000])]
        atoms: Vec<usize>,
    },
    /// A whole `sample --json` run on the CPU backend, part by part (load, steps, recording, metrics,
    /// JSON), the whole process, and the NumPy peer's whole process (`benches/numpy_sample.py`, when
    /// python3 with numpy and gemmi runs).
    SampleRun {
        /// Structure file or bundled name.
        file: PathBuf,
        /// Sampler preset.
        #[arg(long, default_value = "boltz2")]
        preset: String,
        /// Sampler steps.
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Timed runs of each part and of each process (medians; one untimed run first).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Offscreen frame time of the renderer on synthetic structures: a new frame's coordinates uploaded
    /// and drawn (readback excluded), the same with the image read back, a recorded frame selected
    /// where burn keeps it on the device and drawn, and a draw alone.
    Render {
        /// Atom counts of the synthetic structures.
        #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000, 1_000_000])]
        atoms: Vec<usize>,
        /// Timed frames per size (after 2 warm-up frames).
        #[arg(long, default_value_t = 10)]
        frames: usize,
        /// Image size WIDTHxHEIGHT.
        #[arg(long, default_value = "1280x720")]
        size: String,
    },
}

#[derive(serde::Serialize)]
struct Timing {
    device: String,
    warmup_secs: f64,
    median_secs: f64,
    min_secs: f64,
    runs: usize,
    /// `TABLE_BYTES_PER_ATOM` × atoms × repeats × cells over the median time: a floor of the
    /// traffic's rate, since the statistics read each draw more than once.
    achieved_gb_per_sec: f64,
}

/// Bytes the noise table must move per atom, repeat and cell: each draw (f32 xyz) written once
/// and read once.
const TABLE_BYTES_PER_ATOM: f64 = 24.0;

fn time_table(
    compute: &ComputeDevice,
    structure: &crate::structure::Structure,
    spec: &NoiseTableSpec,
    runs: usize,
) -> anyhow::Result<Timing> {
    let start = Instant::now();
    noise_table(structure, spec, &compute.device, false)?;
    let warmup_secs = start.elapsed().as_secs_f64();
    let mut secs = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        noise_table(structure, spec, &compute.device, false)?;
        secs.push(start.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let median_secs = secs[secs.len() / 2];
    let cells = spec.points.len() * spec.noises.len();
    let moved =
        TABLE_BYTES_PER_ATOM * (structure.atom_count() * spec.repeats.max(1) * cells) as f64;
    Ok(Timing {
        device: compute.describe(),
        warmup_secs,
        median_secs,
        min_secs: secs[0],
        runs: secs.len(),
        achieved_gb_per_sec: moved / median_secs.max(1e-12) / 1e9,
    })
}

#[derive(serde::Serialize)]
struct StepTiming {
    device: String,
    atoms: usize,
    steps: usize,
    millis_per_step: f64,
    /// `STEP_BYTES_PER_ATOM` × atoms per step time: the traffic the step must move, over its time.
    achieved_gb_per_sec: f64,
}

/// Bytes one sampler step must move per atom (f32 xyz, 12 B, each): read x for the centroid and for
/// the update, write the noise and read it back, read the truth for x̂0, write the new x.
const STEP_BYTES_PER_ATOM: f64 = 72.0;

fn time_steps(compute: &ComputeDevice, atoms: usize, steps: usize) -> anyhow::Result<StepTiming> {
    let structure = crate::structure::Structure::synthetic(atoms);
    let mut preset =
        crate::sampler::find_preset("af3").ok_or_else(|| anyhow::anyhow!("af3 preset"))?;
    preset.schedule.steps = steps + 3;
    let settings = crate::sampler::SamplerSettings {
        level_outputs: false,
        preset,
        noise: parse_noise("seed-old")?,
        start: crate::sampler::StartNoise::Multiscale,
        churn_noise: crate::sampler::ChurnNoise::following(crate::sampler::StartNoise::Multiscale),
        seed: 0,
    };
    let denoiser = Box::new(crate::denoiser::ExactDenoiser::new(
        &structure.positions,
        &compute.device,
    ));
    let mut sampler =
        crate::sampler::Sampler::new(&structure, settings, denoiser, &compute.device)?;
    sampler.set_recording(false);
    for _ in 0..3 {
        sampler.step()?;
    }
    sampler.settle()?;
    let start = Instant::now();
    for _ in 0..steps {
        sampler.step()?;
    }
    // The steps read nothing back; settling reads their centroids, so the device has finished.
    sampler.settle()?;
    Ok(StepTiming {
        device: compute.describe(),
        atoms: structure.atom_count(),
        steps,
        millis_per_step: start.elapsed().as_secs_f64() * 1000.0 / steps.max(1) as f64,
        achieved_gb_per_sec: STEP_BYTES_PER_ATOM
            * structure.atom_count() as f64
            * steps.max(1) as f64
            / start.elapsed().as_secs_f64().max(1e-12)
            / 1e9,
    })
}

#[derive(serde::Serialize)]
struct RenderTiming {
    atoms: usize,
    frames: usize,
    upload_and_draw_millis: f64,
    with_readback_millis: f64,
    /// A frame whose rows burn keeps on the renderer's device: bound (no upload) and drawn.
    select_and_draw_millis: Option<f64>,
    /// The scene drawn again with nothing written.
    draw_only_millis: f64,
    /// The window's host work for a new frame: its scene built (colors, centroids, trace) on the CPU.
    scene_build_millis: f64,
    /// Sphere instances and line vertices written to the GPU per frame.
    uploaded_bytes_per_frame: usize,
    /// `uploaded_bytes_per_frame` over the upload-and-draw time.
    achieved_upload_gb_per_sec: f64,
}

fn time_render(
    gpu: &crate::compute::WgpuHandles,
    burn_device: Option<&burn::tensor::Device>,
    atoms: usize,
    frames: usize,
    size: [u32; 2],
) -> anyhow::Result<RenderTiming> {
    use crate::render::{
        AtomRows, OrbitCamera, SceneOptions, SceneRenderer, ViewPreset, build_scene,
    };
    let structure = crate::structure::Structure::synthetic(atoms);
    let options = SceneOptions::default();
    // Scenes of two alternating frames, built before timing: the renderer's cost is measured, not the scene's.
    let shifted: Vec<[f32; 3]> = structure
        .positions
        .iter()
        .map(|p| [p[0] + 0.5, p[1], p[2]])
        .collect();
    let first = build_scene(
        &structure,
        &structure.positions,
        &structure.positions,
        None,
        &options,
    );
    // The window rebuilds a new frame's scene into the one it showed before.
    let recycled = build_scene(
        &structure,
        &structure.positions,
        &structure.positions,
        None,
        &options,
    );
    let start = Instant::now();
    let second = crate::render::rebuild_scene(
        recycled,
        &structure,
        &shifted,
        &structure.positions,
        None,
        &options,
    );
    let scene_build = start.elapsed().as_secs_f64() * 1000.0;
    let scenes = [first, second];
    let camera = OrbitCamera::fitted(
        ViewPreset::Fit,
        scenes[0].center,
        scenes[0].radius,
        size[0] as f32 / size[1] as f32,
    );
    let mut renderer = SceneRenderer::new(&gpu.device, None)?;
    renderer.ensure_target(&gpu.device, size);
    let draw = |renderer: &SceneRenderer| {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        renderer.draw(&mut encoder);
        gpu.queue.submit([encoder.finish()]);
        gpu.device
            .poll(burn::tensor::wgpu::wgpu::PollType::wait_indefinitely())
            .ok();
    };
    let frame = |renderer: &mut SceneRenderer, k: usize| {
        renderer.upload(&gpu.device, &gpu.queue, &scenes[k % 2], &camera);
        draw(renderer);
    };
    for k in 0..2 {
        frame(&mut renderer, k);
    }
    let start = Instant::now();
    for k in 0..frames {
        frame(&mut renderer, k);
    }
    let upload_and_draw = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    let start = Instant::now();
    for k in 0..frames {
        frame(&mut renderer, k);
        renderer.read_color(&gpu.device, &gpu.queue)?;
    }
    let with_readback = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    let start = Instant::now();
    for _ in 0..frames {
        draw(&renderer);
    }
    let draw_only = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    // The two frames as a sampler on this device records them: rows [3, N] in burn's buffers.
    let select_and_draw = match burn_device {
        Some(device) => {
            let rows = [&structure.positions, &shifted].map(|points| {
                let rows = crate::geometry::rows_tensor(points, device);
                crate::compute::DeviceRows::keep(&rows, crate::compute::CoordinateLayout::Rows)
            });
            let [Some(a), Some(b)] = rows else {
                anyhow::bail!("burn's rows on the bench device are not contiguous f32 rows");
            };
            let rows = [a, b];
            let select = |renderer: &mut SceneRenderer, k: usize| -> anyhow::Result<()> {
                let slice = rows[k % 2].wgpu_slice().map_err(anyhow::Error::msg)?;
                renderer.select_atom_rows(
                    &gpu.device,
                    &gpu.queue,
                    Some(AtomRows::mapped(
                        slice,
                        &crate::geometry::RigidTransform::IDENTITY,
                    )),
                )?;
                renderer.upload_keeping_atoms(&gpu.device, &gpu.queue, &scenes[k % 2], &camera);
                draw(renderer);
                Ok(())
            };
            for k in 0..2 {
                select(&mut renderer, k)?;
            }
            anyhow::ensure!(
                renderer.draws_atoms_from_rows(),
                "the renderer did not take the rows"
            );
            let start = Instant::now();
            for k in 0..frames {
                select(&mut renderer, k)?;
            }
            Some(start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64)
        }
        None => None,
    };
    let scene = &scenes[0];
    let uploaded = std::mem::size_of::<crate::render::SphereInstance>()
        * (scene.opaque_spheres.len() + scene.translucent_spheres.len())
        + std::mem::size_of::<crate::render::LineVertex>() * scene.lines.len();
    Ok(RenderTiming {
        atoms: structure.atom_count(),
        frames,
        upload_and_draw_millis: upload_and_draw,
        with_readback_millis: with_readback,
        select_and_draw_millis: select_and_draw,
        draw_only_millis: draw_only,
        scene_build_millis: scene_build,
        uploaded_bytes_per_frame: uploaded,
        achieved_upload_gb_per_sec: uploaded as f64 / (upload_and_draw / 1000.0).max(1e-12) / 1e9,
    })
}

/// A peer script in `benches/` (next to the sources this binary was built from).
pub(super) fn peer_script(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(name)
}

/// What a child process that failed said: the last non-empty line of its stderr (wgpu and python
/// may print notes and tracebacks before it).
pub(super) fn child_message(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    last.unwrap_or("no message").trim().to_owned()
}

/// Runs `python3 benches/SCRIPT ARGS` and reads the JSON it prints, or says why it did not run.
fn python_peer(script: &str, args: &[String]) -> Result<serde_json::Value, String> {
    let script = peer_script(script);
    let output = std::process::Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| format!("python3 did not start: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            child_message(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("peer output is not JSON: {e}"))
}

/// gemmi's load time of `file` from `benches/gemmi_load.py`, or why it did not run.
fn gemmi_peer(file: &std::path::Path, runs: usize) -> Result<serde_json::Value, String> {
    python_peer(
        "gemmi_load.py",
        &[
            file.display().to_string(),
            "--runs".to_owned(),
            runs.max(1).to_string(),
        ],
    )
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.what {
        BenchWhat::Load { file, load, runs } => {
            let options = load.options();
            let mut secs = Vec::new();
            let mut atoms = 0;
            for run in 0..=(*runs).max(1) {
                let start = Instant::now();
                let structure = crate::structure::load_path(file, &options)?;
                if run > 0 {
                    secs.push(start.elapsed().as_secs_f64());
                }
                atoms = structure.atom_count();
            }
            secs.sort_by(f64::total_cmp);
            let peer = gemmi_peer(file, *runs);
            let median = secs[secs.len() / 2];
            let json = serde_json::json!({
                "benchmark": "load",
                "file": file.display().to_string(),
                "atoms": atoms,
                "median_secs": median,
                "min_secs": secs[0],
                "runs": secs.len(),
                "peer": peer.as_ref().ok(),
                "ratio_to_peer": peer.as_ref().ok().and_then(|p| p["median_secs"].as_f64()).map(|g| median / g),
                "peer_skipped": peer.err(),
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        BenchWhat::ExternalDenoiser {
            atoms,
            calls,
            command,
        } => {
            let structure = crate::structure::Structure::synthetic(*atoms);
            let device = ComputeDevice::cpu().device;
            let child = crate::denoiser::ExternalDenoiser::start(
                command,
                &structure,
                crate::denoiser::DEFAULT_TIMEOUT,
                &device,
            )?;
            let x: Vec<f32> = structure.positions.iter().flatten().copied().collect();
            let mut secs = Vec::new();
            for call in 0..calls + 3 {
                let start = Instant::now();
                let back = child
                    .round_trip(&x, 1.0, call, None, None)
                    .map_err(|e| anyhow::anyhow!(e))?;
                if call >= 3 {
                    secs.push(start.elapsed().as_secs_f64());
                }
                anyhow::ensure!(back == x, "the echo child changed x");
            }
            secs.sort_by(f64::total_cmp);
            let json = serde_json::json!({
                "benchmark": "external-denoiser",
                "command": command,
                "atoms": structure.atom_count(),
                "bytes_each_way": structure.atom_count() * 12,
                "round_trip_median_millis": secs[secs.len() / 2] * 1000.0,
                "round_trip_min_millis": secs[0] * 1000.0,
                "calls": secs.len(),
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        BenchWhat::Render {
            atoms,
            frames,
            size,
        } => {
            let size = super::render::parse_size(size)?;
            let gpu = crate::compute::open_wgpu_device()?;
            // burn on the renderer's own device, as the window shares it, for the frames kept there.
            let burn_device = crate::compute::ComputeDevice::from_wgpu(
                gpu.instance.clone(),
                gpu.adapter.clone(),
                gpu.device.clone(),
                gpu.queue.clone(),
            );
            if let Err(e) = &burn_device {
                eprintln!("note: select_and_draw skipped: {e}");
            }
            let burn_device = burn_device.ok().map(|d| d.device);
            let timings = atoms
                .iter()
                .map(|&n| time_render(&gpu, burn_device.as_ref(), n, *frames, size))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let json = serde_json::json!({
                "benchmark": "render",
                "adapter": gpu.adapter.get_info().name,
                "size": size,
                "frame": "new coordinates uploaded (queue.write_buffer) + impostor spheres drawn + wait for the GPU",
                "select_and_draw": "a recorded frame's rows in burn's buffer bound (no upload) + drawn + wait",
                "timings": timings,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        BenchWhat::SamplerStep {
            atoms,
            steps,
            gpu_only,
            cpu_only,
        } => {
            let gpu = if *cpu_only {
                Err("skipped (--cpu-only)".to_owned())
            } else {
                open_wgpu().map_err(|e| e.to_string())
            };
            if !cpu_only && let Err(reason) = &gpu {
                eprintln!("note: wgpu timings skipped: {reason}");
            }
            let mut timings = Vec::new();
            for &n in atoms {
                if !gpu_only {
                    timings.push(time_steps(&ComputeDevice::cpu(), n, *steps)?);
                }
                if let Ok(gpu) = &gpu {
                    timings.push(time_steps(gpu, n, *steps)?);
                }
            }
            // The peers run the same step on the same sizes where python3 has numpy / torch.
            let peer_args = vec![
                "--atoms".to_owned(),
                atoms
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                "--steps".to_owned(),
                steps.to_string(),
            ];
            let peers: Vec<serde_json::Value> = ["numpy_step.py", "torch_step.py"]
                .iter()
                .map(|script| match python_peer(script, &peer_args) {
                    Ok(out) => serde_json::json!({"peer": script, "timings": out["timings"]}),
                    Err(reason) => serde_json::json!({"peer": script, "skipped": reason}),
                })
                .collect();
            let json = serde_json::json!({
                "benchmark": "sampler-step",
                "step": "af3 preset: augmentation (center, rotation, translation), churn, exact denoiser, Euler",
                "bytes_per_atom": STEP_BYTES_PER_ATOM,
                "timings": timings,
                "wgpu_skipped": gpu.err(),
                "peers": peers,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        BenchWhat::SampleRun {
            file,
            preset,
            steps,
            runs,
        } => super::bench_sample::sample_run(file, preset, *steps, *runs)?,
        BenchWhat::Reductions { atoms } => super::bench_reduce::reductions(atoms)?,
        BenchWhat::Training {
            files,
            steps,
            cpu_only,
        } => super::bench_learned::training(files, *steps, *cpu_only)?,
        BenchWhat::LearnedAttention {
            residues,
            batch,
            gpu,
            one,
        } => super::bench_learned::attention(residues, *batch, *gpu, *one)?,
        BenchWhat::NoiseTable {
            file,
            load,
            repeats,
            runs,
        } => {
            let structure = load_structure(file, load)?;
            let training = TrainingSigma::default();
            let spec = NoiseTableSpec {
                noises: ["flat", "seed-old", "rebalanced"]
                    .iter()
                    .map(|n| parse_noise(n))
                    .collect::<Result<_, _>>()?,
                points: TABLE_Z
                    .iter()
                    .map(|&z| SigmaPoint {
                        z: Some(z),
                        sigma: training.sigma_at(z),
                    })
                    .collect(),
                repeats: *repeats,
                seed: 0,
            };
            let mut timings = vec![time_table(&ComputeDevice::cpu(), &structure, &spec, *runs)?];
            let wgpu_note = match open_wgpu() {
                Ok(gpu) => {
                    timings.push(time_table(&gpu, &structure, &spec, *runs)?);
                    None
                }
                Err(e) => {
                    eprintln!("note: wgpu timings skipped: {e}");
                    Some(e.to_string())
                }
            };
            let json = serde_json::json!({
                "benchmark": "noise-table",
                "structure": structure.name,
                "atoms": structure.atom_count(),
                "residues": structure.residue_count(),
                "chains": structure.chain_count(),
                "cells": spec.points.len() * spec.noises.len(),
                "repeats": repeats,
                "timings": timings,
                "wgpu_skipped": wgpu_note,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
    }
    Ok(())
}
