//! `sigmascope analyze`: the sampler's per-frame metrics for a trajectory written by another tool.

use std::path::PathBuf;

use clap::Args;

use super::LoadArgs;
use super::frames::frames_text;
use crate::trajectory::{FrameOrder, frame_rows, import_trajectory, trajectory_metrics};

/// Arguments of `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Multi-MODEL PDB/mmCIF (same atoms in every model) or an NPY/NPZ array [frames, atoms, 3].
    pub trajectory: PathBuf,
    /// Ground truth to compare with (default: the first model, or the topology for arrays).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Structure giving the atoms of an array trajectory.
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Atom selection (must match how the trajectory was written).
    #[command(flatten)]
    pub load: LoadArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Order of a multi-model file's models: found from their backbone geometry (auto), or as-written
    /// (first model the reference), noise-first (last model the clean end), clean-first (flipped stacks:
    /// RFdiffusion, FrameDiff, RFdiffusion3).
    #[arg(long, value_enum, default_value_t = FrameOrder::Auto)]
    pub order: FrameOrder,
    /// The predictions (x̂0) of a multi-model state file, paired frame by frame (default: the file its
    /// tool writes beside it: `_pX0_traj` for `_Xt-1_traj`, `x0_traj` for `bb_traj`, `_x0_traj` for
    /// `_traj`, `denoised` for `noisy`).
    #[arg(long)]
    pub x0: Option<PathBuf>,
}

/// Runs `analyze`.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let imported = import_trajectory(
        &args.trajectory,
        args.reference.as_deref(),
        args.topology.as_deref(),
        &args.load.options(),
        args.order,
        args.x0.as_deref(),
    )?;
    let s = &imported.structure;
    let metrics = trajectory_metrics(s, &s.positions, &imported.frames);
    let final_rmsd = metrics.last().map_or(f64::NAN, |m| m.rmsd);
    if args.json {
        let json = serde_json::json!({
            "structure": super::inspect::InspectReport::of(s),
            "source": imported.order,
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
        println!("{}: {} frames against the reference", s.name, metrics.len());
        if let Some(found) = &imported.order {
            println!(
                "order: {}{}; reference: {} ({})",
                found.order,
                if found.reversed { ", reversed" } else { "" },
                found.reference,
                found.reason
            );
        }
        print!("{}", frames_text(&metrics));
        println!("final rmsd {final_rmsd:.4} Å");
    }
    Ok(())
}
