//! `sigmascope noise-table`: the per-level displacement table for any weights on any structure.

use std::path::PathBuf;

use clap::Args;

use super::inspect::InspectReport;
use super::{LoadArgs, load_structure};
use crate::compute::DevicePreference;
use crate::noise::{
    NamedNoise, NoiseTableSpec, SigmaPoint, TABLE_Z, TableRow, TrainingSigma, noise_table,
    parse_noise, summary_text, table_text,
};
use crate::structure::{
    ExportFrame, ExportOptions, Structure, residue_level_path, write_residue_level_pdb,
    write_trajectory_pdb,
};

/// Arguments of `noise-table`.
#[derive(Debug, Args)]
pub struct NoiseTableArgs {
    /// Structure file (PDB/mmCIF, optionally .gz) or a bundled name (4hhb, 1crn, 1l2y).
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Noise model, repeatable: flat, seed-old, rebalanced, 3-8-1, 2-6-2, equal, a3-r2-c1, or w_c,w_r,w_a.
    #[arg(long = "noise", default_values = ["flat", "seed-old", "rebalanced"], allow_hyphen_values = true)]
    pub noises: Vec<String>,
    /// Quantiles z of the training distribution: sigma = sigma_data * exp(p_mean + p_std * z).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub z: Vec<f64>,
    /// sigma_data of the training distribution (Å).
    #[arg(long, default_value_t = 16.0)]
    pub sigma_data: f64,
    /// P_mean of the training distribution.
    #[arg(long, default_value_t = -1.2, allow_hyphen_values = true)]
    pub p_mean: f64,
    /// P_std of the training distribution.
    #[arg(long, default_value_t = 1.5)]
    pub p_std: f64,
    /// sigma in Å directly, repeatable (rows after the z rows; without --z only these rows).
    #[arg(long = "sigma", value_delimiter = ',', allow_hyphen_values = true)]
    pub sigmas: Vec<f64>,
    /// Seed of the noise generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Independent draws per cell.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write a multi-MODEL PDB (MODEL 0 = ground truth, one model per noise and sigma) and the
    /// residue-level file beside it (`OUT_residues.pdb`).
    #[arg(long)]
    pub export_pdb: Option<PathBuf>,
    /// Compute device.
    #[arg(long, value_enum, default_value_t = DevicePreference::Auto)]
    pub device: DevicePreference,
}

impl NoiseTableArgs {
    fn training(&self) -> TrainingSigma {
        TrainingSigma {
            scale: self.sigma_data,
            p_mean: self.p_mean,
            p_std: self.p_std,
        }
    }

    /// Rows: the z grid (default -3..3 unless only --sigma is given), then direct sigmas.
    pub fn points(&self) -> Vec<SigmaPoint> {
        let training = self.training();
        let z: &[f64] = if self.z.is_empty() && self.sigmas.is_empty() {
            &TABLE_Z
        } else {
            &self.z
        };
        z.iter()
            .map(|&z| SigmaPoint {
                z: Some(z),
                sigma: training.sigma_at(z),
            })
            .chain(
                self.sigmas
                    .iter()
                    .map(|&sigma| SigmaPoint { z: None, sigma }),
            )
            .collect()
    }

    /// The noise models, duplicates removed.
    pub fn named_noises(&self) -> anyhow::Result<Vec<NamedNoise>> {
        let mut out: Vec<NamedNoise> = Vec::new();
        for spec in &self.noises {
            let noise = parse_noise(spec)?;
            if !out.iter().any(|n| n.name == noise.name) {
                out.push(noise);
            }
        }
        Ok(out)
    }
}

#[derive(serde::Serialize)]
struct NoiseTableJson<'a> {
    structure: InspectReport,
    device: String,
    device_choice: Option<String>,
    training: TrainingSigma,
    findings: Vec<NoiseFinding<'a>>,
    repeats: u32,
    seed: u64,
    rows: &'a [TableRow],
    summary: Vec<String>,
    units: std::collections::BTreeMap<&'static str, &'static str>,
}

