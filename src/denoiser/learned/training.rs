//! Training the multiscale denoiser on one structure with burn's autodiff and Adam: each step draws
//! σ from the training distribution (ln σ/σ_data ~ N(P_mean, P_std), EDM §5) and noise from the noise
//! model for a few copies of the structure, predicts x̂0 at every level and steps on the loss of the
//! configured form. After training, the per-σ report (note 001's diagnostic) measures the RMSE of x̂0 at
//! each level and the gradient norm reaching the output layer at the 7 σ of the noise table's z grid.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

use super::config::{
    ConditioningMode, LossMode, ModelConfig, OutputForm, PreconditionMode, TrainConfig,
};
use super::model::{LevelCoefficients, LevelPredictions, MultiscaleNetwork, Topology};
use crate::geometry::{RigidTransform, centroid, random_rotation};
use crate::noise::{GroupSizes, NoiseModel, TrainingSigma, draw_noise, expected_mean_squares};
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// What the per-level preconditioning needs of a structure: its group sizes (for each level's noise)
/// and the spread of each level's part of the truth (each level's σ_data).
#[derive(Debug, Clone)]
pub struct LevelScales {
    /// Group sizes.
    pub sizes: GroupSizes,
    /// Per-coordinate RMS of the truth's atom offsets from their residue centroid, residue centroids'
    /// offsets from their chain centroid, and chain centroids from their mean (at least 1 Å), Å.
    pub data: [f64; 3],
}

impl LevelScales {
    /// The scales of `structure`.
    pub fn of(structure: &Structure) -> Self {
        let truth = &structure.positions;
        let residues = structure.residue_centroids(truth);
        let chains = structure.chain_centroids(&residues);
        let chain_mean = centroid(&chains).map(|v| v as f32);
        let rms = |pairs: &mut dyn Iterator<Item = ([f32; 3], [f32; 3])>| {
            let (mut sum, mut n) = (0.0f64, 0usize);
            for (a, b) in pairs {
                sum += (0..3).map(|k| f64::from(a[k] - b[k]).powi(2)).sum::<f64>();
                n += 3;
            }
            (sum / n.max(1) as f64).sqrt()
        };
        let atom = rms(&mut truth
            .iter()
            .zip(&structure.atom_residue)
            .map(|(p, &r)| (*p, residues[r as usize])));
        let residue = rms(&mut residues
            .iter()
            .zip(&structure.residue_chain)
            .map(|(p, &c)| (*p, chains[c as usize])));
        let chain = rms(&mut chains.iter().map(|c| (*c, chain_mean)));
        Self {
            sizes: GroupSizes::of(structure),
            data: [atom.max(0.1), residue.max(0.1), chain.max(1.0)],
        }
    }
}

/// Each level's noise as the network sees it, per coordinate at global σ: the displacement of atoms
/// from their residue centroid, of residue centroids from their chain's, and of chain centroids
/// (a centroid is the mean of its members, so var(member − centroid) = var(member) − var(centroid)).
pub fn level_sigmas(sizes: &GroupSizes, noise: &NoiseModel, sigma: f64) -> [f64; 3] {
    let e = expected_mean_squares(sizes, noise.stds(sigma));
    [
        (e.atom_abs - e.residue_abs).max(0.0).sqrt(),
        (e.residue_abs - e.chain_abs).max(0.0).sqrt(),
        e.chain_abs.sqrt(),
    ]
}

fn column(values: impl Iterator<Item = f64>, device: &Device) -> Tensor<3> {
    let v: Vec<f32> = values.map(|x| x as f32).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n, 1, 1]), device)
}

