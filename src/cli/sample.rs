//! `sigmascope sample`: run a sampler preset on a structure and print per-frame, per-level metrics.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::sampler_args::{FamilyArgs, PresetArgs, Switch};
use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::denoiser::{DenoiserChoice, DenoiserInputs};
use crate::noise::parse_noise;
use crate::sampler::{
    ChurnNoise, FamilySampler, FamilySettings, FamilySpec, FlowSolver, Sampler, SamplerPreset,
    SamplerSettings, StartNoise, SteppedRun, TrainingCoverage, training_coverage,
};
use crate::trajectory::{
    KeptCoordinates, Run, RunSource, Track, frame_rows, run_measuring, trajectory_metrics,
    write_track, write_track_with_substeps,
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
    /// The family (EDM's preset, or flow matching or DDPM) and its options.
    #[command(flatten)]
    pub family: FamilyArgs,
    /// Flow matching: euler, heun (ODE) or sde.
    #[arg(long, value_enum, default_value_t = FlowSolver::Euler)]
    pub flow_solver: FlowSolver,
    /// Prior σ of flow matching and DDPM, Å.
    #[arg(long, default_value_t = 16.0)]
    pub prior_sigma: f64,
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
    /// Importance draws of the rotation-marginal denoiser's posterior over rotations.
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
    /// Record each step's sub-steps (the churned state x̂ at t̂; for Heun and Chai-1 the second-order
    /// point at σ_next) and write them into --out / --x0-out as models of their own before their
    /// frame, marked `substep=` in their REMARK 250. The figures and --json keep the main frames.
    #[arg(long)]
    pub substeps: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

/// What a run sampled with: an EDM preset, or a flow-matching or DDPM family.
#[expect(clippy::large_enum_variant, reason = "one a run")]
pub enum SampledWith {
    /// EDM.
    Edm {
        /// The preset with the arguments' overrides.
        preset: SamplerPreset,
        /// The churn noise used.
        churn_noise: ChurnNoise,
        /// The preset's training-σ coverage.
        coverage: TrainingCoverage,
    },
    /// Flow matching or DDPM.
    Family {
        /// The family and its options.
        spec: FamilySpec,
        /// Its steps.
        steps: usize,
    },
}

/// A finished (or part-way failed) sampler run and what its report names.
pub struct SampleRun {
    /// Where it computed.
    pub compute: crate::compute::ComputeDevice,
    /// The sampler.
    pub sampler: SampledWith,
    /// The start's noise weights.
    pub noise: crate::noise::NamedNoise,
    /// The denoiser's display name.
    pub denoiser_name: String,
    /// The recorded frames (frame 0 is the start) and, when measured during the run, their metrics
    /// (empty otherwise); measured without a track to write, the frames keep no coordinates.
    pub run: Run,
    /// The run's error, if it stopped part way.
    pub outcome: Result<(), crate::sampler::SamplerError>,
}

/// The `--json` report of `sample` (field names are the CLI's contract). Serialised straight to the
/// output: f32 arrays (the per-residue motion rows) keep their f32 spelling and no value tree is built.
#[derive(serde::Serialize)]
pub struct SampleReport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    churn_noise: Option<ChurnNoise>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<&'a TrainingCoverage>,
    denoiser: &'a str,
    denoiser_choice: &'a DenoiserChoice,
    device: String,
    device_choice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family: Option<&'a FamilySpec>,
    final_rmsd: f64,
    findings: Vec<crate::diagnosis::Finding>,
    frames: Vec<crate::trajectory::FrameRow<'a>>,
    level_outputs: bool,
    noise: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    preset: Option<&'a SamplerPreset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prior_sigma: Option<f64>,
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

/// The EDM preset of `args` with its overrides.
fn edm_preset(args: &SampleArgs) -> anyhow::Result<SamplerPreset> {
    let mut preset = args.preset.preset()?;
    if let Some(a) = args.augment {
        preset = preset.with_augmentation(a.is_on());
    }
    if let Some(a) = args.align {
        preset.align_to_prediction = a.is_on();
    }
    Ok(preset)
}

/// Runs `run` to the end as `mode` says: the frames' metrics when measured during the run.
fn run_to_end(
    run: &mut dyn SteppedRun,
    structure: &crate::structure::Structure,
    args: &SampleArgs,
    mode: RunMode,
) -> (
    Result<(), crate::sampler::SamplerError>,
    Option<Vec<crate::trajectory::FrameMetrics>>,
) {
    if mode == RunMode::RecordAndMeasure {
        // Without a track to write, nothing reads a frame's atoms once it is measured.
        let kept = if args.out.is_some() || args.x0_out.is_some() {
            KeptCoordinates::All
        } else {
            KeptCoordinates::None
        };
        let (outcome, metrics) = run_measuring(run, structure, &structure.positions, kept);
        return (outcome, Some(metrics));
    }
    while !run.is_done() {
        if let Err(e) = run.step() {
            return (Err(e), None);
        }
    }
    (Ok(()), None)
}

/// Runs the sampler of `args` on `structure` (`sample` without the loading and the report).
pub fn sample_structure(
    structure: &crate::structure::Structure,
    args: &SampleArgs,
    mode: RunMode,
) -> anyhow::Result<SampleRun> {
    let noise = parse_noise(&args.noise)?;
    let compute = super::compute_device(args.device)?;
    let inputs = DenoiserInputs {
        rotations: args.rotations,
        timeout: std::time::Duration::from_secs_f64(args.denoiser_timeout.clamp(0.001, 86_400.0)),
        ..DenoiserInputs::new(structure, &noise.model, args.seed)
    };
    let denoiser = args.denoiser.build(&inputs, &compute.device)?;
    let denoiser_name = denoiser.name().to_owned();
    let (sampler, frames, outcome, metrics) = match args.family.spec(args.flow_solver) {
        Some(spec) => {
            let edm_only = [
                ("--augment", args.augment.is_some()),
                ("--align", args.align.is_some()),
                ("--churn-noise", args.churn_noise.is_some()),
                ("--level-outputs on", args.level_outputs.is_on()),
            ];
            if let Some((flag, _)) = edm_only.iter().find(|(_, given)| *given) {
                anyhow::bail!("{flag} is EDM's; --family fm and ddpm take no such option");
            }
            let steps = args.preset.steps.unwrap_or(DEFAULT_FAMILY_STEPS);
            let settings = FamilySettings {
                spec,
                steps,
                prior: noise.clone(),
                prior_sigma: args.prior_sigma,
                start: args.start,
                seed: args.seed,
            };
            let mut run = FamilySampler::new(structure, settings, denoiser, &compute.device)?;
            let (outcome, metrics) = run_to_end(&mut run, structure, args, mode);
            let sampler = SampledWith::Family { spec, steps };
            (sampler, run.into_frames(), outcome, metrics)
        }
        None => {
            let preset = edm_preset(args)?;
            let churn_noise = args
                .churn_noise
                .unwrap_or(ChurnNoise::following(args.start));
            let settings = SamplerSettings {
                level_outputs: args.level_outputs.is_on(),
                preset,
                noise: noise.clone(),
                start: args.start,
                churn_noise,
                seed: args.seed,
            };
            let mut run = Sampler::new(structure, settings, denoiser, &compute.device)?;
            run.set_recording(mode != RunMode::StepsOnly);
            run.record_substeps(args.substeps);
            let (outcome, metrics) = run_to_end(&mut run, structure, args, mode);
            let coverage = training_coverage(&preset.step_levels(), &preset.training());
            let sampler = SampledWith::Edm {
                preset,
                churn_noise,
                coverage,
            };
            (sampler, run.into_frames(), outcome, metrics)
        }
    };
    Ok(SampleRun {
        compute,
        sampler,
        noise,
        denoiser_name,
        run: Run::of(frames, metrics.unwrap_or_default(), RunSource::Sampled),
        outcome,
    })
}

/// Steps of a flow-matching or DDPM run when `--steps` is not given.
const DEFAULT_FAMILY_STEPS: usize = 100;

impl SampleRun {
    /// The `--json` report, given the frames' metrics.
    pub fn report<'a>(
        &'a self,
        structure: &crate::structure::Structure,
        args: &'a SampleArgs,
        metrics: &'a [crate::trajectory::FrameMetrics],
    ) -> SampleReport<'a> {
        let (churn_noise, coverage, preset, family) = match &self.sampler {
            SampledWith::Edm {
                preset,
                churn_noise,
                coverage,
            } => (Some(*churn_noise), Some(coverage), Some(preset), None),
            SampledWith::Family { spec, .. } => (None, None, None, Some(spec)),
        };
        SampleReport {
            churn_noise,
            coverage,
            denoiser: &self.denoiser_name,
            denoiser_choice: &args.denoiser,
            device: self.compute.describe(),
            device_choice: super::device_choice(&self.compute),
            family,
            final_rmsd: metrics.last().map_or(f64::NAN, |m| m.rmsd),
            findings: crate::diagnosis::diagnose(&crate::diagnosis::DiagnosisInput {
                structure,
                noise: Some(&self.noise),
                preset,
                start: Some(args.start),
                per_level_precondition: false,
                metrics,
            }),
            frames: frame_rows(&self.run.frames, metrics),
            level_outputs: args.level_outputs.is_on(),
            noise: &self.noise.name,
            preset,
            prior_sigma: family.map(|_| args.prior_sigma),
            seed: args.seed,
            start: args.start,
            structure: super::inspect::InspectReport::of(structure),
            units: super::units_json(&crate::trajectory::METRIC_UNITS),
        }
    }
}

