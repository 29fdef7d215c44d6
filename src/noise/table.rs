//! The per-level displacement table of note 004, measured on the device next to the closed form:
//! for every sigma and noise model, how far atoms, residue centroids and chain centroids move, and how
//! much of that motion is their own rather than inherited from the level above.

use burn::tensor::{Device, Tensor};
use serde::ser::SerializeMap as _;

use super::draw::HierarchyTensors;
use super::expected::{
    AXES, CentredMeanSquares, GroupSizes, LevelMeanSquares, expected_centred_mean_squares,
    expected_mean_squares, rms_3d,
};
use super::rows::{LEVEL_COLUMNS, draw_noise_rows, level_mean_squares};
use super::weights::{LevelStds, LevelWeights, NamedNoise, NoiseError};
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// The training noise distribution σ = scale · exp(P_mean + P_std z): EDM's own loss draws it with no
/// scale (Karras et al. 2022, Table 1), AF3, Boltz and Chai-1 multiply by σ_data (AF3: σ_data 16,
/// P_mean −1.2, P_std 1.5, the default here).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrainingSigma {
    /// What exp(P_mean + P_std z) is multiplied by, Å: σ_data for AF3, Boltz and Chai-1; 1 for EDM's
    /// own loss.
    pub scale: f64,
    /// P_mean.
    pub p_mean: f64,
    /// P_std.
    pub p_std: f64,
}

impl Default for TrainingSigma {
    fn default() -> Self {
        Self {
            scale: 16.0,
            p_mean: -1.2,
            p_std: 1.5,
        }
    }
}

/// The noise table's default z grid [note 004], also the grid of the per-σ reports.
pub const TABLE_Z: [f64; 7] = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];

impl TrainingSigma {
    /// sigma at standard-normal quantile `z`.
    pub fn sigma_at(&self, z: f64) -> f64 {
        self.scale * (self.p_mean + self.p_std * z).exp()
    }

    /// The sigmas of the `TABLE_Z` grid, Å.
    pub fn table_sigmas(&self) -> Vec<f64> {
        TABLE_Z.iter().map(|&z| self.sigma_at(z)).collect()
    }
}

/// One row's noise level: the sigma, and the z it came from when it came from one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmaPoint {
    /// Standard-normal quantile of the training distribution, if the sigma was given by z.
    pub z: Option<f64>,
    /// sigma, Å.
    pub sigma: f64,
}

/// What to tabulate.
#[derive(Debug, Clone)]
pub struct NoiseTableSpec {
    /// Noise models, in column order.
    pub noises: Vec<NamedNoise>,
    /// Rows.
    pub points: Vec<SigmaPoint>,
    /// Independent draws per cell.
    pub repeats: usize,
    /// Seed of the device generator.
    pub seed: u64,
}

/// A measured figure with its closed-form expectation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Figure {
    /// Measured over the draws.
    pub measured: f64,
    /// Closed form from the weights and the group sizes.
    pub expected: f64,
    /// Standard error of `measured` over the repeats (none with a single repeat).
    pub stderr: Option<f64>,
}

/// RMS displacement of one level.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelFigures {
    /// 3-D RMS displacement per point (Å).
    pub abs: Figure,
    /// 3-D RMS displacement relative to the parent level (Å): the motion the level makes on its own.
    pub rel: Figure,
    /// rel / abs: the share of the level's motion that is independent of its parent.
    pub independent_share: Figure,
}

/// One noise model at one sigma.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NoiseCell {
    /// Weights in force at this sigma (flat noise is (0, 0, 1)).
    pub weights: LevelWeights,
    /// Per-level stds drawn at this sigma (Å).
    pub stds: LevelStds,
    /// Atoms (rel: relative to their residue centroid).
    pub atom: LevelFigures,
    /// Residue centroids (rel: relative to their chain centroid).
    pub residue: LevelFigures,
    /// Chain centroids (rel: relative to the mean of all chain centroids); null with one chain.
    pub chain: Option<LevelFigures>,
    /// Why `chain` is null, when it is.
    pub chain_undefined: Option<String>,
    /// Residue abs / atom abs (note 004's `ms_r/a`).
    pub residue_over_atom: Figure,
    /// Chain abs / residue abs; null with one chain.
    pub chain_over_residue: Option<Figure>,
    /// The same absolute figures after centring (what Boltz/AF3 centring and our augmentation leave).
    pub centred: CentredFigures,
}

