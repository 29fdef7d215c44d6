//! The command line: `sigmascope [FILE]` opens the window, subcommands run headless on the same core.

mod analyze;
mod denoiser_error;
mod exit;
mod frames;
mod inspect;
mod listen;
mod movie;
mod noise_table;
mod quiet;
pub mod render;
pub mod sample;
pub mod sampler_args;
mod schedule;
mod sweep;
mod train;
mod value_enums;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::compute::{ComputeDevice, DevicePreference, select_device};
use crate::structure::{LoadOptions, Selection, Structure, load_file_or_bundled};

pub use exit::{EXIT_BAD_INPUT, EXIT_DEVICE_FAILURE, exit_code};
pub use quiet::{quiet_closed_pipe, quiet_vulkan_layers};

/// sigmascope: see why residues do (not) move in protein diffusion samplers.
#[derive(Debug, Parser)]
#[command(name = "sigmascope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Headless subcommand; without one the desktop window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Structure to open in the window (PDB/mmCIF, optionally .gz), or a run alone (NPZ/NPY, a folder
    /// of per-step files, a multi-MODEL trajectory), opened with the topology it carries; the bundled
    /// 4HHB when absent.
    pub file: Option<PathBuf>,
    /// A run of another tool to open in the window against FILE (NPZ/NPY, a multi-MODEL PDB/mmCIF, a
    /// folder of per-step files); a run whose atoms are not FILE's opens with its own.
    #[arg(long, value_name = "RUN")]
    pub trajectory: Option<PathBuf>,
    /// Listen for runs streamed from your own loop (the Python package's `sigmascope.connect`), on ADDR
    /// or the default (`SIGMASCOPE_ADDRESS`, else 127.0.0.1:9876).
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub listen: Option<String>,
    /// Atom selection and model for the opened file.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

/// Headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print format, models, atoms, residues, chains and what the selection dropped.
    Inspect(inspect::InspectArgs),
    /// Per-level displacement table (atoms, residues, chains) of noise models, measured and expected.
    NoiseTable(noise_table::NoiseTableArgs),
    /// Sigma schedule, churn, preconditioning and training coverage of a sampler preset.
    Schedule(schedule::ScheduleArgs),
    /// Run a sampler on a structure and print per-frame, per-level metrics.
    Sample(sample::SampleArgs),
    /// RMSE of a denoiser's x0_hat per noise level at every level, and flow-matching velocity norms.
    DenoiserError(denoiser_error::DenoiserErrorArgs),
    /// Final RMSD, TM-score and abnormal bonds per number of steps (EDM, flow matching, DDPM).
    Sweep(sweep::SweepArgs),
    /// Train the learned multiscale denoiser on a structure, with one toggle per suspected cause.
    Train(train::TrainArgs),
    /// Per-frame metrics of a trajectory written by another tool.
    Analyze(analyze::AnalyzeArgs),
    /// Render a structure or a trajectory frame offscreen to a PNG.
    Render(render::RenderArgs),
    /// Record runs streamed from your own sampling loop (the Python package) to NPZ, without a window.
    Listen(listen::ListenArgs),
    /// A run as a GIF (or MP4/WebM through ffmpeg), each frame drawn headless with its frame and σ.
    Movie(movie::MovieArgs),
}

/// Model choice and atom selection, shared by every command that loads a structure.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Model to load (1-based).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub model: u32,
    /// Keep hydrogen atoms (dropped by default).
    #[arg(long)]
    pub keep_hydrogens: bool,
    /// Keep water molecules (dropped by default).
    #[arg(long)]
    pub keep_water: bool,
    /// Drop hetero groups other than water (kept by default).
    #[arg(long)]
    pub no_hetero: bool,
}

impl LoadArgs {
    /// The loader options these flags describe.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            model: self.model as usize,
            selection: Selection {
                keep_hydrogens: self.keep_hydrogens,
                keep_water: self.keep_water,
                drop_hetero: self.no_hetero,
            },
        }
    }
}

/// Loads a file argument; a bundled name (`4hhb`, `1crn`, `1l2y`) works when no such file exists.
pub fn load_structure(path: &Path, load: &LoadArgs) -> anyhow::Result<Structure> {
    Ok(load_file_or_bundled(path, &load.options())?)
}

/// The compute device for `--device`; a GPU that `auto` wanted but could not open is reported on stderr
/// (the JSON's `device_choice` says it too).
fn compute_device(preference: DevicePreference) -> anyhow::Result<ComputeDevice> {
    let compute = select_device(preference)?;
    if let Some(f) = &compute.fallback
        && f.is_failure()
    {
        eprintln!(
            "note: GPU not used ({}); computing on {}",
            f.reason(),
            compute.describe()
        );
    }
    Ok(compute)
}

/// Why `--device auto` computed where it did (`null` when on a GPU or when asked for explicitly).
fn device_choice(compute: &ComputeDevice) -> Option<String> {
    compute
        .fallback
        .as_ref()
        .map(crate::compute::Fallback::reason)
}

/// A `units` map of a JSON output: which convention each group of keys is measured in.
fn units_json(
    units: &[(&'static str, &'static str)],
) -> std::collections::BTreeMap<&'static str, &'static str> {
    units.iter().copied().collect()
}

/// Parses the arguments and runs; the binary's whole `main`.
pub fn main() -> ExitCode {
    quiet_vulkan_layers();
    quiet_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::NoiseTable(args)) => noise_table::run(&args),
        Some(Command::Schedule(args)) => schedule::run(&args),
        Some(Command::Sample(args)) => sample::run(&args),
        Some(Command::Analyze(args)) => analyze::run(&args),
        Some(Command::Sweep(args)) => sweep::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::DenoiserError(args)) => denoiser_error::run(&args),
        Some(Command::Render(args)) => render::run(&args),
        Some(Command::Listen(args)) => listen::run(&args),
        Some(Command::Movie(args)) => movie::run(&args),
        // A run alone (arrays, a folder) opens with the topology it carries.
        None if cli.trajectory.is_none()
            && cli
                .file
                .as_deref()
                .is_some_and(crate::trajectory::opens_as_run) =>
        {
            let open = crate::app::Opening {
                file: None,
                trajectory: cli.file.as_deref(),
                listen: cli.listen.as_deref(),
            };
            crate::app::run(&open, &cli.load.options(), cli.device)
        }
        None => {
            let open = crate::app::Opening {
                file: cli.file.as_deref(),
                trajectory: cli.trajectory.as_deref(),
                listen: cli.listen.as_deref(),
            };
            crate::app::run(&open, &cli.load.options(), cli.device)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
