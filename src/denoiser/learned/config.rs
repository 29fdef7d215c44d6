//! The learned denoiser's settings: its size, and one toggle per suspected cause of residues that do
//! not move (note 002's pitfalls, note 001's residual form). Saved inside every checkpoint, so a model
//! is rebuilt exactly as it was trained.

use serde::{Deserialize, Serialize};

use super::attention::block_bytes;

crate::choice::choices! {
    /// Which σ each level's preconditioning uses [note 002 §2].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum PreconditionMode {
        /// c_in, c_skip, c_out of the global σ at every level.
        Global = "global",
        /// Each level's own effective σ (the RMS displacement of its centroids).
        PerLevel = "per-level",
    }
}

crate::choice::choices! {
    /// How the per-level losses are combined [note 002 §5].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum LossMode {
        /// One mean over every atom, residue and chain term: atoms, the most numerous, dominate.
        EqualSum = "equal-sum",
        /// Each level's mean, weighted by `level_loss_weights`.
        LevelMean = "level-mean",
    }
}

crate::choice::choices! {
    /// What noise level each level's tokens are told [note 002 §6].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum ConditioningMode {
        /// One c_noise of the global σ for all levels.
        Global = "global",
        /// Each level's c_noise of its effective σ.
        PerLevel = "per-level",
    }
}

crate::choice::choices! {
    /// What residue and chain tokens start from [note 002 §7].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum LevelInputs {
        /// Zeros (only what is pooled from atoms).
        Zeros = "zeros",
        /// A residue-type embedding and a chain-index embedding.
        Embeddings = "embeddings",
    }
}

crate::choice::choices! {
    /// What the network's output F means ([note 001 §1]; Karras et al. 2022, table 1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum OutputForm {
        /// x̂0 = c_skip x + c_out F, loss weighted by 1 / c_out² (EDM eq. 7–8).
        Edm = "edm",
        /// x̂0 = σ_data F, plain squared error.
        X0 = "x0",
        /// x̂0 = x + √(t/T) σ_data F = x + c_out F, plain squared error: note 001's residual form, added
        /// here to the variance-exploding state x = x0 + σ ε, not to ResFold's variance-preserving
        /// x_t = √ᾱ x0 + √(1 − ᾱ) ε, so its target x0 − x grows without bound with σ (a different failure
        /// from note 001's); the output's gradient vanishes as σ → 0 in both.
        Residual = "residual",
        /// x̂0 = x − σ F with F the unit noise ε̂, loss on ε.
        Eps = "eps",
        /// v-prediction (Salimans & Ho 2022): x̂0 = c_skip x − c_out F, loss on v. In EDM's normalised
        /// coordinates this is EDM's preconditioning with the sign of F flipped.
        V = "v",
    }
}

crate::choice::choices! {
    /// How residue attention's pair bias is built (note 003, FlashIPA).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum PairBias {
        /// b_ij = Σ_k W_hk u_ik v_jk folded into the queries and keys: the pair term is never formed,
        /// memory O(R·k) for it.
        Factorised = "factorised",
        /// The same b_ij from a materialised pair tensor z_ijk = u_ik v_jk: O(R²·k).
        Dense = "dense",
    }
}

/// The network and its toggles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Token width of every level.
    pub width: usize,
    /// Blocks (pool up, residue attention, feed-forward, broadcast down).
    pub blocks: usize,
    /// Heads of residue attention.
    pub heads: usize,
    /// Rank k of the pair bias factors.
    pub pair_rank: usize,
    /// Factorised or dense pair bias.
    pub pair_bias: PairBias,
    /// σ_data of the preconditioning, Å.
    pub sigma_data: f64,
    /// Preconditioning σ per level.
    pub precondition: PreconditionMode,
    /// Noise conditioning per level.
    pub conditioning: ConditioningMode,
    /// Residue and chain token inputs.
    pub level_inputs: LevelInputs,
    /// Meaning of the output.
    pub output: OutputForm,
}

impl Default for ModelConfig {
    /// What a careful user would pick: per-level preconditioning and conditioning, embeddings,
    /// the EDM form, the factorised pair bias.
    fn default() -> Self {
        Self {
            width: 48,
            blocks: 2,
            heads: 4,
            pair_rank: 8,
            pair_bias: PairBias::Factorised,
            sigma_data: 16.0,
            precondition: PreconditionMode::PerLevel,
            conditioning: ConditioningMode::PerLevel,
            level_inputs: LevelInputs::Embeddings,
            output: OutputForm::Edm,
        }
    }
}

