//! A learned multiscale denoiser: a small burn network trained on the loaded structure with
//! one toggle per suspected cause of residues that do not move, its checkpoint, and the `Denoiser`
//! the samplers call.
//!
//! A checkpoint is one file: the line `sigmascope-learned 1`, one JSON line (the configs, the noise
//! model, the structure's shape and the model frame's origin, the loss curve and the per-σ report), then
//! the weights in burn's record format (burnpack).

mod attention;
mod config;
mod model;
mod topology;
mod training;

pub use attention::blocked_attention;
pub use config::{
    ConditioningMode, LevelInputs, LossMode, ModelConfig, OutputForm, PairBias, PreconditionMode,
    TrainConfig, toggles_code,
};
pub use model::{
    LevelCoefficients, LevelPredictions, MultiscaleNetwork, Topology, attention_training_step,
};
pub use training::{
    LevelScales, LossRecord, SigmaReportRow, TrainError, Trained, TrainingData, coefficients,
    level_sigmas, model_frame_origin, sigma_report, train_network,
};

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput, LevelX0};
use crate::noise::{NamedNoise, NoiseModel, parse_noise};
use crate::structure::Structure;

const MAGIC: &str = "sigmascope-learned 1";

/// Everything a checkpoint holds besides the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointHeader {
    /// The network's configuration.
    pub model: ModelConfig,
    /// How it was trained.
    pub train: TrainConfig,
    /// The training noise (`parse_noise` spelling).
    pub noise: String,
    /// The structure trained on.
    pub structure: String,
    /// Atoms, residues, chains of that structure.
    pub shape: [usize; 3],
    /// Where the model's frame sits in the data frame (the truth's centroid), Å.
    pub origin: [f64; 3],
    /// The loss of every step.
    pub losses: Vec<LossRecord>,
    /// The per-σ report after training.
    pub report: Vec<SigmaReportRow>,
    /// Seconds the training took.
    pub train_secs: f64,
    /// The device it was trained on.
    pub device: String,
}

/// A trained model: its header and its network.
#[derive(Debug, Clone)]
pub struct LearnedModel {
    /// Configs, noise, shape, curves.
    pub header: CheckpointHeader,
    /// The network.
    pub network: MultiscaleNetwork,
}

/// Why a learned model could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LearnedError {
    /// The file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The model was trained on a different structure.
    #[error(
        "the model was trained on {trained} ({trained_atoms} atoms, {trained_residues} residues), not on this structure ({atoms} atoms, {residues} residues)"
    )]
    OtherStructure {
        /// The structure it was trained on.
        trained: String,
        /// Its atoms.
        trained_atoms: usize,
        /// Its residues.
        trained_residues: usize,
        /// Atoms of the structure given.
        atoms: usize,
        /// Residues of the structure given.
        residues: usize,
    },
    /// The structure is too big for residue attention on this device.
    #[error("{0}")]
    TooLarge(String),
    /// The checkpoint's training noise does not parse.
    #[error("the model's training noise does not parse: {0}")]
    Noise(String),
}

/// Bytes this machine can give one training step: half the memory the system reports available
/// (4 GiB where it reports none).
pub fn training_memory_budget() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
                .map(|kib| kib * 1024)
        });
    available.map_or(4 << 30, |b| b / 2)
}

/// Refuses a structure of `atoms` and `residues` whose training step (or inference, `batch` 1)
/// would not fit this machine (`ModelConfig::step_bytes`).
pub fn check_size(
    model: &ModelConfig,
    atoms: usize,
    residues: usize,
    batch: usize,
) -> Result<(), TrainError> {
    let budget = training_memory_budget();
    let need = model.step_bytes(atoms, residues, batch);
    if need > budget {
        let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
        return Err(TrainError::TooLarge {
            residues,
            atoms,
            max_residues: model.max_residues(budget, batch, atoms_per_residue(atoms, residues)),
            need_gib: gib(need),
            budget_gib: gib(budget),
        });
    }
    Ok(())
}

