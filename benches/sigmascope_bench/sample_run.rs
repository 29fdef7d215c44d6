//! `sample-run`: what a whole `sample --json` run costs, part by part (load, the steps alone,
//! the frames' recording, the per-frame metrics, the JSON report), the whole process, and the NumPy
//! peer doing the same sampling (`benches/numpy_sample.py`) when python3 with numpy and gemmi runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::Parser;

use sigmascope::cli::load_structure;
use sigmascope::cli::sample::{RunMode, SampleArgs, sample_structure};
use sigmascope::trajectory::trajectory_metrics;

use crate::peers::{Peers, child_message};

/// `sample`'s own argument parser, so the benchmark runs exactly what the command line would.
#[derive(Parser)]
struct SampleCommand {
    #[command(flatten)]
    sample: SampleArgs,
}

fn median(mut secs: Vec<f64>) -> f64 {
    secs.sort_by(f64::total_cmp);
    secs.get(secs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Wall seconds of a child process (median of `runs`), its stdout discarded.
fn time_process(program: &Path, args: &[String], runs: usize) -> Result<f64, String> {
    let mut secs = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if !status.status.success() {
            return Err(child_message(&status.stderr));
        }
        secs.push(start.elapsed().as_secs_f64());
    }
    Ok(median(secs))
}

/// The `sigmascope` binary beside this one (both are built into one target folder).
fn sibling_sigmascope() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let name = format!("sigmascope{}", std::env::consts::EXE_SUFFIX);
    Ok(exe.with_file_name(name))
}

/// The whole `sigmascope sample` process against the NumPy peer's: with the per-frame figures
/// (`--json`, the peer measuring every frame) or without (no `--json`, the peer's `--no-figures`).
/// `peer_args` are the peer's arguments for the same run with its figures.
fn against_peer(
    exe: &Path,
    sample_args: &[String],
    peer_args: &[String],
    runs: usize,
    figures: bool,
) -> serde_json::Value {
    let args: Vec<String> = sample_args
        .iter()
        .filter(|a| figures || *a != "--json")
        .cloned()
        .collect();
    let whole = time_process(exe, &args, runs);
    let mut peer_args = peer_args.to_vec();
    if !figures {
        peer_args.push("--no-figures".to_owned());
    }
    let peer = time_process(Path::new("python3"), &peer_args, runs);
    let whole_secs = whole.as_ref().ok().copied();
    serde_json::json!({
        "command": args.join(" "),
        "whole_process_secs": whole_secs,
        "whole_process_failed": whole.err(),
        "peer": format!("python3 {}", peer_args.join(" ")),
        "peer_whole_process_secs": peer.as_ref().ok(),
        "peer_skipped": peer.as_ref().err(),
        "speedup_over_peer": match (&peer, whole_secs) {
            (Ok(p), Some(w)) => Some(p / w),
            _ => None,
        },
    })
}

/// Times the parts, the whole `sigmascope sample` process and the peer's, and prints the JSON.
pub fn run(
    peers: &Peers,
    sigmascope: Option<PathBuf>,
    file: &Path,
    preset: &str,
    steps: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let runs = runs.max(1);
    let sample_args: Vec<String> = [
        "sample",
        &file.display().to_string(),
        "--preset",
        preset,
        "--steps",
        &steps.to_string(),
        "--json",
        "--device",
        "cpu",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let args = SampleCommand::try_parse_from(&sample_args)?.sample;
    let (mut load, mut stepping, mut recorded, mut metrics_secs, mut report_secs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut atoms, mut json_bytes, mut device) = (0, 0, String::new());
    // One untimed run first: the backend's first kernels and allocations.
    for run in 0..=runs {
        let clock = Instant::now();
        let structure = load_structure(&args.file, &args.load)?;
        let load_secs = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let steps_only = sample_structure(&structure, &args, RunMode::StepsOnly)?;
        steps_only.outcome.map_err(anyhow::Error::msg)?;
        let stepping_secs = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let sampled = sample_structure(&structure, &args, RunMode::Record)?;
        let run_secs = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let metrics = trajectory_metrics(&structure, &structure.positions, &sampled.run.frames);
        let measure_secs = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let json = serde_json::to_vec(&sampled.report(&structure, &args, &metrics))?;
        let json_secs = clock.elapsed().as_secs_f64();
        if run > 0 {
            load.push(load_secs);
            stepping.push(stepping_secs);
            recorded.push(run_secs);
            metrics_secs.push(measure_secs);
            report_secs.push(json_secs);
        }
        atoms = structure.atom_count();
        json_bytes = json.len();
        device = sampled.compute.describe();
    }
    let exe = match sigmascope {
        Some(path) => path,
        None => sibling_sigmascope()?,
    };
    let peer_args = [
        peers.script("numpy_sample.py").display().to_string(),
        file.display().to_string(),
        "--steps".to_owned(),
        steps.to_string(),
    ];
    let (steps_secs, run_secs) = (median(stepping), median(recorded));
    let json = serde_json::json!({
        "benchmark": "sample-run",
        "command": sample_args.join(" "),
        "atoms": atoms,
        "device": device,
        "parts_secs": {
            "load": median(load),
            "steps": steps_secs,
            "recording": run_secs - steps_secs,
            "metrics": median(metrics_secs),
            "json_report": median(report_secs),
        },
        "json_bytes": json_bytes,
        "with_figures": against_peer(&exe, &sample_args, &peer_args, runs, true),
        "sampling_only": against_peer(&exe, &sample_args, &peer_args, runs, false),
        "runs": runs,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