/// How the model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Noise draws of the structure per step (the batch).
    pub draws: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Loss combination.
    pub loss: LossMode,
    /// Weights of the atom, residue and chain means (`LossMode::LevelMean`).
    pub level_loss_weights: [f64; 3],
    /// Random rotation + translation of the training target [note 002 §4].
    pub augment: bool,
    /// Std of the augmentation's translation, Å.
    pub translation_std: f64,
    /// Training σ: ln σ/σ_data ~ N(P_mean, P_std) (EDM; Boltz's 16, −1.2, 1.5).
    pub p_mean: f64,
    /// See `p_mean`.
    pub p_std: f64,
    /// Seed of every draw and of the initial weights.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        // 4000 steps of 8 draws bring 1CRN's atoms within 0.25 Å at every σ up to σ_data (README).
        Self {
            steps: 4000,
            draws: 8,
            learning_rate: 3e-3,
            loss: LossMode::LevelMean,
            level_loss_weights: [1.0, 1.0, 1.0],
            augment: false,
            translation_std: 1.0,
            p_mean: -1.2,
            p_std: 1.5,
            seed: 0,
        }
    }
}

impl ModelConfig {
    /// Bytes residue attention holds in one training step for `residues` tokens and `batch` draws.
    ///
    /// Factorised: per block, q and k with the bias's k columns, v, the output, the log-sum-exp and
    /// their gradients, O(R); plus one block of queries' working set (`block_bytes`), freed between
    /// blocks (`bench learned-attention`: 0.21 GB peak at 20 000 residues, one block, one draw).
    /// Dense: four f32 copies of the logits per head (logits, softmax, their gradients) and one and a
    /// half of the R × R × k pair tensor (2.43 GB peak for one block at 5000 residues against 2.80 GB
    /// from this).
    pub fn attention_bytes(&self, residues: usize, batch: usize) -> u64 {
        let (r, b, heads) = (residues as u64, batch as u64, self.heads as u64);
        let blocks = self.blocks as u64;
        match self.pair_bias {
            PairBias::Factorised => {
                let head_width = (self.width / self.heads.max(1)) as u64;
                let per_residue = 2
                    * (2 * heads * (head_width + self.pair_rank as u64)
                        + 2 * self.width as u64
                        + heads);
                4 * per_residue * r * b * blocks + block_bytes(batch * self.heads, residues)
            }
            PairBias::Dense => {
                let square = r * r * b;
                4 * (4 * heads * square + 3 * square * self.pair_rank as u64 / 2) * blocks
            }
        }
    }

    /// Bytes the atom track holds in one training step: about 32 activations (and gradients) of
    /// [draws, atoms, width] f32 per step (`bench training` on 1FFK, 64 275 atoms and 8 draws, peaks
    /// at 2.7 GB, 2.3 GB beyond its attention).
    pub fn atom_track_bytes(&self, atoms: usize, batch: usize) -> u64 {
        4 * 32 * (atoms * batch * self.width) as u64
    }

    /// Bytes one training step of `batch` draws holds for a structure of `atoms` and `residues`.
    pub fn step_bytes(&self, atoms: usize, residues: usize, batch: usize) -> u64 {
        self.atom_track_bytes(atoms, batch) + self.attention_bytes(residues, batch)
    }

    /// The largest residue count whose training step fits in `budget` bytes, for structures of
    /// `atoms_per_residue` atoms a residue.
    pub fn max_residues(&self, budget: u64, batch: usize, atoms_per_residue: f64) -> usize {
        let fits = |residues: usize| {
            let atoms = (residues as f64 * atoms_per_residue).ceil() as usize;
            self.step_bytes(atoms, residues, batch) <= budget
        };
        let (mut lo, mut hi) = (1usize, 1usize << 26);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

/// A short code of the toggles, for file names and legends: preconditioning (`pg`/`pl`), loss
/// (`sum`/`mean`), conditioning (`cg`/`cl`), level inputs (`z`/`e`), output form, and `aug` when the
/// target was augmented; e.g. `pl-mean-cl-e-edm`.
pub fn toggles_code(model: &ModelConfig, train: &TrainConfig) -> String {
    let precond = match model.precondition {
        PreconditionMode::Global => "pg",
        PreconditionMode::PerLevel => "pl",
    };
    let loss = match train.loss {
        LossMode::EqualSum => "sum",
        LossMode::LevelMean => "mean",
    };
    let conditioning = match model.conditioning {
        ConditioningMode::Global => "cg",
        ConditioningMode::PerLevel => "cl",
    };
    let inputs = match model.level_inputs {
        LevelInputs::Zeros => "z",
        LevelInputs::Embeddings => "e",
    };
    let output = match model.output {
        OutputForm::Edm => "edm",
        OutputForm::X0 => "x0",
        OutputForm::Residual => "res",
        OutputForm::Eps => "eps",
        OutputForm::V => "v",
    };
    let augment = if train.augment { "-aug" } else { "" };
    format!("{precond}-{loss}-{conditioning}-{inputs}-{output}{augment}")
}