/// The coefficients of `config` for draws at global σ `sigmas` (EDM eq. 7 per level): with
/// per-level preconditioning each level's part uses its own noise σ_L and data spread σ_data,L; with
/// the global one every level uses σ and σ_data [note 002 §2]. The conditioning is
/// c_noise = ln(σ_L / σ_data,L) / 4 per level, or the global one everywhere (pitfall 6).
pub fn coefficients(
    config: &ModelConfig,
    scales: &LevelScales,
    noise: &NoiseModel,
    sigmas: &[f64],
    device: &Device,
) -> LevelCoefficients {
    let levels: Vec<[f64; 3]> = sigmas
        .iter()
        .map(|&s| level_sigmas(&scales.sizes, noise, s))
        .collect();
    let sd = config.sigma_data;
    // (σ, σ_data) of `level` for `draw`.
    let pick = |per_level: bool, draw: usize, level: usize| {
        if per_level {
            (levels[draw][level].max(1e-6), scales.data[level])
        } else {
            (sigmas[draw].max(1e-6), sd)
        }
    };
    let per_level_precondition = config.precondition == PreconditionMode::PerLevel;
    let per_level_conditioning = config.conditioning == ConditioningMode::PerLevel;
    let build = |f: &dyn Fn(f64, f64) -> f64, per_level: bool| -> [Tensor<3>; 3] {
        std::array::from_fn(|level| {
            column(
                (0..sigmas.len()).map(|draw| {
                    let (s, d) = pick(per_level, draw, level);
                    f(s, d)
                }),
                device,
            )
        })
    };
    LevelCoefficients {
        sigma: build(&|s, _| s, per_level_precondition),
        c_in: build(&|s, d| 1.0 / (s * s + d * d).sqrt(), per_level_precondition),
        c_skip: build(&|s, d| d * d / (s * s + d * d), per_level_precondition),
        c_out: build(
            &|s, d| s * d / (s * s + d * d).sqrt(),
            per_level_precondition,
        ),
        // Boltz / AF3: c_noise = ln(σ / σ_data) / 4.
        c_noise: build(&|s, d| (s / d).ln() / 4.0, per_level_conditioning),
    }
}

/// The loss weight λ(σ) of the output form (EDM eq. 8 for the EDM and v forms).
fn loss_weight(output: OutputForm, sigma: f64, sigma_data: f64) -> f64 {
    let s = sigma.max(1e-6);
    match output {
        OutputForm::Edm | OutputForm::V => {
            (s * s + sigma_data * sigma_data) / (s * sigma_data).powi(2)
        }
        OutputForm::X0 | OutputForm::Residual => 1.0 / (sigma_data * sigma_data),
        OutputForm::Eps => 1.0 / (s * s),
    }
}

/// The step's learning rate: a linear warm-up over the first 5% of steps, then a cosine decay to 5%
/// of the peak (the usual transformer schedule; the last steps refine what the first ones found).
fn learning_rate(train: &TrainConfig, step: usize) -> f64 {
    let total = train.steps.max(1) as f64;
    let warmup = (0.05 * total).max(1.0);
    let s = step as f64;
    let shape = if s < warmup {
        s / warmup
    } else {
        let progress = ((s - warmup) / (total - warmup).max(1.0)).min(1.0);
        0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    };
    train.learning_rate * shape
}

/// The loss of one step and its per-level parts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LossRecord {
    /// Optimizer step (1-based).
    pub step: usize,
    /// The loss stepped on.
    pub total: f64,
    /// λ-weighted mean squared error of atoms, residue centroids and chain centroids.
    pub atom: f64,
    /// See `atom`.
    pub residue: f64,
    /// See `atom`.
    pub chain: f64,
}

/// One row of the per-σ report.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SigmaReportRow {
    /// z of the training distribution.
    pub z: f64,
    /// σ, Å.
    pub sigma: f64,
    /// RMSE of x̂0 at atoms (3-D RMS, Å).
    pub atom_rmse: f64,
    /// RMSE of the residue-level x̂0 against the true residue centroids.
    pub residue_rmse: f64,
    /// RMSE of the chain-level x̂0 against the true chain centroids.
    pub chain_rmse: f64,
    /// L2 norm of the loss gradient reaching the output layer (the three heads' weights).
    pub output_gradient_norm: f64,
}

