//! The multiscale denoiser network (burn): atom, residue and chain tokens; each block pools atoms →
//! residues → chains by segment means over the index maps, runs attention over residues with a pair
//! bias of rank k, updates every level with a feed-forward layer and broadcasts back down. The output
//! is one coordinate update per level, F_atom, F_residue, F_chain, turned into x̂0 per level by the
//! configured output form.

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor};

use super::attention::blocked_attention;
use super::config::{LevelInputs, ModelConfig, OutputForm, PairBias};
pub use super::topology::Topology;
use super::topology::{ATOM_NAME_SLOTS, CHAIN_SLOTS, ELEMENTS, POSITION_FEATURES, RESIDUE_TYPES};
use crate::noise::normal;
use crate::rng::SplitMix64;

/// Seeded initial weights (burn's own generator may be seeded globally, which parallel runs share).
struct Init<'a> {
    seeds: SplitMix64,
    device: &'a Device,
}

impl Init<'_> {
    fn linear(&mut self, d_in: usize, d_out: usize, scale: f64) -> Linear {
        let std = scale / (d_in as f64).sqrt();
        Linear {
            weight: Param::from_tensor(normal(
                [d_in, d_out],
                std,
                self.seeds.next_u64(),
                self.device,
            )),
            bias: Some(Param::from_tensor(Tensor::zeros([d_out], self.device))),
        }
    }

    fn table(&mut self, rows: usize, width: usize) -> Param<Tensor<2>> {
        Param::from_tensor(normal(
            [rows, width],
            0.5,
            self.seeds.next_u64(),
            self.device,
        ))
    }

    fn norm(&self, width: usize) -> LayerNorm {
        LayerNormConfig::new(width).init(self.device)
    }
}

/// Two-layer feed-forward update with a pre-norm.
#[derive(Module, Debug)]
pub struct FeedForward {
    norm: LayerNorm,
    up: Linear,
    down: Linear,
}

impl FeedForward {
    fn new(init: &mut Init<'_>, width: usize) -> Self {
        Self {
            norm: init.norm(width),
            up: init.linear(width, 2 * width, 1.0),
            down: init.linear(2 * width, width, 0.5),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.down
            .forward(gelu(self.up.forward(self.norm.forward(x))))
    }
}

/// Multi-head attention over residues with a pair bias b_ijh = Σ_k W_hk u_ik v_jk (u = P r, v = Q r).
#[derive(Module, Debug)]
pub struct ResidueAttention {
    norm: LayerNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    pair_left: Linear,
    pair_right: Linear,
    /// W, [heads, rank].
    pair_weight: Param<Tensor<2>>,
    heads: usize,
    #[module(skip)]
    pair_bias: PairBias,
}

impl ResidueAttention {
    fn new(init: &mut Init<'_>, config: &ModelConfig) -> Self {
        let (w, k) = (config.width, config.pair_rank);
        Self {
            norm: init.norm(w),
            query: init.linear(w, w, 1.0),
            key: init.linear(w, w, 1.0),
            value: init.linear(w, w, 1.0),
            out: init.linear(w, w, 0.5),
            pair_left: init.linear(w, k, 1.0),
            pair_right: init.linear(w, k, 1.0),
            pair_weight: Param::from_tensor(normal(
                [config.heads, k],
                1.0 / (k as f64).sqrt(),
                init.seeds.next_u64(),
                init.device,
            )),
            heads: config.heads,
            pair_bias: config.pair_bias,
        }
    }

    /// [B, R, width] → [B, heads, R, width / heads].
    fn split_heads(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, r, w] = x.dims();
        x.reshape([b, r, self.heads, w / self.heads])
            .swap_dims(1, 2)
    }

    fn forward(&self, residues: Tensor<3>) -> Tensor<3> {
        let [b, r, w] = residues.dims();
        let x = self.norm.forward(residues);
        let head_width = w / self.heads;
        let scale = 1.0 / (head_width as f64).sqrt();
        let q = self.split_heads(self.query.forward(x.clone())) * scale;
        let k = self.split_heads(self.key.forward(x.clone()));
        let v = self.split_heads(self.value.forward(x.clone()));
        let u = self.pair_left.forward(x.clone()); // [B, R, rank]
        let pv = self.pair_right.forward(x); // [B, R, rank]
        let rank = u.dims()[2];
        let pair_weight = self.pair_weight.val(); // [H, rank]
        let attended = match self.pair_bias {
            PairBias::Factorised => {
                // [q_i, W_h ⊙ u_i] · [k_j, v_j] = q_i·k_j + Σ_k W_hk u_ik v_jk: the bias rides in the
                // queries and keys, no R × R × k tensor exists, and the blocked attention holds no
                // R × R logits either.
                let weighted =
                    u.unsqueeze_dim::<4>(1) * pair_weight.reshape([1, self.heads, 1, rank]);
                let right = pv.unsqueeze_dim::<4>(1).repeat_dim(1, self.heads);
                let q = Tensor::cat(vec![q, weighted], 3);
                let k = Tensor::cat(vec![k, right], 3);
                blocked_attention(q, k, v)
            }
            PairBias::Dense => {
                // z_ijk = u_ik v_jk materialised, then b_ijh = Σ_k z_ijk W_hk.
                let z = u.unsqueeze_dim::<4>(2) * pv.unsqueeze_dim::<4>(1); // [B, R, R, rank]
                let bias = z
                    .reshape([b * r * r, rank])
                    .matmul(pair_weight.transpose())
                    .reshape([b, r, r, self.heads])
                    .permute([0, 3, 1, 2]);
                softmax(q.matmul(k.swap_dims(2, 3)) + bias, 3).matmul(v)
            }
        }; // [B, H, R, head_width]
        self.out
            .forward(attended.swap_dims(1, 2).reshape([b, r, w]))
    }
}

