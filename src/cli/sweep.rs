//! `sigmascope sweep`: final RMSD, TM-score, abnormal bonds and time per number of steps, for EDM,
//! flow matching and DDPM (note 000's tables), over several seeds.

use std::path::PathBuf;

use clap::Args;

use super::sampler_args::FamilyArgs;
use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::denoiser::DenoiserChoice;
use crate::noise::parse_noise;
use crate::sampler::{FlowSolver, SamplerSpec, StartNoise, find_preset};
use crate::trajectory::{CA_CA_RANGE, PEPTIDE_CN_RANGE, SweepSpec, sweep};

/// Arguments of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Structure file (PDB/mmCIF, optionally .gz) or a bundled name.
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// The family and its options.
    #[command(flatten)]
    pub family: FamilyArgs,
    /// Flow matching: euler, heun (ODE) or sde.
    #[arg(long, value_enum, default_value_t = FlowSolver::Euler)]
    pub solver: FlowSolver,
    /// EDM preset.
    #[arg(long, default_value = "boltz2")]
    pub preset: String,
    /// Step counts.
    #[arg(long, value_delimiter = ',', default_values_t = [10usize, 20, 50, 100, 200, 500, 1000])]
    pub steps: Vec<usize>,
    /// exact, ensemble, rotation-marginal, or external:CMD.
    #[arg(long, default_value = "exact", value_parser = str::parse::<DenoiserChoice>)]
    pub denoiser: DenoiserChoice,
    /// Seeds per step count (0, 1, …).
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Noise weights of the prior (flow matching, DDPM) and of the EDM start.
    #[arg(long, default_value = "flat", allow_hyphen_values = true)]
    pub noise: String,
    /// Prior σ of flow matching and DDPM, Å.
    #[arg(long, default_value_t = 16.0)]
    pub prior_sigma: f64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

/// Runs `sweep`.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let compute = super::compute_device(args.device)?;
    let noise = parse_noise(&args.noise)?;
    let start = if args.noise == "flat" {
        StartNoise::Isotropic
    } else {
        StartNoise::Multiscale
    };
    let spec = args.family.spec(args.solver);
    let sampler = match spec {
        Some(family) => SamplerSpec::Family(family),
        None => SamplerSpec::Edm(
            find_preset(&args.preset)
                .ok_or_else(|| anyhow::anyhow!("unknown preset {}", args.preset))?,
        ),
    };
    let sweep_spec = SweepSpec {
        sampler,
        denoiser: args.denoiser.clone(),
        noise: noise.clone(),
        start,
        prior_sigma: args.prior_sigma,
    };
    let runs = sweep(
        &structure,
        &sweep_spec,
        &args.steps,
        args.seeds,
        &compute.device,
        |_, _| true,
    )?;
    if args.json {
        let json = serde_json::json!({
            "structure": super::inspect::InspectReport::of(&structure),
            "family": args.family.family,
            "spec": spec,
            "denoiser": args.denoiser.name(),
            "device": compute.describe(),
            "device_choice": super::device_choice(&compute),
            "abnormal_bonds": {
                "ca_ca_normal_range": CA_CA_RANGE,
                "peptide_cn_normal_range": PEPTIDE_CN_RANGE,
            },
            "runs": runs,
            "units": super::units_json(&crate::trajectory::METRIC_UNITS),
        });
        println!("{}", serde_json::to_string(&json)?);
        return Ok(());
    }
    println!(
        "{}: {:?} sweep, denoiser {}, {} seed(s); abnormal bonds (backbone): Cα–Cα outside {:?} Å or C–N outside {:?} Å; fd_ca_ok: FrameDiff's Cα–Cα check, d < 3.90 Å",
        structure.name,
        args.family.family,
        args.denoiser.name(),
        args.seeds.max(1),
        CA_CA_RANGE,
        PEPTIDE_CN_RANGE
    );
    println!(
        "{:>6} {:>5} {:>11} {:>9} {:>8} {:>10} {:>9}",
        "steps", "seed", "final_rmsd", "tm_score", "bonds", "fd_ca_ok", "secs"
    );
    for r in &runs {
        println!(
            "{:>6} {:>5} {:>11.4} {:>9} {:>7.1}% {:>10} {:>9.3}",
            r.steps,
            r.seed,
            r.final_rmsd,
            r.tm_score
                .map_or_else(|| "-".to_owned(), |t| format!("{t:.4}")),
            r.abnormal_bond_share * 100.0,
            r.ca_ca_valid_share
                .map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0)),
            r.secs
        );
    }
    Ok(())
}
