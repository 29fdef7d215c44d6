//! `noise-table`: the full default noise table (7 z × flat, seed-old, rebalanced) on the CPU backend and
//! the wgpu adapter.

use std::path::Path;
use std::time::Instant;

use sigmascope::cli::{LoadArgs, load_structure};
use sigmascope::compute::{ComputeDevice, open_wgpu};
use sigmascope::noise::{
    NoiseTableSpec, SigmaPoint, TABLE_Z, TrainingSigma, noise_table, parse_noise,
};

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
    structure: &sigmascope::structure::Structure,
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

/// Times the table `runs` times on each device and prints the JSON.
pub fn run(file: &Path, load: &LoadArgs, repeats: usize, runs: usize) -> anyhow::Result<()> {
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
        repeats,
        seed: 0,
    };
    let mut timings = vec![time_table(&ComputeDevice::cpu(), &structure, &spec, runs)?];
    let wgpu_note = match open_wgpu() {
        Ok(gpu) => {
            timings.push(time_table(&gpu, &structure, &spec, runs)?);
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
    Ok(())
}