/// One block: pool up, attend over residues, update each level, broadcast down.
#[derive(Module, Debug)]
pub struct Block {
    atoms_to_residues: Linear,
    residues_to_chains: Linear,
    attention: ResidueAttention,
    residue_update: FeedForward,
    chain_update: FeedForward,
    residues_to_atoms: Linear,
    chains_to_atoms: Linear,
    atom_update: FeedForward,
}

impl Block {
    fn new(init: &mut Init<'_>, config: &ModelConfig) -> Self {
        let w = config.width;
        Self {
            atoms_to_residues: init.linear(w, w, 1.0),
            residues_to_chains: init.linear(w, w, 1.0),
            attention: ResidueAttention::new(init, config),
            residue_update: FeedForward::new(init, w),
            chain_update: FeedForward::new(init, w),
            residues_to_atoms: init.linear(w, w, 0.5),
            chains_to_atoms: init.linear(w, w, 0.5),
            atom_update: FeedForward::new(init, w),
        }
    }

    fn forward(&self, topology: &Topology, tokens: LevelTokens) -> LevelTokens {
        let LevelTokens {
            atoms,
            residues,
            chains,
        } = tokens;
        let residues = residues
            + self
                .atoms_to_residues
                .forward(topology.residue_means(atoms.clone()));
        let chains = chains
            + self
                .residues_to_chains
                .forward(topology.chain_means(residues.clone()));
        let residues = residues.clone() + self.attention.forward(residues);
        let residues = residues.clone() + self.residue_update.forward(residues);
        let chains = chains.clone() + self.chain_update.forward(chains);
        let atoms = atoms
            + self
                .residues_to_atoms
                .forward(topology.to_atoms(residues.clone()))
            + self
                .chains_to_atoms
                .forward(topology.to_atoms(topology.to_residues(chains.clone())));
        let atoms = atoms.clone() + self.atom_update.forward(atoms);
        LevelTokens {
            atoms,
            residues,
            chains,
        }
    }
}

struct LevelTokens {
    atoms: Tensor<3>,
    residues: Tensor<3>,
    chains: Tensor<3>,
}

/// Per draw and level, the coefficients of the output form and the noise conditioning, [B, 1, 1]
/// each, in the order atom, residue, chain.
#[derive(Debug, Clone)]
pub struct LevelCoefficients {
    /// The σ each level is preconditioned with.
    pub sigma: [Tensor<3>; 3],
    /// c_in.
    pub c_in: [Tensor<3>; 3],
    /// c_skip.
    pub c_skip: [Tensor<3>; 3],
    /// c_out.
    pub c_out: [Tensor<3>; 3],
    /// The c_noise each level's tokens are conditioned on.
    pub c_noise: [Tensor<3>; 3],
}

/// x̂0 at each level: atoms [B, N, 3], residue centroids [B, R, 3], chain centroids [B, C, 3].
#[derive(Debug, Clone)]
pub struct LevelPredictions {
    /// Atom positions.
    pub atoms: Tensor<3>,
    /// Residue centroids.
    pub residues: Tensor<3>,
    /// Chain centroids.
    pub chains: Tensor<3>,
}

