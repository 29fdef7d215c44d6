//! `sigmascope bench`: timings printed as JSON (speed is measured here, never asserted in tests).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};

use super::noise_table::DEFAULT_Z;
use super::{LoadArgs, load_structure};
use crate::compute::{ComputeDevice, open_wgpu};
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
}

#[derive(serde::Serialize)]
struct Timing {
    device: String,
    warmup_secs: f64,
    median_secs: f64,
    min_secs: f64,
    runs: usize,
}

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
    Ok(Timing {
        device: compute.describe(),
        warmup_secs,
        median_secs: secs[secs.len() / 2],
        min_secs: secs[0],
        runs: secs.len(),
    })
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.what {
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
                points: DEFAULT_Z
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
                Err(e) => Some(e.to_string()),
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
