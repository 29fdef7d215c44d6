//! `sigmascope sample`: run a sampler preset on a structure and print per-frame, per-level metrics.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::sampler_args::{PresetArgs, Switch};
use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::denoiser::{DenoiserChoice, DenoiserInputs};
use crate::noise::parse_noise;
use crate::sampler::{Sampler, SamplerSettings, StartNoise, training_coverage};
use crate::trajectory::{
    KeptCoordinates, Track, frame_rows, run_measuring, trajectory_metrics, write_track,
};

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Structure file (PDB/mmCIF, optionally .gz) or a bundled name.
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Preset and overrides.
    #[command(flatten)]
    pub preset: PresetArgs,
    /// Noise weights of the start (and of the ensemble covariance).
    #[arg(long, default_value = "seed-old", allow_hyphen_values = true)]
    pub noise: String,
    /// Start from multiscale noise or isotropic noise.
    #[arg(long, value_enum, default_value_t = StartNoise::Multiscale)]
    pub start: StartNoise,
    /// Reference denoiser.
    /// exact, ensemble, rotation-marginal, external:CMD (your model in a child process), or a
    /// checkpoint of `sigmascope train` (MODEL.mpk).
    #[arg(long, default_value = "exact", value_parser = str::parse::<DenoiserChoice>)]
    pub denoiser: DenoiserChoice,
    /// Seconds an external denoiser may take per reply.
    #[arg(long, default_value_t = 120.0)]
    pub denoiser_timeout: f64,
    /// Churn noise: isotropic, or drawn from the noise model (the default after a multiscale start).
    #[arg(long, value_enum)]
    pub churn_noise: Option<crate::sampler::ChurnNoise>,
    /// Rotations of the rotation-marginal denoiser's SO(3) grid.
    #[arg(long, default_value_t = crate::denoiser::DEFAULT_ROTATIONS)]
    pub rotations: usize,
    /// Random rotation + translation before every step (default: the preset's).
    #[arg(long, value_enum)]
    pub augment: Option<Switch>,
    /// Kabsch-align the noisy state onto the prediction (default: the preset's).
    #[arg(long, value_enum)]
    pub align: Option<Switch>,
    /// Take each step from the denoiser's own residue and chain x̂0 where it gives them (the learned
    /// denoiser does).
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    pub level_outputs: Switch,
    /// Seed of every draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the x_t track as a multi-MODEL PDB (MODEL 0 = ground truth).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the x̂0 track as a multi-MODEL PDB.
    #[arg(long)]
    pub x0_out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

/// A finished (or part-way failed) sampler run and what its report names.
pub struct SampleRun {
    /// Where it computed.
    pub compute: crate::compute::ComputeDevice,
    /// The preset with the arguments' overrides.
    pub preset: crate::sampler::SamplerPreset,
    /// The start's noise weights.
    pub noise: crate::noise::NamedNoise,
    /// The churn noise used.
    pub churn_noise: crate::sampler::ChurnNoise,
    /// The denoiser's display name.
    pub denoiser_name: String,
    /// The preset's training-σ coverage.
    pub coverage: crate::sampler::TrainingCoverage,
    /// Every recorded frame (frame 0 is the start); measured without a track to write, they keep no
    /// coordinates.
    pub frames: Vec<crate::sampler::Frame>,
    /// The run's error, if it stopped part way.
    pub outcome: Result<(), crate::sampler::SamplerError>,
    /// The frames' metrics when they were measured during the run.
    pub metrics: Option<Vec<crate::trajectory::FrameMetrics>>,
}

/// The `--json` report of `sample` (field names are the CLI's contract). Serialised straight to the
/// output: f32 arrays (the per-residue motion rows) keep their f32 spelling and no value tree is built.
#[derive(serde::Serialize)]
pub struct SampleReport<'a> {
    churn_noise: crate::sampler::ChurnNoise,
    coverage: &'a crate::sampler::TrainingCoverage,
    denoiser: &'a str,
    denoiser_choice: &'a DenoiserChoice,
    device: String,
    device_choice: Option<String>,
    final_rmsd: f64,
    frames: Vec<crate::trajectory::FrameRow<'a>>,
    level_outputs: bool,
    noise: &'a str,
    preset: &'a crate::sampler::SamplerPreset,
    seed: u64,
    start: StartNoise,
    structure: super::inspect::InspectReport,
    units: std::collections::BTreeMap<&'static str, &'static str>,
}

/// How `sample_structure` runs: the steps alone, recording every frame, or recording and measuring
/// each frame while the run goes on (`run_measuring`, what `sample` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Only the start frame is kept (`bench sample-run` times the steps alone with it).
    StepsOnly,
    /// Every frame recorded; no metrics.
    Record,
    /// Every frame recorded and measured during the run.
    RecordAndMeasure,
}