/// The network.
#[derive(Module, Debug)]
pub struct MultiscaleNetwork {
    element_embedding: Param<Tensor<2>>,
    atom_name_embedding: Param<Tensor<2>>,
    /// The residue's index in its chain, told to its atoms (with the atom name, who each atom is).
    atom_position: Linear,
    /// One vector per atom of the structure trained on: where a model of many structures reads each
    /// atom's place in its residue from a reference conformer (AF3's ref_pos), a one-structure model
    /// learns it here.
    atom_embedding: Param<Tensor<2>>,
    residue_embedding: Param<Tensor<2>>,
    residue_position: Linear,
    chain_embedding: Param<Tensor<2>>,
    atom_coordinates: Linear,
    residue_coordinates: Linear,
    chain_coordinates: Linear,
    /// c_noise → token offset, one per level.
    noise_embedding: Linear,
    blocks: Vec<Block>,
    atom_norm: LayerNorm,
    residue_norm: LayerNorm,
    chain_norm: LayerNorm,
    /// The output layer: F per level.
    pub atom_head: Linear,
    /// See `atom_head`.
    pub residue_head: Linear,
    /// See `atom_head`.
    pub chain_head: Linear,
    use_level_inputs: bool,
    sigma_data: f64,
    #[module(skip)]
    output: OutputForm,
}

impl MultiscaleNetwork {
    /// A network with seeded initial weights.
    pub fn new(config: &ModelConfig, atoms: usize, seed: u64, device: &Device) -> Self {
        let w = config.width;
        let mut init = Init {
            seeds: SplitMix64::new(seed, 0x1ea4),
            device,
        };
        Self {
            element_embedding: init.table(ELEMENTS.len() + 1, w),
            atom_name_embedding: init.table(ATOM_NAME_SLOTS, w),
            atom_position: init.linear(POSITION_FEATURES, w, 1.0),
            atom_embedding: init.table(atoms, w),
            residue_embedding: init.table(RESIDUE_TYPES.len() + 1, w),
            residue_position: init.linear(POSITION_FEATURES, w, 1.0),
            chain_embedding: init.table(CHAIN_SLOTS, w),
            atom_coordinates: init.linear(6, w, 1.0),
            residue_coordinates: init.linear(6, w, 1.0),
            chain_coordinates: init.linear(3, w, 1.0),
            noise_embedding: init.linear(1, w, 1.0),
            blocks: (0..config.blocks)
                .map(|_| Block::new(&mut init, config))
                .collect(),
            atom_norm: init.norm(w),
            residue_norm: init.norm(w),
            chain_norm: init.norm(w),
            atom_head: init.linear(w, 3, 0.01),
            residue_head: init.linear(w, 3, 0.01),
            chain_head: init.linear(w, 3, 0.01),
            use_level_inputs: config.level_inputs == LevelInputs::Embeddings,
            sigma_data: config.sigma_data,
            output: config.output,
        }
    }

    /// x̂0 per level for states `x` [B, N, 3] (in the model's frame).
    pub fn forward(
        &self,
        topology: &Topology,
        x: Tensor<3>,
        coefficients: &LevelCoefficients,
    ) -> LevelPredictions {
        let [b, n, _] = x.dims();
        let parts = LevelParts::of(topology, x.clone());
        let mut tokens = self.embed(topology, x, &parts, coefficients);
        for block in &self.blocks {
            tokens = block.forward(topology, tokens);
        }
        let f_atoms = self.atom_head.forward(self.atom_norm.forward(tokens.atoms));
        let f_residues = self
            .residue_head
            .forward(self.residue_norm.forward(tokens.residues));
        let f_chains = self
            .chain_head
            .forward(self.chain_norm.forward(tokens.chains));
        let level = |k: usize, x: Tensor<3>, f: Tensor<3>| self.prediction(coefficients, k, x, f);
        let chains = level(2, parts.chain_centroids, f_chains);
        let residues =
            topology.to_residues(chains.clone()) + level(1, parts.residue_offsets, f_residues);
        let atoms = topology.to_atoms(residues.clone()) + level(0, parts.atom_offsets, f_atoms);
        debug_assert_eq!(atoms.dims(), [b, n, 3]);
        LevelPredictions {
            atoms,
            residues,
            chains,
        }
    }

