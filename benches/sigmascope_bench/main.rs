//! `sigmascope-bench`: timings printed as JSON, beside the peers in `benches/` (speed is measured here,
//! never asserted in tests). A binary of its own, so the shipped `sigmascope` carries no benchmark:
//! `cargo run --release --bin sigmascope-bench -- sampler-step`.

mod external_denoiser;
mod learned;
mod load;
mod noise_table;
mod peers;
mod reductions;
mod render;
mod sample_run;
mod sampler_step;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sigmascope::cli::LoadArgs;

use peers::Peers;

/// sigmascope-bench: timings of sigmascope's core, renderer and command line as JSON.
#[derive(Debug, Parser)]
#[command(name = "sigmascope-bench", version)]
struct BenchCli {
    /// What to time.
    #[command(subcommand)]
    what: BenchWhat,
    /// Folder of the peer scripts (`numpy_step.py`, `gemmi_load.py`, …).
    #[arg(long, global = true, default_value = "benches")]
    peers: PathBuf,
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
enum BenchWhat {
    /// Time to load a structure file (read, gunzip, parse, build the hierarchy), beside gemmi's when
    /// `python3 PEERS/gemmi_load.py` runs (python3 with the gemmi package).
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
        one: Option<sigmascope::denoiser::learned::PairBias>,
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
        /// The `sigmascope` binary whose whole process is timed (default: beside this one).
        #[arg(long)]
        sigmascope: Option<PathBuf>,
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

fn run(cli: BenchCli) -> anyhow::Result<()> {
    let peers = Peers::new(cli.peers);
    match cli.what {
        BenchWhat::Load { file, load, runs } => load::run(&peers, &file, &load, runs),
        BenchWhat::NoiseTable {
            file,
            load,
            repeats,
            runs,
        } => noise_table::run(&file, &load, repeats, runs),
        BenchWhat::SamplerStep {
            atoms,
            steps,
            gpu_only,
            cpu_only,
        } => sampler_step::run(&peers, &atoms, steps, gpu_only, cpu_only),
        BenchWhat::ExternalDenoiser {
            atoms,
            calls,
            command,
        } => external_denoiser::run(atoms, calls, &command),
        BenchWhat::Training {
            files,
            steps,
            cpu_only,
        } => learned::training(&files, steps, cpu_only),
        BenchWhat::LearnedAttention {
            residues,
            batch,
            gpu,
            one,
        } => learned::attention(&residues, batch, gpu, one),
        BenchWhat::Reductions { atoms } => reductions::run(&atoms),
        BenchWhat::SampleRun {
            file,
            preset,
            steps,
            runs,
            sigmascope,
        } => sample_run::run(&peers, sigmascope, &file, &preset, steps, runs),
        BenchWhat::Render {
            atoms,
            frames,
            size,
        } => render::run(&atoms, frames, &size),
    }
}

fn main() -> ExitCode {
    sigmascope::cli::quiet_vulkan_layers();
    match run(BenchCli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!(
                "error: {}",
                message.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::from(sigmascope::cli::exit_code(&e))
        }
    }
}