/// Runs the sampler of `args` on `structure` (`sample` without the loading and the report).
pub fn sample_structure(
    structure: &crate::structure::Structure,
    args: &SampleArgs,
    mode: RunMode,
) -> anyhow::Result<SampleRun> {
    let mut preset = args.preset.preset()?;
    if let Some(a) = args.augment {
        preset.augment = a.is_on();
        preset.translation_std = if a.is_on() {
            preset.translation_std.max(1.0)
        } else {
            0.0
        };
    }
    if let Some(a) = args.align {
        preset.align_to_prediction = a.is_on();
    }
    let noise = parse_noise(&args.noise)?;
    let compute = super::compute_device(args.device)?;
    let inputs = DenoiserInputs {
        rotations: args.rotations,
        timeout: std::time::Duration::from_secs_f64(args.denoiser_timeout.clamp(0.001, 86_400.0)),
        ..DenoiserInputs::new(structure, &noise.model, args.seed)
    };
    let denoiser = args.denoiser.build(&inputs, &compute.device)?;
    let denoiser_name = denoiser.name().to_owned();
    let churn_noise = args
        .churn_noise
        .unwrap_or(crate::sampler::ChurnNoise::following(args.start));
    let settings = SamplerSettings {
        level_outputs: args.level_outputs.is_on(),
        preset,
        noise: noise.clone(),
        start: args.start,
        churn_noise,
        seed: args.seed,
    };
    let mut sampler = Sampler::new(structure, settings, denoiser, &compute.device)?;
    sampler.set_recording(mode != RunMode::StepsOnly);
    let (outcome, metrics) = if mode == RunMode::RecordAndMeasure {
        // Without a track to write, nothing reads a frame's atoms once it is measured.
        let kept = if args.out.is_some() || args.x0_out.is_some() {
            KeptCoordinates::All
        } else {
            KeptCoordinates::None
        };
        let (outcome, metrics) = run_measuring(&mut sampler, structure, &structure.positions, kept);
        (outcome, Some(metrics))
    } else {
        (sampler.run(|_, _| true), None)
    };
    let coverage = training_coverage(&preset.step_levels(), &preset.training());
    Ok(SampleRun {
        compute,
        preset,
        noise,
        churn_noise,
        denoiser_name,
        coverage,
        frames: sampler.into_frames(),
        outcome,
        metrics,
    })
}

impl SampleRun {
    /// The `--json` report, given the frames' metrics.
    pub fn report<'a>(
        &'a self,
        structure: &crate::structure::Structure,
        args: &'a SampleArgs,
        metrics: &'a [crate::trajectory::FrameMetrics],
    ) -> SampleReport<'a> {
        SampleReport {
            churn_noise: self.churn_noise,
            coverage: &self.coverage,
            denoiser: &self.denoiser_name,
            denoiser_choice: &args.denoiser,
            device: self.compute.describe(),
            device_choice: super::device_choice(&self.compute),
            final_rmsd: metrics.last().map_or(f64::NAN, |m| m.rmsd),
            frames: frame_rows(&self.frames, metrics),
            level_outputs: args.level_outputs.is_on(),
            noise: &self.noise.name,
            preset: &self.preset,
            seed: args.seed,
            start: args.start,
            structure: super::inspect::InspectReport::of(structure),
            units: super::units_json(&crate::trajectory::METRIC_UNITS),
        }
    }
}

/// Runs `sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let mut run = sample_structure(&structure, args, RunMode::RecordAndMeasure)?;
    let frames = &run.frames;
    // A run that fails part way (an external denoiser that dies) still writes what it recorded.
    if let Some(path) = &args.out {
        write_track(path, &structure, frames, Track::State)?;
    }
    if let Some(path) = &args.x0_out {
        write_track(path, &structure, frames, Track::Prediction)?;
    }
    if let Err(e) = &run.outcome {
        let kept = if args.out.is_some() || args.x0_out.is_some() {
            " and written"
        } else {
            ""
        };
        anyhow::bail!("{e} ({} frames recorded{kept})", frames.len());
    }
    let metrics = run
        .metrics
        .take()
        .unwrap_or_else(|| trajectory_metrics(&structure, &structure.positions, &run.frames));
    let frames = &run.frames;
    let final_rmsd = metrics.last().map_or(f64::NAN, |m| m.rmsd);
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, &run.report(&structure, args, &metrics))?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    let preset = &run.preset;
    println!("device: {}", run.compute.describe_choice());
    println!(
        "{}: preset {}, {} steps, noise {}, start {:?}, augmentation {}, seed {}",
        structure.name,
        preset.name,
        frames.len() - 1,
        run.noise.name,
        args.start,
        if preset.augment { "on" } else { "off" },
        args.seed
    );
    print!("{}", super::frames::frames_text(&metrics));
    println!("final rmsd {final_rmsd:.4} Å (3-D RMS per atom, as every distance above)");
    if let Some(w) = &run.coverage.warning {
        println!("warning: {w}");
    }
    Ok(())
}