/// Absolute 3-D RMS displacements after centring (the atom mean removed). Relative figures do not change.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CentredFigures {
    /// Atoms.
    pub atom: Figure,
    /// Residue centroids.
    pub residue: Figure,
    /// Chain centroids; null with one chain.
    pub chain: Option<Figure>,
    /// Centred residue / centred atom.
    pub residue_over_atom: Figure,
    /// Share of the atoms' noise variance that centring removes: the global translation, 1 − centred² / abs²
    /// (expected, from the closed forms).
    pub translation_share: f64,
}

/// Noise cells of one row, in the order the noises were given (serialised as a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseCells(pub Vec<(String, NoiseCell)>);

impl serde::Serialize for NoiseCells {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, cell) in &self.0 {
            map.serialize_entry(name, cell)?;
        }
        map.end()
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableRow {
    /// z of the row, if given by z.
    pub z: Option<f64>,
    /// sigma, Å.
    pub sigma: f64,
    /// One cell per noise model.
    pub noises: NoiseCells,
}

/// The whole table, plus one noised sample per cell for export.
#[derive(Debug, Clone)]
pub struct NoiseTable {
    /// Rows in order.
    pub rows: Vec<TableRow>,
    /// For each (row, noise) in row-major order: the first draw's displacement per atom, if requested.
    pub samples: Vec<Vec<[f32; 3]>>,
}

const SINGLE_CHAIN: &str =
    "one chain: the chain level is a single point, so its spread is undefined";

/// Chain-level figures exist only with two or more chains.
fn chain_defined(structure: &Structure) -> bool {
    structure.chain_count() >= 2
}

/// Computes the table on `device`. With `keep_samples`, the first draw of every cell is read back too.
pub fn noise_table(
    structure: &Structure,
    spec: &NoiseTableSpec,
    device: &Device,
    keep_samples: bool,
) -> Result<NoiseTable, NoiseError> {
    if let Some(bad) = spec
        .points
        .iter()
        .find(|p| !(p.sigma.is_finite() && p.sigma > 0.0))
    {
        return Err(NoiseError::InvalidSigma(bad.sigma));
    }
    let repeats = spec.repeats.max(1);
    let hierarchy = HierarchyTensors::new(structure, device);
    let sizes = GroupSizes::of(structure);
    // Every cell draws from its own stream of the table's seed.
    let mut seeds = SplitMix64::new(spec.seed, 0);
    let mut stats = Vec::new();
    let mut samples = Vec::new();
    for point in &spec.points {
        for noise in &spec.noises {
            let stds = noise.model.stds(point.sigma);
            let displacement = draw_noise_rows(&hierarchy, stds, repeats, seeds.next_u64(), device);
            if keep_samples {
                samples.push(displacement.clone().narrow(0, 0, 1));
            }
            stats.push(level_mean_squares(&hierarchy, displacement));
        }
    }
    // One readback for the whole table: the device never waits on the host in between.
    let values = read_f32(Tensor::cat(stats, 0))?;
    let samples = samples
        .into_iter()
        .map(|s| read_f32(s).map(|rows| crate::geometry::points_of_rows(&rows, None)))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    let mut cells = values.chunks_exact(repeats * LEVEL_COLUMNS);
    for point in &spec.points {
        let mut row = Vec::new();
        for noise in &spec.noises {
            let per_repeat = cells.next().unwrap_or_default();
            let stds = noise.model.stds(point.sigma);
            let expected = expected_mean_squares(&sizes, stds);
            let centred = expected_centred_mean_squares(&sizes, stds);
            row.push((
                noise.name.clone(),
                cell(
                    per_repeat,
                    &expected,
                    &centred,
                    noise.model.weights_at(point.sigma),
                    stds,
                    chain_defined(structure),
                ),
            ));
        }
        rows.push(TableRow {
            z: point.z,
            sigma: point.sigma,
            noises: NoiseCells(row),
        });
    }
    Ok(NoiseTable { rows, samples })
}

fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, NoiseError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| NoiseError::Device(format!("{e:?}")))
}

/// Per-repeat values of one column.
fn column(per_repeat: &[f32], c: usize) -> Vec<f64> {
    per_repeat
        .chunks_exact(LEVEL_COLUMNS)
        .map(|r| f64::from(r[c]))
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Standard error of the mean of `v` (none for fewer than 2 values).
fn standard_error(v: &[f64]) -> Option<f64> {
    (v.len() >= 2).then(|| {
        let m = mean(v);
        let variance = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (variance / v.len() as f64).sqrt()
    })
}

fn safe_sqrt_ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        (num / den).max(0.0).sqrt()
    } else {
        0.0
    }
}

/// How every figure of the table is measured (the `units` of `noise-table --json`).
pub const TABLE_UNITS: [(&str, &str); 3] = [
    (
        "abs, rel, centred",
        "rms_3d: 3-D RMS displacement per point, Å (√3 × the per-coordinate std for isotropic noise)",
    ),
    (
        "stds, sigma",
        "rms_per_coordinate: noise std per coordinate, Å",
    ),
    (
        "residue_over_atom, independent_share",
        "ratios of rms_3d figures (unit-free)",
    ),
];

/// 3-D RMS figure from per-repeat mean squares per coordinate: pooled, with the delta-method standard
/// error.
fn rms_figure(ms: &[f64], expected_ms: f64) -> Figure {
    let pooled = mean(ms);
    let measured = rms_3d(pooled);
    Figure {
        measured,
        expected: rms_3d(expected_ms),
        stderr: standard_error(ms).map(|se| {
            if measured > 0.0 {
                AXES * se / (2.0 * measured)
            } else {
                0.0
            }
        }),
    }
}

/// Ratio of two RMS figures: pooled, with the standard error of the per-repeat ratios.
fn ratio_figure(num: &[f64], den: &[f64], expected_num: f64, expected_den: f64) -> Figure {
    let per_repeat: Vec<f64> = num
        .iter()
        .zip(den)
        .map(|(n, d)| safe_sqrt_ratio(*n, *d))
        .collect();
    Figure {
        measured: safe_sqrt_ratio(mean(num), mean(den)),
        expected: safe_sqrt_ratio(expected_num, expected_den),
        stderr: standard_error(&per_repeat),
    }
}

fn level(abs: &[f64], rel: &[f64], expected_abs: f64, expected_rel: f64) -> LevelFigures {
    LevelFigures {
        abs: rms_figure(abs, expected_abs),
        rel: rms_figure(rel, expected_rel),
        independent_share: ratio_figure(rel, abs, expected_rel, expected_abs),
    }
}

fn cell(
    per_repeat: &[f32],
    e: &LevelMeanSquares,
    centred: &CentredMeanSquares,
    weights: LevelWeights,
    stds: LevelStds,
    chain_defined: bool,
) -> NoiseCell {
    let c: Vec<Vec<f64>> = (0..LEVEL_COLUMNS).map(|i| column(per_repeat, i)).collect();
    NoiseCell {
        weights,
        stds,
        atom: level(&c[0], &c[1], e.atom_abs, e.atom_rel),
        residue: level(&c[2], &c[3], e.residue_abs, e.residue_rel),
        chain: chain_defined.then(|| level(&c[4], &c[5], e.chain_abs, e.chain_rel)),
        chain_undefined: (!chain_defined).then(|| SINGLE_CHAIN.to_owned()),
        residue_over_atom: ratio_figure(&c[2], &c[0], e.residue_abs, e.atom_abs),
        chain_over_residue: chain_defined
            .then(|| ratio_figure(&c[4], &c[2], e.chain_abs, e.residue_abs)),
        centred: CentredFigures {
            atom: rms_figure(&c[6], centred.atom),
            residue: rms_figure(&c[7], centred.residue),
            chain: chain_defined.then(|| rms_figure(&c[8], centred.chain)),
            residue_over_atom: ratio_figure(&c[7], &c[6], centred.residue, centred.atom),
            translation_share: centred.translation_share(e),
        },
    }
}
