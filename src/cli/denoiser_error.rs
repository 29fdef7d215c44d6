//! `sigmascope denoiser-error`: the RMSE of any denoiser's x̂0 at atoms, residue and chain centroids per
//! noise level, and the flow-matching velocity norms (note 001's diagnostic, note 000's experiment 2).

use std::path::PathBuf;

use clap::Args;

use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::denoiser::{DenoiserChoice, DenoiserInputs, denoiser_error};
use crate::noise::{TrainingSigma, parse_noise};

/// Arguments of `denoiser-error`.
#[derive(Debug, Args)]
pub struct DenoiserErrorArgs {
    /// Structure file (PDB/mmCIF, optionally .gz) or a bundled name.
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// exact, ensemble, rotation-marginal, or external:CMD.
    #[arg(long, default_value = "exact", value_parser = str::parse::<DenoiserChoice>)]
    pub denoiser: DenoiserChoice,
    /// Noise weights of the draws.
    #[arg(long, default_value = "seed-old", allow_hyphen_values = true)]
    pub noise: String,
    /// Noise levels, Å (default: the training distribution at z = -3 … 3, as `noise-table`).
    #[arg(long, value_delimiter = ',')]
    pub sigma: Vec<f64>,
    /// Flow-matching times in note 000's convention (noise at t = 0), e.g. 0.3,0.5,0.7,0.9 as note 000
    /// tabulates: each is the level σ = σ_prior (1 − t) / t (instead of --sigma).
    #[arg(long, value_delimiter = ',', conflicts_with = "sigma")]
    pub flow_times: Vec<f64>,
    /// Draws per level.
    #[arg(long, default_value_t = 4)]
    pub repeats: usize,
    /// The flow-matching prior's σ for the velocity reading, Å.
    #[arg(long, default_value_t = 16.0)]
    pub prior_sigma: f64,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

/// Runs `denoiser-error`.
pub fn run(args: &DenoiserErrorArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let compute = super::compute_device(args.device)?;
    let noise = parse_noise(&args.noise)?;
    if let Some(bad) = args.flow_times.iter().find(|t| !(**t > 0.0 && **t < 1.0)) {
        anyhow::bail!("--flow-times {bad}: times must lie strictly between 0 and 1");
    }
    let sigmas: Vec<f64> = if !args.flow_times.is_empty() {
        args.flow_times
            .iter()
            .map(|t| args.prior_sigma * (1.0 - t) / t)
            .collect()
    } else if args.sigma.is_empty() {
        let training = TrainingSigma::default();
        training.table_sigmas()
    } else {
        args.sigma.clone()
    };
    if let Some(bad) = sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        anyhow::bail!("--sigma {bad}: noise levels must be positive");
    }
    let inputs = DenoiserInputs::new(&structure, &noise.model, args.seed);
    let denoiser = args.denoiser.build(&inputs, &compute.device)?;
    let rows = denoiser_error(
        &structure,
        denoiser.as_ref(),
        &noise.model,
        &sigmas,
        args.repeats,
        args.prior_sigma,
        args.seed,
        &compute.device,
    )?;
    if args.json {
        let json = serde_json::json!({
            "structure": super::inspect::InspectReport::of(&structure),
            "denoiser": args.denoiser.name(),
            "noise": noise.name,
            "repeats": args.repeats,
            "rows": rows,
            "units": { "t": "flow-matching time, noise at t = 1", "t_note_000": "flow-matching time in note 000's convention, noise at t = 0", "atom, atom_superposed, residue, chain, velocity_norm_*, velocity_rmse": "rmsd_3d: 3-D RMS per point, Å (velocities Å per unit t)", "sigma": "Å" },
            "states": "x = truth + noise, handed to the denoiser in a uniformly random pose (rotation about the truth's centroid, in the context) per draw; errors measured once x0_hat is mapped back; atom_superposed after superposition onto the truth",
        });
        println!("{}", serde_json::to_string(&json)?);
        return Ok(());
    }
    println!(
        "{}: denoiser {} under {} noise; states handed over in random poses (superposed: the shape's error alone)",
        structure.name,
        args.denoiser.name(),
        noise.name
    );
    println!(
        "{:>10} {:>6} {:>9} {:>10} {:>9} {:>9} {:>10} {:>10} {:>9}",
        "sigma",
        "t(000)",
        "atom",
        "superposed",
        "residue",
        "chain",
        "|v_pred|",
        "|v_true|",
        "v_rmse"
    );
    for r in &rows {
        println!(
            "{:>10.3} {:>6.3} {:>9.3} {:>10.3} {:>9.3} {:>9} {:>10.2} {:>10.2} {:>9.3}",
            r.sigma,
            r.t_note_000,
            r.atom,
            r.atom_superposed,
            r.residue,
            r.chain
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.3}")),
            r.velocity_norm_predicted,
            r.velocity_norm_target,
            r.velocity_rmse
        );
    }
    Ok(())
}
