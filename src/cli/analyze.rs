//! `sigmascope analyze`: the sampler's per-frame metrics for a trajectory written by another tool.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::LoadArgs;
use super::frames::frames_text;
use crate::trajectory::{
    FrameOrder, FrameSchedule, ImportAlignment, ImportOptions, SourceFormat, frame_rows,
    import_trajectory, trajectory_metrics,
};

/// What `--unscale` undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Unscale {
    /// RFdiffusion3's noisy frames, stored at the network's input scale σ_data/√(σ² + σ_data²).
    SigmaData,
}

/// Arguments of `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// A run: multi-MODEL PDB/mmCIF (plain or .gz; MODEL records or bare ENDMDL), an NPZ/NPY array
    /// file (sigmascope's keys, AlphaFold2 atom37/atom14, Cα-only [frames, residues, 3]) or a folder of
    /// per-step files.
    pub trajectory: PathBuf,
    /// What the run is, when its content and name do not say.
    #[arg(long, value_enum, default_value_t = SourceFormat::Auto)]
    pub format: SourceFormat,
    /// Ground truth to compare with; its atoms are matched by chain, residue number and name, or by
    /// residue position and name (default: the run's clean end, or the topology for arrays).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Structure naming the atoms of an array file that does not name them.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Atom selection (must match how the trajectory was written).
    #[command(flatten)]
    pub load: LoadArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Order of the models: found from their backbone geometry (auto), or as-written (first model the
    /// reference), noise-first (last model the clean end), clean-first (flipped stacks: RFdiffusion,
    /// FrameDiff, RFdiffusion3).
    #[arg(long, value_enum, default_value_t = FrameOrder::Auto)]
    pub order: FrameOrder,
    /// The predictions (x̂0), paired frame by frame (default: the file its tool writes beside the
    /// states: `_pX0_traj` for `_Xt-1_traj`, `x0_traj` for `bb_traj`, `_x0_traj` for `_traj`,
    /// `denoised` for `noisy`).
    #[arg(long)]
    pub x0: Option<PathBuf>,
    /// Superpose each frame on import: onto the previous frame (Boltz, AF3 and Chai re-rotate every
    /// step) or onto the reference.
    #[arg(long, value_enum, default_value_t = ImportAlignment::None)]
    pub align: ImportAlignment,
    /// σ per frame from a named schedule, for files that have none.
    #[arg(long, value_enum)]
    pub schedule: Option<FrameSchedule>,
    /// σ per frame from a sidecar (an NPY array or numbers in text), noisiest first.
    #[arg(long)]
    pub sigma: Option<PathBuf>,
    /// Scale the states back to Å of the data (needs σ per frame).
    #[arg(long, value_enum)]
    pub unscale: Option<Unscale>,
    /// σ_data for `--unscale sigma-data`, Å (AlphaFold 3's and RFdiffusion3's 16).
    #[arg(long, default_value_t = 16.0)]
    pub sigma_data: f64,
}

impl AnalyzeArgs {
    /// The import options these arguments ask for.
    pub fn import_options(&self) -> ImportOptions {
        ImportOptions {
            load: self.load.options(),
            format: self.format,
            topology: self.topology.clone(),
            reference: self.reference.clone(),
            order: self.order,
            x0: self.x0.clone(),
            align: self.align,
            schedule: self.schedule,
            sigma_file: self.sigma.clone(),
            unscale_sigma_data: self.unscale.map(|Unscale::SigmaData| self.sigma_data),
        }
    }
}

/// Runs `analyze`.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let imported = import_trajectory(&args.trajectory, &args.import_options())?;
    let s = &imported.structure;
    let metrics = trajectory_metrics(s, &s.positions, &imported.frames);
    let final_rmsd = metrics.last().map_or(f64::NAN, |m| m.rmsd);
    if args.json {
        let json = serde_json::json!({
            "structure": super::inspect::InspectReport::of(s),
            "source": imported.source,
            "frames": frame_rows(&imported.frames, &metrics),
            "final_rmsd": final_rmsd,
            "findings": crate::diagnosis::diagnose(&crate::diagnosis::DiagnosisInput {
                structure: s,
                noise: None,
                preset: None,
                start: None,
                per_level_precondition: false,
                metrics: &metrics,
            }),
            "units": super::units_json(&crate::trajectory::METRIC_UNITS),
        });
        println!("{}", serde_json::to_string(&json)?);
    } else {
        let source = &imported.source;
        println!("{}: {} frames against the reference", s.name, metrics.len());
        println!("read as {}; atoms from {}", source.format, source.topology);
        println!(
            "order: {}{}; reference: {} ({})",
            source.order.order,
            if source.order.reversed {
                ", reversed"
            } else {
                ""
            },
            source.order.reference,
            source.order.reason
        );
        if let Some(paired) = &source.order.paired_with {
            let reversed = if source.order.predictions_reversed {
                " (reversed to the states' order)"
            } else {
                ""
            };
            println!("x̂0 from {paired}{reversed}");
        }
        for line in [&source.atoms_matched, &source.unscaled]
            .into_iter()
            .flatten()
        {
            println!("{line}");
        }
        println!("units: {}; σ: {}", source.units, source.sigma);
        print!("{}", frames_text(&metrics));
        println!("final rmsd {final_rmsd:.4} Å");
    }
    Ok(())
}