    /// The tokens of every level before the first block: identities (element, atom name, residue
    /// type, chain, sequence position), the coordinates of each level scaled by its c_in, and its
    /// noise embedding.
    fn embed(
        &self,
        topology: &Topology,
        x: Tensor<3>,
        parts: &LevelParts,
        coefficients: &LevelCoefficients,
    ) -> LevelTokens {
        let [b, _, _] = x.dims();
        let h = &topology.hierarchy;
        let device = x.device();
        let [ci_a, ci_r, ci_c] = coefficients.c_in.clone();
        let [cn_a, cn_r, cn_c] = coefficients.c_noise.clone();
        let noise = |c: Tensor<3>| self.noise_embedding.forward(c);
        let width = self.atom_norm.gamma.dims()[0];
        let identity = |table: &Param<Tensor<2>>, index: &Tensor<1, Int>| {
            table
                .val()
                .select(0, index.clone())
                .unsqueeze_dim::<3>(0)
                .repeat_dim(0, b)
        };
        let atoms = self
            .atom_embedding
            .val()
            .unsqueeze_dim::<3>(0)
            .repeat_dim(0, b)
            + identity(&self.element_embedding, &topology.elements)
            + identity(&self.atom_name_embedding, &topology.atom_names)
            + topology.to_atoms(
                self.atom_position
                    .forward(topology.residue_positions.clone())
                    .repeat_dim(0, b),
            )
            + self.atom_coordinates.forward(Tensor::cat(
                // Absolute positions carry the chain level's noise: scaled by its c_in, each level's
                // offsets by their own.
                vec![x * ci_c.clone(), parts.atom_offsets.clone() * ci_a],
                2,
            ))
            + noise(cn_a);
        let (residue_identity, chain_identity) = if self.use_level_inputs {
            (
                identity(&self.residue_embedding, &topology.residue_types)
                    + self
                        .residue_position
                        .forward(topology.residue_positions.clone())
                        .repeat_dim(0, b),
                identity(&self.chain_embedding, &topology.chain_slots),
            )
        } else {
            (
                Tensor::zeros([b, h.residues, width], &device),
                Tensor::zeros([b, h.chains, width], &device),
            )
        };
        let residues = residue_identity
            + self.residue_coordinates.forward(Tensor::cat(
                vec![
                    parts.residue_centroids.clone() * ci_c.clone(),
                    parts.residue_offsets.clone() * ci_r,
                ],
                2,
            ))
            + noise(cn_r);
        let chains = chain_identity
            + self
                .chain_coordinates
                .forward(parts.chain_centroids.clone() * ci_c)
            + noise(cn_c);
        LevelTokens {
            atoms,
            residues,
            chains,
        }
    }

    /// x̂0 of one level's part from its state part `x` and the network's `f` (config::OutputForm).
    fn prediction(
        &self,
        c: &LevelCoefficients,
        level: usize,
        x: Tensor<3>,
        f: Tensor<3>,
    ) -> Tensor<3> {
        let (sigma, c_skip, c_out) = (
            c.sigma[level].clone(),
            c.c_skip[level].clone(),
            c.c_out[level].clone(),
        );
        match self.output {
            OutputForm::Edm => x * c_skip + f * c_out,
            OutputForm::X0 => f * self.sigma_data,
            OutputForm::Residual => x + f * c_out,
            OutputForm::Eps => x - f * sigma,
            OutputForm::V => x * c_skip - f * c_out,
        }
    }
}

/// The state by level: chain centroids, residue centroids' offsets from their chain's, atom offsets
/// from their residue's centroid; x = chain + residue + atom offsets.
struct LevelParts {
    residue_centroids: Tensor<3>,
    chain_centroids: Tensor<3>,
    residue_offsets: Tensor<3>,
    atom_offsets: Tensor<3>,
}

impl LevelParts {
    fn of(topology: &Topology, x: Tensor<3>) -> Self {
        let residue_centroids = topology.residue_means(x.clone());
        let chain_centroids = topology.chain_means(residue_centroids.clone());
        let residue_offsets =
            residue_centroids.clone() - topology.to_residues(chain_centroids.clone());
        let atom_offsets = x - topology.to_atoms(residue_centroids.clone());
        Self {
            residue_centroids,
            chain_centroids,
            residue_offsets,
            atom_offsets,
        }
    }
}

/// One training step of a residue-attention block alone (forward, a mean-square loss, backward) on
/// `residues` random tokens: the benchmark of the factorised against the dense pair bias.
pub fn attention_training_step(
    config: &ModelConfig,
    residues: usize,
    batch: usize,
    seed: u64,
    device: &Device,
) -> Result<(), String> {
    let device = device.clone().autodiff();
    let mut init = Init {
        seeds: SplitMix64::new(seed, 0xbe),
        device: &device,
    };
    let block = ResidueAttention::new(&mut init, config);
    let tokens: Tensor<3> = normal([batch, residues, config.width], 1.0, seed, &device);
    let loss = block.forward(tokens).powi_scalar(2).mean();
    let grads = loss.backward();
    let grad = block
        .query
        .weight
        .val()
        .grad(&grads)
        .ok_or_else(|| "no gradient reached the block".to_owned())?;
    // A device that cannot hold the step fails here, where the work is read back: one line, not a
    // panic.
    grad.sum()
        .try_into_data()
        .map_err(|e| {
            // The deepest cause (the line after the last "Caused by:") names what ran out.
            let text = format!("{e}");
            let lines: Vec<&str> = text.lines().collect();
            let deepest = lines
                .iter()
                .rposition(|l| l.trim() == "Caused by:")
                .and_then(|i| lines.get(i + 1))
                .or(lines.first());
            format!(
                "the step failed on the device: {}",
                deepest.map_or("", |l| l.trim())
            )
        })?
        .try_to_vec::<f32>()
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}