/// The ground truth in the model's frame and what a step needs of the structure.
pub struct TrainingData {
    /// The structure's topology on the training device.
    pub topology: Topology,
    /// Group sizes and data spreads (for the level σ).
    pub scales: LevelScales,
    /// Ground truth in the model's frame (`model_frame_origin` subtracted), [N, 3] rows.
    pub truth: Vec<[f32; 3]>,
}

/// Where a fixed-frame model's frame sits in the data frame: the truth's centroid, Å.
pub fn model_frame_origin(structure: &Structure) -> [f64; 3] {
    centroid(&structure.positions)
}

impl TrainingData {
    /// The structure's data on `device`.
    pub fn new(structure: &Structure, device: &Device) -> Self {
        let origin = model_frame_origin(structure);
        let truth = structure
            .positions
            .iter()
            .map(|p| std::array::from_fn(|k| (f64::from(p[k]) - origin[k]) as f32))
            .collect();
        Self {
            topology: Topology::new(structure, device),
            scales: LevelScales::of(structure),
            truth,
        }
    }
}

/// A batch: noisy states and their targets at each level.
struct Batch {
    x: Tensor<3>,
    target: LevelTargets,
    sigmas: Vec<f64>,
}

struct LevelTargets {
    atoms: Tensor<3>,
    residues: Tensor<3>,
    chains: Tensor<3>,
}

/// Draws `sigmas.len()` noisy copies of the truth (augmented by a random rotation and translation when
/// `augment`).
fn draw_batch(
    data: &TrainingData,
    noise: &NoiseModel,
    sigmas: Vec<f64>,
    augment: Option<f64>,
    seeds: &mut SplitMix64,
    device: &Device,
) -> Batch {
    let n = data.truth.len();
    let mut targets: Vec<f32> = Vec::with_capacity(sigmas.len() * n * 3);
    let mut displacements = Vec::with_capacity(sigmas.len());
    for &sigma in &sigmas {
        let target: Vec<[f32; 3]> = match augment {
            Some(translation_std) => {
                let mut rng = SplitMix64::new(seeds.next_u64(), 0xa6);
                let motion = RigidTransform {
                    rotation: random_rotation(&mut rng),
                    translation: std::array::from_fn(|_| rng.normal() * translation_std),
                };
                motion.apply_all(&data.truth)
            }
            None => data.truth.clone(),
        };
        targets.extend(target.iter().flatten());
        displacements.push(
            draw_noise(
                &data.topology.hierarchy,
                noise.stds(sigma),
                1,
                seeds.next_u64(),
                device,
            )
            .reshape([1, n, 3]),
        );
    }
    let b = sigmas.len();
    let atoms: Tensor<3> = Tensor::from_data(TensorData::new(targets, [b, n, 3]), device);
    let x = atoms.clone() + Tensor::cat(displacements, 0);
    let residues = data.topology.residue_means(atoms.clone());
    let chains = data.topology.chain_means(residues.clone());
    Batch {
        x,
        target: LevelTargets {
            atoms,
            residues,
            chains,
        },
        sigmas,
    }
}

/// Squared error per element, summed over xyz: [B, M, 1].
fn squared_error(prediction: Tensor<3>, target: Tensor<3>) -> Tensor<3> {
    (prediction - target).powi_scalar(2).sum_dim(2)
}