/// A finding about one of the table's noises.
#[derive(serde::Serialize)]
struct NoiseFinding<'a> {
    noise: &'a str,
    #[serde(flatten)]
    finding: crate::diagnosis::Finding,
}

/// The diagnosis of each noise's weights (no sampler, no run).
fn noise_findings<'a>(structure: &Structure, noises: &'a [NamedNoise]) -> Vec<NoiseFinding<'a>> {
    noises
        .iter()
        .flat_map(|noise| {
            crate::diagnosis::diagnose(&crate::diagnosis::DiagnosisInput {
                structure,
                noise: Some(noise),
                preset: None,
                start: None,
                per_level_precondition: false,
                metrics: &[],
            })
            .into_iter()
            .map(|finding| NoiseFinding {
                noise: &noise.name,
                finding,
            })
        })
        .collect()
}

/// Runs `noise-table`.
pub fn run(args: &NoiseTableArgs) -> anyhow::Result<()> {
    let structure = load_structure(&args.file, &args.load)?;
    let spec = NoiseTableSpec {
        noises: args.named_noises()?,
        points: args.points(),
        repeats: args.repeats as usize,
        seed: args.seed,
    };
    let compute = super::compute_device(args.device)?;
    let table = noise_table(
        &structure,
        &spec,
        &compute.device,
        args.export_pdb.is_some(),
    )?;
    if let Some(out) = &args.export_pdb {
        export(out, &structure, &spec, &table)?;
    }
    let summary = summary_text(&table.rows);
    if args.json {
        let json = NoiseTableJson {
            structure: InspectReport::of(&structure),
            device: compute.describe(),
            device_choice: super::device_choice(&compute),
            training: args.training(),
            findings: noise_findings(&structure, &spec.noises),
            repeats: args.repeats,
            seed: args.seed,
            rows: &table.rows,
            summary: summary.lines().map(str::to_owned).collect(),
            units: super::units_json(&crate::noise::TABLE_UNITS),
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("device: {}", compute.describe_choice());
        println!(
            "structure: {} ({} atoms, {} residues, {} chains), {} repeats, seed {}",
            structure.name,
            structure.atom_count(),
            structure.residue_count(),
            structure.chain_count(),
            args.repeats,
            args.seed
        );
        print!("{}", table_text(&table.rows));
        print!("{summary}");
        if let Some(out) = &args.export_pdb {
            println!(
                "wrote {} and {}",
                out.display(),
                residue_level_path(out).display()
            );
        }
    }
    Ok(())
}

fn export(
    out: &std::path::Path,
    structure: &Structure,
    spec: &NoiseTableSpec,
    table: &crate::noise::NoiseTable,
) -> anyhow::Result<()> {
    let mut labels = Vec::new();
    for point in &spec.points {
        for noise in &spec.noises {
            let z = point.z.map_or_else(String::new, |z| format!(" z={z}"));
            labels.push(format!("noise={}{z} sigma={:.4}", noise.name, point.sigma));
        }
    }
    let positions: Vec<Vec<[f32; 3]>> = table
        .samples
        .iter()
        .map(|d| {
            structure
                .positions
                .iter()
                .zip(d)
                .map(|(p, d)| [p[0] + d[0], p[1] + d[1], p[2] + d[2]])
                .collect()
        })
        .collect();
    let magnitudes: Vec<Vec<f32>> = table
        .samples
        .iter()
        .map(|d| {
            d.iter()
                .map(|v| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt())
                .collect()
        })
        .collect();
    let frames: Vec<ExportFrame<'_>> = labels
        .iter()
        .zip(&positions)
        .zip(&magnitudes)
        .map(|((label, positions), b)| ExportFrame {
            label,
            positions,
            b_factors: Some(b),
        })
        .collect();
    write_trajectory_pdb(out, structure, &frames, ExportOptions::default())?;
    write_residue_level_pdb(
        &residue_level_path(out),
        structure,
        &frames,
        ExportOptions::default(),
    )?;
    Ok(())
}
