//! Training the multiscale denoiser on one structure with burn's autodiff and Adam: each step draws
//! σ from the training distribution (ln σ/σ_data ~ N(P_mean, P_std), EDM §5) and noise from the noise
//! model for a few copies of the structure, predicts x̂0 at every level and steps on the loss of the
//! configured form. After training, the per-σ report (seed 001's diagnostic) measures the RMSE of x̂0 at
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

/// The three levels' σ for each draw (atom, residue, chain) as the preconditioning and the noise
/// conditioning see them.
pub fn level_sigmas(sizes: &GroupSizes, noise: &NoiseModel, sigma: f64) -> [f64; 3] {
    let e = expected_mean_squares(sizes, noise.stds(sigma));
    [sigma, e.residue_abs.sqrt(), e.chain_abs.sqrt()]
}

fn column(values: impl Iterator<Item = f64>, device: &Device) -> Tensor<3> {
    let v: Vec<f32> = values.map(|x| x as f32).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n, 1, 1]), device)
}

/// The coefficients of `config` for draws at global σ `sigmas` (EDM eq. 7 per level).
pub fn coefficients(
    config: &ModelConfig,
    sizes: &GroupSizes,
    noise: &NoiseModel,
    sigmas: &[f64],
    device: &Device,
) -> LevelCoefficients {
    let levels: Vec<[f64; 3]> = sigmas
        .iter()
        .map(|&s| level_sigmas(sizes, noise, s))
        .collect();
    let sd = config.sigma_data;
    let pick = |mode_per_level: bool, draw: usize, level: usize| {
        if mode_per_level {
            levels[draw][level].max(1e-6)
        } else {
            sigmas[draw].max(1e-6)
        }
    };
    let per_level_precondition = config.precondition == PreconditionMode::PerLevel;
    let per_level_conditioning = config.conditioning == ConditioningMode::PerLevel;
    let build = |f: &dyn Fn(f64) -> f64, per_level: bool| -> [Tensor<3>; 3] {
        std::array::from_fn(|level| {
            column(
                (0..sigmas.len()).map(|draw| f(pick(per_level, draw, level))),
                device,
            )
        })
    };
    LevelCoefficients {
        sigma: build(&|s| s, per_level_precondition),
        c_in: build(&|s| 1.0 / (s * s + sd * sd).sqrt(), per_level_precondition),
        c_skip: build(&|s| sd * sd / (s * s + sd * sd), per_level_precondition),
        c_out: build(
            &|s| s * sd / (s * s + sd * sd).sqrt(),
            per_level_precondition,
        ),
        // Boltz / AF3: c_noise = ln(σ / σ_data) / 4.
        c_noise: build(&|s| (s / sd).ln() / 4.0, per_level_conditioning),
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
    /// Group sizes (for the level σ).
    pub sizes: GroupSizes,
    /// Ground truth centred on its centroid, [N, 3] rows.
    pub truth: Vec<[f32; 3]>,
    /// The centroid subtracted, Å (where the model's frame sits in the data frame).
    pub origin: [f64; 3],
}

impl TrainingData {
    /// The structure's data on `device`.
    pub fn new(structure: &Structure, device: &Device) -> Self {
        let origin = centroid(&structure.positions);
        let truth = structure
            .positions
            .iter()
            .map(|p| std::array::from_fn(|k| (f64::from(p[k]) - origin[k]) as f32))
            .collect();
        Self {
            topology: Topology::new(structure, device),
            sizes: GroupSizes::of(structure),
            truth,
            origin,
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
    device: &Device,
) -> (Tensor<1>, [Tensor<1>; 3]) {
    let weights = column(
        batch
            .sigmas
            .iter()
            .map(|&s| loss_weight(model.output, s, model.sigma_data)),
        device,
    );
    let errors = [
        squared_error(predictions.atoms.clone(), batch.target.atoms.clone()),
        squared_error(predictions.residues.clone(), batch.target.residues.clone()),
        squared_error(predictions.chains.clone(), batch.target.chains.clone()),
    ]
    .map(|e| e * weights.clone());
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

fn scalar(t: Tensor<1>) -> f64 {
    t.into_data()
        .try_to_vec::<f32>()
        .ok()
        .and_then(|v| v.first().copied())
        .map_or(f64::NAN, f64::from)
}

/// Why training stopped early.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error("training diverged at step {0}: the loss is not finite (lower the learning rate)")]
    Diverged(usize),
    /// The structure is too large for residue attention on this device.
    #[error(
        "{residues} residues need {need_gib:.1} GiB for residue attention per training step; this device allows {max_residues} residues ({budget_gib:.1} GiB)"
    )]
    TooLarge {
        /// Residues of the structure.
        residues: usize,
        /// The most this device allows.
        max_residues: usize,
        /// GiB the attention needs.
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
    let mut network = MultiscaleNetwork::new(model, train.seed, &device);
    let mut optimizer = AdamConfig::new().init();
    let mut seeds = SplitMix64::new(train.seed, 0x7a1);
    let distribution = TrainingSigma {
        sigma_data: model.sigma_data,
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
        let c = coefficients(model, &data.sizes, noise, &batch.sigmas, &device);
        let predictions = network.forward(&data.topology, batch.x.clone(), &c);
        let (total, levels) = loss(model, train, &predictions, &batch, &device);
        let grads = GradientsParams::from_grads(total.backward(), &network);
        network = optimizer.step(learning_rate(train, step), network, grads);
        let [atom, residue, chain] = levels.map(scalar);
        let record = LossRecord {
            step,
            total: scalar(total),
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
        sigma_data: model.sigma_data,
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
            let c = coefficients(model, &data.sizes, noise, &batch.sigmas, &device);
            let predictions = network.forward(&data.topology, batch.x.clone(), &c);
            let rmse = |p: Tensor<3>, t: Tensor<3>| scalar(squared_error(p, t).mean()).sqrt();
            let atom_rmse = rmse(predictions.atoms.clone(), batch.target.atoms.clone());
            let residue_rmse = rmse(predictions.residues.clone(), batch.target.residues.clone());
            let chain_rmse = rmse(predictions.chains.clone(), batch.target.chains.clone());
            let (total, _) = loss(model, train, &predictions, &batch, &device);
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