/// The loss and its per-level λ-weighted means.
fn loss(
    model: &ModelConfig,
    train: &TrainConfig,
    predictions: &LevelPredictions,
    batch: &Batch,
    coefficients: &LevelCoefficients,
    device: &Device,
) -> (Tensor<1>, [Tensor<1>; 3]) {
    let global = column(
        batch
            .sigmas
            .iter()
            .map(|&s| loss_weight(model.output, s, model.sigma_data)),
        device,
    );
    // EDM's λ = 1 / c_out² makes F's target unit-variance (EDM §5); with per-level preconditioning
    // each level's own c_out gives it, where the global one would let the smallest σ dominate.
    // These are not each level's whole weight: the atom prediction is assembled from the residue and
    // chain outputs (atom = chain + residue offset + atom offset), so a residue-output error also
    // enters the atom term once per atom of the residue with the atoms' λ. Its effective weight is
    // λ_r / R + n λ_a / N per unit error (R residues, N atoms, n of them in the residue), which grows
    // with σ wherever λ_a outweighs λ_r; the ε form's global σ weighs the same way.
    let weights: [Tensor<3>; 3] = std::array::from_fn(|level| match model.output {
        OutputForm::Edm | OutputForm::V => coefficients.c_out[level].clone().powi_scalar(2).recip(),
        _ => global.clone(),
    });
    let [wa, wr, wc] = weights;
    let errors = [
        squared_error(predictions.atoms.clone(), batch.target.atoms.clone()) * wa,
        squared_error(predictions.residues.clone(), batch.target.residues.clone()) * wr,
        squared_error(predictions.chains.clone(), batch.target.chains.clone()) * wc,
    ];
    let counts = errors
        .clone()
        .map(|e| e.dims().iter().product::<usize>() as f64);
    let means = errors.clone().map(|e| e.mean());
    let total = match train.loss {
        LossMode::EqualSum => {
            let [a, r, c] = errors.map(|e| e.sum());
            (a + r + c) / (counts.iter().sum::<f64>())
        }
        LossMode::LevelMean => {
            let w = train.level_loss_weights;
            let [a, r, c] = means.clone();
            (a * w[0] + r * w[1] + c * w[2]) / w.iter().sum::<f64>().max(1e-12)
        }
    };
    (total, means)
}

/// One-element tensors read back in one transfer (NaN where the read fails).
fn scalars<const K: usize>(values: [Tensor<1>; K]) -> [f64; K] {
    let read = Tensor::cat(values.to_vec(), 0)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    std::array::from_fn(|k| read.get(k).copied().map_or(f64::NAN, f64::from))
}

fn scalar(t: Tensor<1>) -> f64 {
    let [value] = scalars([t]);
    value
}

/// Why training stopped early.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error("training diverged at step {0}: the loss is not finite (lower the learning rate)")]
    Diverged(usize),
    /// The structure is too large for residue attention on this device.
    #[error(
        "{residues} residues ({atoms} atoms) need {need_gib:.1} GiB per training step (residue attention and the atom track); this machine allows {max_residues} residues of this size ({budget_gib:.1} GiB)"
    )]
    TooLarge {
        /// Residues of the structure.
        residues: usize,
        /// Atoms of the structure.
        atoms: usize,
        /// The most this device allows.
        max_residues: usize,
        /// GiB the step needs.
        need_gib: f64,
        /// GiB available.
        budget_gib: f64,
    },
}

/// A training run's outcome: the trained network, every step's loss, and whether it was cancelled.
pub struct Trained {
    /// The network (on the training device, autodiff included).
    pub network: MultiscaleNetwork,
    /// One record per step taken.
    pub losses: Vec<LossRecord>,
    /// True when `keep_going` stopped it.
    pub cancelled: bool,
}