/// Atoms a residue, for the size limits (1 where there are no residues).
pub fn atoms_per_residue(atoms: usize, residues: usize) -> f64 {
    if residues == 0 {
        1.0
    } else {
        atoms as f64 / residues as f64
    }
}

/// Where a model of `structure` is saved unless a path is chosen: `NAME.learned.mpk` next to its file,
/// or in the working directory for a bundled structure.
pub fn default_checkpoint_path(structure: &Structure) -> PathBuf {
    let name = format!("{}.learned.mpk", structure.name);
    match &structure.source_path {
        Some(p) => p.with_file_name(name),
        None => PathBuf::from(name),
    }
}

/// Draws per σ of the per-σ report.
pub const REPORT_DRAWS: usize = 4;

/// Trains a model on `structure` and measures its per-σ report: what `train` and the Train panel run.
/// `keep_going(loss)` after each step can stop it (the model so far is returned).
pub fn train_model(
    structure: &Structure,
    model: &ModelConfig,
    train: &TrainConfig,
    noise: &NamedNoise,
    device: &Device,
    device_name: &str,
    keep_going: impl FnMut(&LossRecord) -> bool,
) -> Result<LearnedModel, TrainError> {
    check_size(
        model,
        structure.atom_count(),
        structure.residue_count(),
        train.draws.max(1),
    )?;
    let clock = std::time::Instant::now();
    let trained = train_network(model, train, &noise.model, structure, device, keep_going)?;
    let train_secs = clock.elapsed().as_secs_f64();
    let report = sigma_report(
        &trained.network,
        model,
        train,
        &noise.model,
        structure,
        REPORT_DRAWS,
        device,
    );
    let mut train = train.clone();
    train.steps = trained.losses.len();
    Ok(LearnedModel {
        header: CheckpointHeader {
            model: model.clone(),
            train,
            noise: noise.name.clone(),
            structure: structure.name.clone(),
            shape: [
                structure.atom_count(),
                structure.residue_count(),
                structure.chain_count(),
            ],
            origin: model_frame_origin(structure),
            losses: trained.losses,
            report,
            train_secs,
            device: device_name.to_owned(),
        },
        network: trained.network.valid(),
    })
}

