//! `sigmascope train`: train the learned multiscale denoiser on a structure with one toggle per
//! suspected cause, print the loss curve and the per-σ report, and save the checkpoint that
//! `sample --denoiser model.mpk` loads.

use std::path::PathBuf;

use clap::Args;

use super::sampler_args::Switch;
use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::denoiser::learned::{
    ConditioningMode, LevelInputs, LossMode, ModelConfig, OutputForm, PairBias, PreconditionMode,
    TrainConfig, atoms_per_residue, default_checkpoint_path, train_model, training_memory_budget,
};
use crate::noise::parse_noise;

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Structure file (PDB/mmCIF, optionally .gz) or a bundled name.
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Noise weights of the training draws.
    #[arg(long, default_value = "seed-old", allow_hyphen_values = true)]
    pub noise: String,
    /// Random rotation + translation of the training target [note 002 §4].
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    pub augment: Switch,
    /// Preconditioning σ per level (pitfall 2).
    #[arg(long, value_enum, default_value_t = PreconditionMode::PerLevel)]
    pub precond: PreconditionMode,
    /// Loss over levels (pitfall 5).
    #[arg(long, value_enum, default_value_t = LossMode::LevelMean)]
    pub loss: LossMode,
    /// Noise conditioning per level (pitfall 6).
    #[arg(long, value_enum, default_value_t = ConditioningMode::PerLevel)]
    pub conditioning: ConditioningMode,
    /// Residue and chain token inputs (pitfall 7).
    #[arg(long, value_enum, default_value_t = LevelInputs::Embeddings)]
    pub level_inputs: LevelInputs,
    /// Output parametrization [note 001 §1].
    #[arg(long, value_enum, default_value_t = OutputForm::Edm)]
    pub output: OutputForm,
    /// Residue attention's pair bias.
    #[arg(long, value_enum, default_value_t = PairBias::Factorised)]
    pub pair_bias: PairBias,
    /// Optimizer steps.
    #[arg(long, default_value_t = TrainConfig::default().steps)]
    pub steps: usize,
    /// Noise draws of the structure per step.
    #[arg(long, default_value_t = TrainConfig::default().draws)]
    pub draws: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub lr: f64,
    /// Token width.
    #[arg(long, default_value_t = ModelConfig::default().width)]
    pub width: usize,
    /// Blocks.
    #[arg(long, default_value_t = ModelConfig::default().blocks)]
    pub blocks: usize,
    /// Seed of the initial weights and of every draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Checkpoint path (default: STEM.learned.mpk next to the structure file, or here for a bundled one).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

impl TrainArgs {
    fn configs(&self) -> anyhow::Result<(ModelConfig, TrainConfig)> {
        let model = ModelConfig {
            width: self.width,
            blocks: self.blocks,
            pair_bias: self.pair_bias,
            precondition: self.precond,
            conditioning: self.conditioning,
            level_inputs: self.level_inputs,
            output: self.output,
            ..ModelConfig::default()
        };
        if model.width == 0 || !model.width.is_multiple_of(model.heads) {
            anyhow::bail!(
                "--width {}: give a positive multiple of {} (the heads)",
                self.width,
                model.heads
            );
        }
        if self.steps == 0 || self.draws == 0 {
            anyhow::bail!("--steps and --draws must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            anyhow::bail!("--lr {}: give a positive learning rate", self.lr);
        }
        let train = TrainConfig {
            steps: self.steps,
            draws: self.draws,
            learning_rate: self.lr,
            loss: self.loss,
            augment: self.augment.is_on(),
            seed: self.seed,
            ..TrainConfig::default()
        };
        Ok((model, train))
    }
}

/// Runs `train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let (model, train) = args.configs()?;
    let noise = parse_noise(&args.noise)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_checkpoint_path(&structure));
    let compute = super::compute_device(args.device)?;
    let trained = train_model(
        &structure,
        &model,
        &train,
        &noise,
        &compute.device,
        &compute.describe(),
        |_| true,
    )?;
    let protected: Vec<&std::path::Path> =
        structure.source_path.iter().map(PathBuf::as_path).collect();
    trained.save(&out, &protected)?;
    let header = &trained.header;
    let steps_per_sec = header.losses.len() as f64 / header.train_secs.max(1e-9);
    let max_residues = model.max_residues(
        training_memory_budget(),
        train.draws,
        atoms_per_residue(structure.atom_count(), structure.residue_count()),
    );
    if args.json {
        let json = serde_json::json!({
            "structure": super::inspect::InspectReport::of(&structure),
            "device": compute.describe(),
            "device_choice": super::device_choice(&compute),
            "model": header.model,
            "train": header.train,
            "noise": header.noise,
            "out": out,
            "train_secs": header.train_secs,
            "steps_per_sec": steps_per_sec,
            "max_residues": max_residues,
            "losses": header.losses,
            "report": header.report,
            "units": super::units_json(&[
                ("losses", "lambda-weighted mean squared error of x0_hat per level (the output form's weight)"),
                ("report.*_rmse", "rmsd_3d: 3-D RMS per point, Å"),
                ("report.sigma", "Å"),
                ("report.output_gradient_norm", "L2 norm of the loss gradient at the output layer's weights"),
            ]),
        });
        println!("{}", serde_json::to_string(&json)?);
        return Ok(());
    }
    println!("device: {}", compute.describe_choice());
    let first = header.losses.first().map_or(f64::NAN, |l| l.total);
    let last = header.losses.last().map_or(f64::NAN, |l| l.total);
    println!(
        "{}: {} steps in {:.1} s ({steps_per_sec:.1} steps/s), loss {first:.4} -> {last:.4}; up to {max_residues} residues of this size fit this machine",
        structure.name,
        header.losses.len(),
        header.train_secs,
    );
    println!(
        "{:>5} {:>10} {:>9} {:>9} {:>9} {:>12}",
        "z", "sigma", "atom", "residue", "chain", "|grad out|"
    );
    for r in &header.report {
        println!(
            "{:>5.1} {:>10.3} {:>9.3} {:>9.3} {:>9.3} {:>12.3e}",
            r.z, r.sigma, r.atom_rmse, r.residue_rmse, r.chain_rmse, r.output_gradient_norm
        );
    }
    println!("wrote {}", out.display());
    Ok(())
}