/// A run that failed part way (an external denoiser that dies), with what it recorded and wrote.
#[derive(Debug, thiserror::Error)]
#[error("{error} ({frames} frames recorded{})", if *.written { " and written" } else { "" })]
pub struct PartialRun {
    /// Why it stopped.
    pub error: crate::sampler::SamplerError,
    /// The frames recorded before it did.
    pub frames: usize,
    /// Whether they were written (`--out`, `--x0-out`).
    pub written: bool,
}

/// Runs `sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let mut run = sample_structure(&structure, args, RunMode::RecordAndMeasure)?;
    let frames = &run.run.frames;
    // A run that fails part way (an external denoiser that dies) still writes what it recorded.
    let write = if args.substeps {
        write_track_with_substeps
    } else {
        write_track
    };
    if let Some(path) = &args.out {
        write(path, &structure, frames, Track::State)?;
    }
    if let Some(path) = &args.x0_out {
        write(path, &structure, frames, Track::Prediction)?;
    }
    if let Err(error) = std::mem::replace(&mut run.outcome, Ok(())) {
        return Err(PartialRun {
            error,
            frames: frames.len(),
            written: args.out.is_some() || args.x0_out.is_some(),
        }
        .into());
    }
    if run.run.metrics.is_empty() {
        run.run.metrics = trajectory_metrics(&structure, &structure.positions, frames);
    }
    let (frames, metrics) = (&run.run.frames, &run.run.metrics);
    let final_rmsd = metrics.last().map_or(f64::NAN, |m| m.rmsd);
    if args.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, &run.report(&structure, args, metrics))?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    println!("device: {}", run.compute.describe_choice());
    match &run.sampler {
        SampledWith::Edm {
            preset, coverage, ..
        } => {
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
            print!("{}", super::frames::frames_text(metrics));
            println!("final rmsd {final_rmsd:.4} Å (3-D RMS per atom, as every distance above)");
            if let Some(w) = &coverage.warning {
                println!("warning: {w}");
            }
        }
        SampledWith::Family { spec, steps } => {
            println!(
                "{}: {spec:?}, {steps} steps, prior σ {} Å, noise {}, start {:?}, seed {}",
                structure.name, args.prior_sigma, run.noise.name, args.start, args.seed
            );
            print!("{}", super::frames::frames_text(metrics));
            println!("final rmsd {final_rmsd:.4} Å (3-D RMS per atom, as every distance above)");
        }
    }
    Ok(())
}
