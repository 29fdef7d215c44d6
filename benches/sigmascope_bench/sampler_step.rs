//! `sampler-step`: time per sampler step (exact denoiser, Euler, augmentation on, frames not read back) on
//! synthetic structures, on the CPU backend and the wgpu adapter, beside the NumPy and PyTorch peers.

use std::time::Instant;

use sigmascope::compute::{ComputeDevice, open_wgpu};
use sigmascope::noise::parse_noise;

use crate::peers::Peers;

#[derive(serde::Serialize)]
struct StepTiming {
    device: String,
    atoms: usize,
    steps: usize,
    millis_per_step: f64,
    /// `STEP_BYTES_PER_ATOM` × atoms per step time: the traffic the step must move, over its time.
    achieved_gb_per_sec: f64,
    /// The step's time over its memory-traffic floor (the traffic at `copy_gb_per_sec`).
    times_floor: Option<f64>,
}

/// Bytes of each buffer the copy bandwidth is measured on: far beyond any cache.
const COPY_BYTES: usize = 256 << 20;

/// This machine's copy bandwidth in GB/s, read and written bytes counted (what the step's accounting
/// counts): the best of five copies of a buffer far larger than the caches, on one thread.
fn copy_bandwidth() -> f64 {
    let source = vec![1.0f32; COPY_BYTES / 4];
    let mut target = vec![0.0f32; COPY_BYTES / 4];
    // The first copy touches every page of the target.
    target.copy_from_slice(&source);
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            target.copy_from_slice(std::hint::black_box(&source));
            std::hint::black_box(&target);
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    2.0 * COPY_BYTES as f64 / best.max(1e-12) / 1e9
}

/// Bytes one sampler step must move per atom (f32 xyz, 12 B, each): read x for the centroid and for
/// the update, write the noise and read it back, read the truth for x̂0, write the new x.
const STEP_BYTES_PER_ATOM: f64 = 72.0;

fn time_steps(compute: &ComputeDevice, atoms: usize, steps: usize) -> anyhow::Result<StepTiming> {
    let structure = sigmascope::structure::Structure::synthetic(atoms);
    let mut preset =
        sigmascope::sampler::find_preset("af3").ok_or_else(|| anyhow::anyhow!("af3 preset"))?;
    preset.schedule.steps = steps + 3;
    let settings = sigmascope::sampler::SamplerSettings {
        level_outputs: false,
        preset,
        noise: parse_noise("seed-old")?,
        start: sigmascope::sampler::StartNoise::Multiscale,
        churn_noise: sigmascope::sampler::ChurnNoise::following(
            sigmascope::sampler::StartNoise::Multiscale,
        ),
        seed: 0,
    };
    let denoiser = Box::new(sigmascope::denoiser::ExactDenoiser::new(
        &structure.positions,
        &compute.device,
    ));
    let mut sampler =
        sigmascope::sampler::Sampler::new(&structure, settings, denoiser, &compute.device)?;
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
    let secs = start.elapsed().as_secs_f64().max(1e-12);
    Ok(StepTiming {
        device: compute.describe(),
        atoms: structure.atom_count(),
        steps,
        millis_per_step: secs * 1000.0 / steps.max(1) as f64,
        achieved_gb_per_sec: STEP_BYTES_PER_ATOM
            * structure.atom_count() as f64
            * steps.max(1) as f64
            / secs
            / 1e9,
        times_floor: None,
    })
}

/// Times `steps` steps at each atom count on the devices asked for and prints the JSON.
pub fn run(
    peers: &Peers,
    atoms: &[usize],
    steps: usize,
    gpu_only: bool,
    cpu_only: bool,
) -> anyhow::Result<()> {
    let gpu = if cpu_only {
        Err("skipped (--cpu-only)".to_owned())
    } else {
        open_wgpu().map_err(|e| e.to_string())
    };
    if !cpu_only && let Err(reason) = &gpu {
        eprintln!("note: wgpu timings skipped: {reason}");
    }
    let copy_gb_per_sec = copy_bandwidth();
    let mut timings = Vec::new();
    for &n in atoms {
        if !gpu_only {
            timings.push(time_steps(&ComputeDevice::cpu(), n, steps)?);
        }
        if let Ok(gpu) = &gpu {
            timings.push(time_steps(gpu, n, steps)?);
        }
    }
    for timing in &mut timings {
        timing.times_floor = Some(copy_gb_per_sec / timing.achieved_gb_per_sec.max(1e-12));
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
        .map(|script| match peers.python(script, &peer_args) {
            Ok(out) => serde_json::json!({"peer": script, "timings": out["timings"]}),
            Err(reason) => serde_json::json!({"peer": script, "skipped": reason}),
        })
        .collect();
    let json = serde_json::json!({
        "benchmark": "sampler-step",
        "step": "af3 preset: augmentation (center, rotation, translation), churn, exact denoiser, Euler",
        "bytes_per_atom": STEP_BYTES_PER_ATOM,
        "copy_gb_per_sec": copy_gb_per_sec,
        "copy": "one thread copying 256 MiB, read and written bytes counted, best of 5",
        "timings": timings,
        "wgpu_skipped": gpu.err(),
        "peers": peers,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
