//! `sigmascope schedule`: sigmas, churn, preconditioning per step and training coverage of a preset.

use std::path::PathBuf;

use clap::Args;

use super::sampler_args::PresetArgs;
use super::{LoadArgs, load_structure};
use crate::noise::{GroupSizes, MeanSquaresBasis, NoiseModel, parse_noise};
use crate::sampler::{
    LevelPreconditioning, Preconditioning, SamplerPreset, StepLevels, TrainingCoverage,
    level_preconditioning, training_coverage, training_percentile,
};

/// Arguments of `schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Preset and overrides.
    #[command(flatten)]
    pub preset: PresetArgs,
    /// Structure whose group sizes give per-level coefficients (file or bundled name).
    #[arg(long)]
    pub structure: Option<PathBuf>,
    /// Model and atom selection of --structure.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Noise weights for the per-level sigmas (flat, a preset, or w_c,w_r,w_a).
    #[arg(long, default_value = "seed-old", allow_hyphen_values = true)]
    pub noise: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One step of the schedule.
#[derive(Debug, serde::Serialize)]
pub struct ScheduleStep {
    /// Step index.
    pub index: usize,
    /// sigma at the start of the step (Å).
    pub sigma: f64,
    /// sigma at the end of the step (Å).
    pub sigma_next: f64,
    /// Churn factor.
    pub gamma: f64,
    /// sigma (1 + gamma).
    pub t_hat: f64,
    /// Coefficients at t_hat from the global sigma.
    pub precondition: Preconditioning,
    /// Global and per-level coefficients, when a structure was given.
    pub per_level: Option<LevelPreconditioning>,
    /// Percentile of t_hat under the training distribution.
    pub training_percentile: f64,
}

#[derive(serde::Serialize)]
struct ScheduleJson {
    preset: SamplerPreset,
    structure: Option<String>,
    noise: String,
    steps: Vec<ScheduleStep>,
    sigmas: Vec<f64>,
    coverage: TrainingCoverage,
}

/// Computes the per-step table.
pub fn schedule_steps(
    preset: &SamplerPreset,
    per_level: Option<(&GroupSizes, &NoiseModel)>,
) -> Vec<ScheduleStep> {
    let training = preset.training();
    let sd = preset.schedule.sigma_data;
    let per_level = per_level.map(|(sizes, model)| (MeanSquaresBasis::new(sizes), model));
    preset
        .step_levels()
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let StepLevels {
                sigma,
                sigma_next,
                gamma,
                t_hat,
            } = step;
            ScheduleStep {
                index: i,
                sigma,
                sigma_next,
                gamma,
                t_hat,
                precondition: Preconditioning::at(t_hat, sd, preset.c_noise),
                // The weights in force where the denoiser runs (they may depend on sigma).
                per_level: per_level.as_ref().map(|(basis, model)| {
                    level_preconditioning(
                        basis,
                        &model.weights_at(t_hat),
                        t_hat,
                        sd,
                        preset.c_noise,
                    )
                }),
                training_percentile: training_percentile(t_hat, &training),
            }
        })
        .collect()
}

/// Runs `schedule`.
pub fn run(args: &ScheduleArgs) -> anyhow::Result<()> {
    let preset = args.preset.preset()?;
    let noise = parse_noise(&args.noise)?;
    let structure = args
        .structure
        .as_ref()
        .map(|p| load_structure(p, &args.load))
        .transpose()?;
    let sizes = structure.as_ref().map(GroupSizes::of);
    let steps = schedule_steps(&preset, sizes.as_ref().map(|s| (s, &noise.model)));
    let sigmas = preset.schedule.sigmas();
    let coverage = training_coverage(&preset.step_levels(), &preset.training());
    if args.json {
        let json = ScheduleJson {
            preset,
            structure: structure.as_ref().map(|s| s.name.clone()),
            noise: noise.name,
            steps,
            sigmas,
            coverage,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    println!("preset {} ({})", preset.name, preset.source);
    println!(
        "{:>5} {:>10} {:>10} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}{}",
        "step",
        "sigma",
        "next",
        "gamma",
        "t_hat",
        "c_skip",
        "c_out",
        "c_in",
        "c_noise",
        "pct",
        if structure.is_some() {
            "  sigma_res  sigma_chain"
        } else {
            ""
        }
    );
    for s in &steps {
        let p = &s.precondition;
        let levels = s.per_level.map_or_else(String::new, |l| {
            format!("  {:>9.4} {:>12.4}", l.residue.sigma, l.chain.sigma)
        });
        println!(
            "{:>5} {:>10.4} {:>10.4} {:>6.3} {:>10.4} {:>8.4} {:>8.4} {:>8.5} {:>8.4} {:>7.2}{levels}",
            s.index,
            s.sigma,
            s.sigma_next,
            s.gamma,
            s.t_hat,
            p.c_skip,
            p.c_out,
            p.c_in,
            p.c_noise,
            s.training_percentile
        );
    }
    println!(
        "training sigma 0.1th..99.9th percentile: {:.4}..{:.1} Å; {:.0}% of steps outside at t_hat",
        coverage.sigma_p001,
        coverage.sigma_p999,
        coverage.share_outside * 100.0
    );
    if let Some(w) = &coverage.warning {
        println!("warning: {w}");
    }
    Ok(())
}