impl LearnedModel {
    /// Writes the checkpoint to `path` (atomically; never over `protected`).
    pub fn save(&self, path: &Path, protected: &[&Path]) -> Result<(), LearnedError> {
        let failed = |reason: String| LearnedError::File {
            path: path.to_owned(),
            reason,
        };
        let header = serde_json::to_string(&self.header).map_err(|e| failed(e.to_string()))?;
        let weights = self
            .network
            .valid()
            .into_record()
            .into_bytes()
            .map_err(|e| failed(e.to_string()))?;
        let mut bytes = Vec::with_capacity(weights.len() + header.len() + 32);
        bytes.extend_from_slice(MAGIC.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(header.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&weights);
        crate::structure::write_atomic(path, &bytes, protected).map_err(|e| failed(e.to_string()))
    }

    /// Reads a checkpoint onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self, LearnedError> {
        let failed = |reason: String| LearnedError::File {
            path: path.to_owned(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
        let mut parts = bytes.splitn(3, |&b| b == b'\n');
        let (Some(magic), Some(header), Some(weights)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(failed(
                "not a sigmascope learned-denoiser checkpoint".to_owned(),
            ));
        };
        if magic != MAGIC.as_bytes() {
            return Err(failed(
                "not a sigmascope learned-denoiser checkpoint (it does not start with \"sigmascope-learned 1\")"
                    .to_owned(),
            ));
        }
        let header: CheckpointHeader = serde_json::from_slice(header)
            .map_err(|e| failed(format!("its header does not parse: {e}")))?;
        let record = burn::store::ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
            .map_err(|e| failed(format!("its weights do not parse: {e}")))?;
        let network =
            MultiscaleNetwork::new(&header.model, header.shape[0], header.train.seed, device)
                .try_load_record(record)
                .map_err(|e| failed(format!("its weights do not fit its configuration: {e}")))?;
        Ok(Self { header, network })
    }

    /// The training noise model.
    pub fn noise(&self) -> Result<NamedNoise, String> {
        parse_noise(&self.header.noise).map_err(|e| e.to_string())
    }
}

/// The learned model as a denoiser of one structure.
pub struct LearnedDenoiser {
    model: LearnedModel,
    topology: Topology,
    scales: LevelScales,
    noise: NoiseModel,
    /// `header.origin` on the device, [1, 3].
    origin: Tensor<2>,
    device: Device,
}

impl LearnedDenoiser {
    /// The model of the checkpoint at `path` for `structure` (which must be the one it was trained on).
    pub fn load(path: &Path, structure: &Structure, device: &Device) -> Result<Self, LearnedError> {
        let model = LearnedModel::load(path, device)?;
        Self::new(model, structure, device).map_err(|e| LearnedError::File {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// `model` as the denoiser of `structure`.
    pub fn new(
        model: LearnedModel,
        structure: &Structure,
        device: &Device,
    ) -> Result<Self, LearnedError> {
        let shape = [
            structure.atom_count(),
            structure.residue_count(),
            structure.chain_count(),
        ];
        if shape != model.header.shape {
            return Err(LearnedError::OtherStructure {
                trained: model.header.structure.clone(),
                trained_atoms: model.header.shape[0],
                trained_residues: model.header.shape[1],
                atoms: shape[0],
                residues: shape[1],
            });
        }
        // Inference holds one draw's attention.
        check_size(&model.header.model, shape[0], shape[1], 1)
            .map_err(|e| LearnedError::TooLarge(e.to_string()))?;
        let noise = model.noise().map_err(LearnedError::Noise)?.model;
        let network = model.network.valid().fork(device);
        let origin = Tensor::from_data(
            TensorData::new(model.header.origin.map(|v| v as f32).to_vec(), [1, 3]),
            device,
        );
        Ok(Self {
            model: LearnedModel {
                header: model.header,
                network,
            },
            origin,
            topology: Topology::new(structure, device),
            scales: LevelScales::of(structure),
            noise,
            device: device.clone(),
        })
    }

    /// The checkpoint's header.
    pub fn header(&self) -> &CheckpointHeader {
        &self.model.header
    }

    /// x̂0 at every level for states [B, N, 3] in the model's frame at global σ `sigmas`.
    pub fn predict(&self, x: Tensor<3>, sigmas: &[f64]) -> LevelPredictions {
        let c = coefficients(
            &self.model.header.model,
            &self.scales,
            &self.noise,
            sigmas,
            &self.device,
        );
        self.model.network.forward(&self.topology, x, &c)
    }
}

impl Denoiser for LearnedDenoiser {
    fn name(&self) -> &'static str {
        "learned"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let [n, _] = x.dims();
        let augmented = self.model.header.train.augment;
        // A model trained on randomly moved copies works in any frame, about x's own centroid; one
        // trained in one frame works in the data frame less the truth's centroid.
        let (x_model, offset) = if augmented {
            // Over atoms along the rows' last axis (`compute::mean_last_axis`: long axes stay right).
            let center = crate::compute::mean_last_axis(x.clone().transpose()).transpose();
            (x - center.clone(), center)
        } else {
            (
                context.to_data(x) - self.origin.clone(),
                self.origin.clone(),
            )
        };
        let p = self.predict(x_model.reshape([1, n, 3]), &[sigma]);
        let back = |t: Tensor<3>| {
            let [_, m, _] = t.dims();
            let t = t.reshape([m, 3]) + offset.clone();
            if augmented { t } else { context.to_pose(t) }
        };
        let x0 = back(p.atoms);
        let levels = LevelX0 {
            residues: back(p.residues),
            chains: back(p.chains),
        };
        let has_nan = x0
            .clone()
            .is_nan()
            .any()
            .into_data()
            .try_to_vec::<bool>()
            .map_err(|e| DenoiseError::Readback(format!("{e:?}")))?;
        if has_nan.first().copied().unwrap_or(false) {
            return Err(DenoiseError::NotANumber { sigma });
        }
        Ok(DenoiserOutput {
            x0,
            weights: None,
            levels: Some(levels),
        })
    }
}