/// Trains a new network; `keep_going(loss)` is called after each step and can stop the run.
pub fn train_network(
    model: &ModelConfig,
    train: &TrainConfig,
    noise: &NoiseModel,
    structure: &Structure,
    device: &Device,
    mut keep_going: impl FnMut(&LossRecord) -> bool,
) -> Result<Trained, TrainError> {
    let device = device.clone().autodiff();
    let data = TrainingData::new(structure, &device);
    let mut network = MultiscaleNetwork::new(model, structure.atom_count(), train.seed, &device);
    let mut optimizer = AdamConfig::new().init();
    let mut seeds = SplitMix64::new(train.seed, 0x7a1);
    let distribution = TrainingSigma {
        scale: model.sigma_data,
        p_mean: train.p_mean,
        p_std: train.p_std,
    };
    let mut losses = Vec::with_capacity(train.steps);
    let augment = train.augment.then_some(train.translation_std);
    for step in 1..=train.steps {
        let sigmas = (0..train.draws.max(1))
            .map(|_| distribution.sigma_at(seeds.normal()))
            .collect();
        let batch = draw_batch(&data, noise, sigmas, augment, &mut seeds, &device);
        let c = coefficients(model, &data.scales, noise, &batch.sigmas, &device);
        let predictions = network.forward(&data.topology, batch.x.clone(), &c);
        let (total, levels) = loss(model, train, &predictions, &batch, &c, &device);
        let grads = GradientsParams::from_grads(total.backward(), &network);
        network = optimizer.step(learning_rate(train, step), network, grads);
        // One readback a step: on a GPU each read is a sync.
        let [atom_loss, residue_loss, chain_loss] = levels;
        let [total, atom, residue, chain] = scalars([total, atom_loss, residue_loss, chain_loss]);
        let record = LossRecord {
            step,
            total,
            atom,
            residue,
            chain,
        };
        if !record.total.is_finite() {
            return Err(TrainError::Diverged(step));
        }
        losses.push(record);
        if !keep_going(&record) {
            return Ok(Trained {
                network,
                losses,
                cancelled: true,
            });
        }
    }
    Ok(Trained {
        network,
        losses,
        cancelled: false,
    })
}

/// The per-σ report of `network` at the noise table's z grid, `draws` draws per σ, in the frames the
/// model was trained in (augmented when it was).
pub fn sigma_report(
    network: &MultiscaleNetwork,
    model: &ModelConfig,
    train: &TrainConfig,
    noise: &NoiseModel,
    structure: &Structure,
    draws: usize,
    device: &Device,
) -> Vec<SigmaReportRow> {
    let device = device.clone().autodiff();
    let network = network.clone().fork(&device);
    let data = TrainingData::new(structure, &device);
    let distribution = TrainingSigma {
        scale: model.sigma_data,
        p_mean: train.p_mean,
        p_std: train.p_std,
    };
    let mut seeds = SplitMix64::new(train.seed ^ 0x5e_7a, 0x9e);
    let augment = train.augment.then_some(train.translation_std);
    crate::noise::TABLE_Z
        .iter()
        .map(|&z| {
            let sigma = distribution.sigma_at(z);
            let batch = draw_batch(
                &data,
                noise,
                vec![sigma; draws.max(1)],
                augment,
                &mut seeds,
                &device,
            );
            let c = coefficients(model, &data.scales, noise, &batch.sigmas, &device);
            let predictions = network.forward(&data.topology, batch.x.clone(), &c);
            let rmse = |p: Tensor<3>, t: Tensor<3>| scalar(squared_error(p, t).mean()).sqrt();
            let atom_rmse = rmse(predictions.atoms.clone(), batch.target.atoms.clone());
            let residue_rmse = rmse(predictions.residues.clone(), batch.target.residues.clone());
            let chain_rmse = rmse(predictions.chains.clone(), batch.target.chains.clone());
            let (total, _) = loss(model, train, &predictions, &batch, &c, &device);
            let grads = total.backward();
            let heads = [
                &network.atom_head,
                &network.residue_head,
                &network.chain_head,
            ];
            let squared: f64 = heads
                .iter()
                .filter_map(|h| h.weight.val().grad(&grads))
                .map(|g| scalar(g.powi_scalar(2).sum()))
                .sum();
            SigmaReportRow {
                z,
                sigma,
                atom_rmse,
                residue_rmse,
                chain_rmse,
                output_gradient_norm: squared.sqrt(),
            }
        })
        .collect()
}
