//! The learned denoiser's benchmarks: training steps per second on real structures, and time and peak
//! memory of residue attention's training step against N for the factorised and the dense pair bias.

use std::time::Instant;

use sigmascope::cli::{LoadArgs, load_structure};
use sigmascope::compute::{ComputeDevice, open_wgpu};
use sigmascope::denoiser::learned::{
    ModelConfig, PairBias, TrainConfig, attention_training_step, train_network,
    training_memory_budget,
};
use sigmascope::noise::parse_noise;

use crate::peers::child_message;

fn load_args() -> LoadArgs {
    LoadArgs {
        model: 1,
        keep_hydrogens: false,
        keep_water: false,
        no_hetero: false,
    }
}

fn devices(cpu_only: bool) -> Vec<ComputeDevice> {
    let mut devices = vec![ComputeDevice::cpu()];
    if !cpu_only {
        match open_wgpu() {
            Ok(gpu) => devices.push(gpu),
            Err(e) => eprintln!("note: wgpu timings skipped: {e}"),
        }
    }
    devices
}

/// `training`: steps per second of the default model on each structure and device.
pub fn training(files: &[String], steps: usize, cpu_only: bool) -> anyhow::Result<()> {
    let noise = parse_noise("seed-old")?;
    let model = ModelConfig::default();
    let mut rows = Vec::new();
    for file in files {
        let structure = load_structure(std::path::Path::new(file), &load_args())?;
        for compute in devices(cpu_only) {
            let run = |steps: usize| {
                let train = TrainConfig {
                    steps,
                    ..TrainConfig::default()
                };
                let clock = Instant::now();
                train_network(
                    &model,
                    &train,
                    &noise.model,
                    &structure,
                    &compute.device,
                    |_| true,
                )
                .map(|_| clock.elapsed().as_secs_f64())
            };
            // The first run pays the device's start and kernel compilation; it is not timed.
            run(2)?;
            let secs = run(steps.max(1))?;
            rows.push(serde_json::json!({
                "structure": structure.name,
                "atoms": structure.atom_count(),
                "residues": structure.residue_count(),
                "device": compute.describe(),
                "steps_per_sec": steps.max(1) as f64 / secs.max(1e-9),
                "secs_per_step": secs / steps.max(1) as f64,
                "draws_per_step": TrainConfig::default().draws,
            }));
        }
    }
    let json = serde_json::json!({
        "benchmark": "training",
        "model": model,
        "rows": rows,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// The peak resident memory of this process (VmHWM), bytes.
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kib| kib * 1024)
}

/// `learned-attention`: one block's training step per residue count, each point in a child process.
pub fn attention(
    residues: &[usize],
    batch: usize,
    gpu: bool,
    one: Option<PairBias>,
) -> anyhow::Result<()> {
    let compute = if gpu {
        open_wgpu()?
    } else {
        ComputeDevice::cpu()
    };
    if let Some(pair_bias) = one {
        let config = ModelConfig {
            pair_bias,
            ..ModelConfig::default()
        };
        let n = residues.first().copied().unwrap_or(100);
        attention_training_step(&config, n, batch, 0, &compute.device)
            .map_err(anyhow::Error::msg)?;
        let clock = Instant::now();
        attention_training_step(&config, n, batch, 1, &compute.device)
            .map_err(anyhow::Error::msg)?;
        let json = serde_json::json!({
            "secs_per_step": clock.elapsed().as_secs_f64(),
            "peak_resident_bytes": peak_resident_bytes(),
        });
        println!("{json}");
        return Ok(());
    }
    let budget = training_memory_budget();
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    for &n in residues {
        for pair_bias in [PairBias::Factorised, PairBias::Dense] {
            let config = ModelConfig {
                pair_bias,
                ..ModelConfig::default()
            };
            // One block of the model's two.
            let estimate = config.attention_bytes(n, batch) / config.blocks as u64;
            let mut row = serde_json::json!({
                "residues": n,
                "pair_bias": pair_bias,
                "estimated_bytes": estimate,
            });
            if estimate > budget {
                row["refused"] = serde_json::json!(format!(
                    "needs about {:.1} GiB, over this machine's budget of {:.1} GiB",
                    estimate as f64 / f64::from(1u32 << 30),
                    budget as f64 / f64::from(1u32 << 30)
                ));
                rows.push(row);
                continue;
            }
            let mut command = std::process::Command::new(&exe);
            command.args([
                "learned-attention",
                "--residues",
                &n.to_string(),
                "--batch",
                &batch.to_string(),
                "--one",
                match pair_bias {
                    PairBias::Factorised => "factorised",
                    PairBias::Dense => "dense",
                },
            ]);
            if gpu {
                command.arg("--gpu");
            }
            let output = command.output()?;
            match serde_json::from_slice::<serde_json::Value>(&output.stdout) {
                Ok(point) if output.status.success() => {
                    row["secs_per_step"] = point["secs_per_step"].clone();
                    row["peak_resident_bytes"] = point["peak_resident_bytes"].clone();
                }
                _ => row["failed"] = serde_json::json!(child_message(&output.stderr)),
            }
            rows.push(row);
        }
    }
    let json = serde_json::json!({
        "benchmark": "learned-attention",
        "device": compute.describe(),
        "batch": batch,
        "budget_bytes": budget,
        "rows": rows,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
