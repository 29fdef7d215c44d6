//! The learned multiscale denoiser with a tiny configuration: training lowers the loss, a checkpoint
//! reloads to identical outputs, the factorised pair bias equals the dense one, each toggle changes
//! what it claims, structures too large for a training step are refused, and the blocked attention's
//! own backward matches burn's autodiff on the wgpu adapter.

#![expect(clippy::unwrap_used)]

use crate::common;

use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use sigmascope::denoiser::learned::{
    ConditioningMode, LevelInputs, LevelScales, LossMode, ModelConfig, MultiscaleNetwork,
    OutputForm, PairBias, PreconditionMode, Topology, TrainConfig, blocked_attention, check_size,
    coefficients, train_model,
};
use sigmascope::denoiser::{DenoiseContext, Denoiser, LearnedDenoiser, LearnedModel};
use sigmascope::noise::parse_noise;
use sigmascope::structure::Structure;

fn tiny() -> ModelConfig {
    ModelConfig {
        width: 16,
        blocks: 1,
        heads: 2,
        pair_rank: 4,
        ..ModelConfig::default()
    }
}

fn short(steps: usize) -> TrainConfig {
    TrainConfig {
        steps,
        draws: 2,
        ..TrainConfig::default()
    }
}

fn flat_max(a: &Tensor<3>, b: &Tensor<3>) -> f32 {
    let a = a.clone().into_data().try_to_vec::<f32>().unwrap();
    let b = b.clone().into_data().try_to_vec::<f32>().unwrap();
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn noisy_state(s: &Structure, offset: f32) -> Tensor<3> {
    let device = &common::cpu().device;
    let c = sigmascope::geometry::centroid(&s.positions);
    let values: Vec<f32> = s
        .positions
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            (0..3).map(move |k| p[k] - c[k] as f32 + offset * ((i * 7 + k * 3) % 5) as f32)
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, s.atom_count(), 3]), device)
}

#[test]
fn training_lowers_the_loss_and_the_checkpoint_reloads_to_identical_outputs() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap();
    let model = train_model(&s, &tiny(), &short(60), &noise, device, "cpu", |_| true).unwrap();
    let losses = &model.header.losses;
    assert_eq!(losses.len(), 60);
    let mean = |l: &[sigmascope::denoiser::LossRecord]| {
        l.iter().map(|r| r.total).sum::<f64>() / l.len() as f64
    };
    assert!(
        mean(&losses[50..]) < 0.8 * mean(&losses[..10]),
        "{} vs {}",
        mean(&losses[50..]),
        mean(&losses[..10])
    );
    assert_eq!(model.header.report.len(), 7);
    let path = common::scratch("learned").join("tiny.mpk");
    model.save(&path, &[]).unwrap();
    let a = LearnedDenoiser::new(model, &s, device).unwrap();
    let b = LearnedDenoiser::load(&path, &s, device).unwrap();
    // The header is JSON: the loss curve comes back to the last bit of its f32 values.
    let (la, lb) = (&a.header().losses, &b.header().losses);
    assert_eq!(la.len(), lb.len());
    assert!(
        la.iter()
            .zip(lb)
            .all(|(x, y)| (x.total - y.total).abs() <= 1e-12 * x.total.abs())
    );
    let x = noisy_state(&s, 0.7);
    for sigma in [0.1, 4.0, 300.0] {
        let (pa, pb) = (
            a.predict(x.clone(), &[sigma]),
            b.predict(x.clone(), &[sigma]),
        );
        assert_eq!(flat_max(&pa.atoms, &pb.atoms), 0.0, "sigma {sigma}");
        assert_eq!(flat_max(&pa.residues, &pb.residues), 0.0);
    }
    // Through the Denoiser trait, in the data frame: the model's own x̂0 moved back by the frame's
    // origin (the truth's centroid).
    let origin = Tensor::<2>::from_data(
        TensorData::new(
            sigmascope::geometry::centroid(&s.positions)
                .map(|v| v as f32)
                .to_vec(),
            [1, 3],
        ),
        device,
    );
    let n = s.atom_count();
    let x_data = x.clone().reshape([n, 3]) + origin.clone();
    let out = b
        .denoise(x_data, 4.0, &DenoiseContext::in_data_frame(0))
        .unwrap();
    let direct = b.predict(x, &[4.0]).atoms.reshape([n, 3]) + origin;
    assert!(flat_max(&out.x0.unsqueeze(), &direct.unsqueeze()) < 1e-4);
    // A model refuses a structure it was not trained on, naming both.
    let other = common::bundled("1l2y");
    let err = LearnedDenoiser::load(&path, &other, device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("1crn") && err.contains("327 atoms"), "{err}");
    // A file that is not a checkpoint is one message.
    let bad = common::scratch("learned").join("bad.mpk");
    std::fs::write(&bad, b"not a model").unwrap();
    let err = LearnedDenoiser::load(&bad, &s, device)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("not a sigmascope learned-denoiser checkpoint"),
        "{err}"
    );
}

#[test]
fn the_factorised_pair_bias_equals_the_dense_one() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap().model;
    let topology = Topology::new(&s, device);
    let x = noisy_state(&s, 1.3);
    let mut outputs = Vec::new();
    for pair_bias in [PairBias::Factorised, PairBias::Dense] {
        let config = ModelConfig {
            pair_bias,
            ..tiny()
        };
        // The same seed gives the same weights: only the way the bias is formed differs.
        let network = MultiscaleNetwork::new(&config, s.atom_count(), 3, device);
        let c = coefficients(&config, &LevelScales::of(&s), &noise, &[2.0], device);
        outputs.push(network.forward(&topology, x.clone(), &c).atoms);
    }
    assert!(flat_max(&outputs[0], &outputs[1]) < 1e-4);
}

#[test]
fn per_level_conditioning_and_preconditioning_use_each_levels_sigma() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let scales = LevelScales::of(&s);
    let flat = parse_noise("flat").unwrap().model;
    let sigma = 3.0;
    // Flat noise: a residue centroid moves by σ / √n_r per coordinate, so an atom's offset from it has
    // mean square σ² (1 − mean(1 / n_r)); one chain's centroid (the mean of its m residue centroids)
    // moves by σ √(Σ 1 / n_r) / m, and a residue centroid's offset from it has the rest.
    let apr = s.atoms_per_residue();
    let m = apr.len() as f64;
    let inv_sum: f64 = apr.iter().map(|&n| 1.0 / n as f64).sum();
    let residue_ms = sigma * sigma * inv_sum / m;
    let chain_ms = sigma * sigma * inv_sum / (m * m);
    let want = [
        (sigma * sigma - residue_ms).sqrt(),
        (residue_ms - chain_ms).sqrt(),
        chain_ms.sqrt(),
    ];
    // Each level's data spread, from the truth directly.
    let res = s.residue_centroids(&s.positions);
    let atom_spread = (s
        .positions
        .iter()
        .zip(&s.atom_residue)
        .map(|(p, &r)| {
            (0..3)
                .map(|k| f64::from(p[k] - res[r as usize][k]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (3.0 * s.atom_count() as f64))
        .sqrt();
    assert!(
        (scales.data[0] - atom_spread).abs() < 1e-6,
        "{:?}",
        scales.data
    );
    let read = |t: &Tensor<3>| f64::from(t.clone().into_data().try_to_vec::<f32>().unwrap()[0]);
    let per_level = ModelConfig {
        conditioning: ConditioningMode::PerLevel,
        precondition: PreconditionMode::PerLevel,
        ..tiny()
    };
    let c = coefficients(&per_level, &scales, &flat, &[sigma], device);
    for (level, (&s_l, &d_l)) in want.iter().zip(&scales.data).enumerate() {
        let c_noise = (s_l / d_l).ln() / 4.0;
        assert!(
            (read(&c.c_noise[level]) - c_noise).abs() < 1e-5,
            "level {level}"
        );
        let c_skip = d_l * d_l / (s_l * s_l + d_l * d_l);
        assert!(
            (read(&c.c_skip[level]) - c_skip).abs() < 1e-5,
            "level {level}"
        );
        assert!(
            (read(&c.sigma[level]) - s_l).abs() < 1e-4 * s_l,
            "level {level}"
        );
    }
    let global = ModelConfig {
        conditioning: ConditioningMode::Global,
        precondition: PreconditionMode::Global,
        ..tiny()
    };
    let c = coefficients(&global, &scales, &flat, &[sigma], device);
    let sd = global.sigma_data;
    for level in 0..3 {
        assert!((read(&c.c_noise[level]) - (sigma / sd).ln() / 4.0).abs() < 1e-5);
        assert!((read(&c.sigma[level]) - sigma).abs() < 1e-5);
        assert!((read(&c.c_skip[level]) - sd * sd / (sigma * sigma + sd * sd)).abs() < 1e-5);
    }
}

#[test]
fn residue_inputs_are_read_only_with_embeddings() {
    let s = common::bundled("1crn");
    let mut renamed = s.clone();
    for r in &mut renamed.residues {
        r.name = "GLY".to_owned();
    }
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap().model;
    let x = noisy_state(&s, 0.4);
    for (inputs, differs) in [(LevelInputs::Embeddings, true), (LevelInputs::Zeros, false)] {
        let config = ModelConfig {
            level_inputs: inputs,
            ..tiny()
        };
        let network = MultiscaleNetwork::new(&config, s.atom_count(), 1, device);
        let c = coefficients(&config, &LevelScales::of(&s), &noise, &[2.0], device);
        let a = network
            .forward(&Topology::new(&s, device), x.clone(), &c)
            .atoms;
        let b = network
            .forward(&Topology::new(&renamed, device), x.clone(), &c)
            .atoms;
        assert_eq!(flat_max(&a, &b) > 1e-6, differs, "{inputs:?}");
    }
}

#[test]
fn the_residual_form_starves_the_output_layer_at_small_sigma() {
    // Seed 001's finding: x̂0 = x + √(t/T) F leaves the output layer almost no gradient as σ → 0,
    // where the EDM form's 1 / c_out² weight keeps it.
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap();
    let norm_at_smallest = |output: OutputForm| {
        let config = ModelConfig { output, ..tiny() };
        let m = train_model(&s, &config, &short(5), &noise, device, "cpu", |_| true).unwrap();
        m.header.report[0].output_gradient_norm
    };
    let (edm, residual) = (
        norm_at_smallest(OutputForm::Edm),
        norm_at_smallest(OutputForm::Residual),
    );
    assert!(edm > 100.0 * residual, "edm {edm}, residual {residual}");
}

#[test]
fn the_loss_modes_and_augmentation_change_training() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap();
    let curve = |train: TrainConfig| {
        train_model(&s, &tiny(), &train, &noise, device, "cpu", |_| true)
            .unwrap()
            .header
            .losses
    };
    let level_mean = curve(short(3));
    let equal_sum = curve(TrainConfig {
        loss: LossMode::EqualSum,
        ..short(3)
    });
    // The per-level parts are the same draws' errors; only their combination differs.
    let l = level_mean[0];
    assert!((l.total - (l.atom + l.residue + l.chain) / 3.0).abs() < 1e-4 * l.total);
    let e = equal_sum[0];
    let (n, r, c) = (
        s.atom_count() as f64,
        s.residue_count() as f64,
        s.chain_count() as f64,
    );
    let weighted = (e.atom * n + e.residue * r + e.chain * c) / (n + r + c);
    assert!(
        (e.total - weighted).abs() < 1e-3 * e.total,
        "{} vs {weighted}",
        e.total
    );
    let augmented = curve(TrainConfig {
        augment: true,
        ..short(3)
    });
    assert_ne!(augmented[0].total, level_mean[0].total);
}

#[test]
fn an_augmented_model_answers_in_the_frame_it_is_given() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap();
    let train = TrainConfig {
        augment: true,
        ..short(2)
    };
    let model = train_model(&s, &tiny(), &train, &noise, device, "cpu", |_| true).unwrap();
    let d = LearnedDenoiser::new(model, &s, device).unwrap();
    let n = s.atom_count();
    let x = noisy_state(&s, 0.5).reshape([n, 3]);
    let shift = Tensor::<2>::from_data(TensorData::new(vec![30.0f32, -12.0, 7.0], [1, 3]), device);
    let ctx = DenoiseContext::in_data_frame(0);
    let a = d.denoise(x.clone(), 2.0, &ctx).unwrap().x0;
    let b = d.denoise(x + shift.clone(), 2.0, &ctx).unwrap().x0;
    let diff = flat_max(&(a + shift).unsqueeze(), &b.unsqueeze());
    assert!(diff < 1e-3, "{diff}");
}

#[test]
fn training_beyond_the_machine_is_refused_with_the_size_it_allows() {
    let config = tiny();
    // Factorised, one block (the tiny model's), one draw: per residue, q and k of 2 heads × (8 + 4)
    // columns, v and the output of 16, the log-sum-exp of 2, each with its gradient, in f32; plus one
    // block of queries, here all 100, holding 4 f32 tensors of 2 maps × 100 × 100.
    let per_residue = 2 * (2 * 2 * (8 + 4) + 2 * 16 + 2);
    assert_eq!(
        config.attention_bytes(100, 1),
        4 * per_residue * 100 + 4 * 4 * 2 * 100 * 100
    );
    let dense = ModelConfig {
        pair_bias: PairBias::Dense,
        ..config.clone()
    };
    // Dense: 4 f32 copies of heads × R² logits, plus 1.5 copies of the R × R × k pair tensor (k = 4).
    assert_eq!(dense.attention_bytes(100, 1), 4 * (4 * 2 + 6) * 100 * 100);
    // Issue 16's goal: at 20 000 residues the factorised block needs well under a GiB (the blocked
    // attention's working set is capped), the dense one tens of GiB.
    let full = ModelConfig::default();
    let full_dense = ModelConfig {
        pair_bias: PairBias::Dense,
        ..full.clone()
    };
    assert!(full.attention_bytes(20_000, 1) < 1 << 30);
    assert!(full_dense.attention_bytes(20_000, 1) > 40 << 30);
    // The atom track: 32 activations of draws × atoms × width f32.
    assert_eq!(config.atom_track_bytes(1000, 2), 4 * 32 * 1000 * 2 * 16);
    assert_eq!(
        config.step_bytes(1000, 100, 2),
        config.atom_track_bytes(1000, 2) + config.attention_bytes(100, 2)
    );

    let err = check_size(&config, 80_000_000, 10_000_000, 4)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("10000000 residues (80000000 atoms)") && err.contains("allows"),
        "{err}"
    );
    let max = config.max_residues(1 << 30, 4, 8.0);
    let fits = |r: usize| config.step_bytes(8 * r, r, 4) <= 1 << 30;
    assert!(fits(max) && !fits(max + 1), "{max}");
}

#[test]
fn the_checkpoint_keeps_the_model_it_was_trained_as() {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("1,4,4").unwrap();
    let config = ModelConfig {
        output: OutputForm::V,
        level_inputs: LevelInputs::Zeros,
        ..tiny()
    };
    let model = train_model(&s, &config, &short(2), &noise, device, "cpu", |_| true).unwrap();
    let path = common::scratch("learned").join("v.mpk");
    model.save(&path, &[]).unwrap();
    let loaded = LearnedModel::load(&path, device).unwrap();
    assert_eq!(loaded.header.model, config);
    assert_eq!(loaded.header.noise, "1,4,4");
    assert_eq!(loaded.header.shape, [327, 46, 1]);
}

/// x̂0 = x, with the truth's residue and chain centroids as its level outputs (data frame only).
struct LevelsFromTruth {
    residues: Tensor<2>,
    chains: Tensor<2>,
}

impl Denoiser for LevelsFromTruth {
    fn name(&self) -> &'static str {
        "levels-from-truth"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        _sigma: f64,
        _context: &DenoiseContext,
    ) -> Result<sigmascope::denoiser::DenoiserOutput, sigmascope::denoiser::DenoiseError> {
        Ok(sigmascope::denoiser::DenoiserOutput {
            x0: x,
            weights: None,
            levels: Some(sigmascope::denoiser::LevelX0 {
                residues: self.residues.clone(),
                chains: self.chains.clone(),
            }),
        })
    }

    fn equivariant(&self) -> bool {
        true
    }
}

#[test]
fn the_sampler_steps_from_the_level_outputs_only_when_asked() {
    use sigmascope::sampler::{ChurnNoise, Sampler, SamplerSettings, StartNoise, find_preset};
    let s = common::bundled("4hhb");
    let device = &common::cpu().device;
    let points = |p: &[[f32; 3]]| {
        let v: Vec<f32> = p.iter().flatten().copied().collect();
        Tensor::<2>::from_data(TensorData::new(v, [p.len(), 3]), device)
    };
    let residues = s.residue_centroids(&s.positions);
    let chains = s.chain_centroids(&residues);
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 3;
    // A start of tens of Å keeps float32 round-off far below the check (Boltz's 2560 Å start leaves
    // ~0.5 Å in centroids of 1e4 Å coordinates).
    preset.schedule.sigma_max = 2.0;
    preset.augment = false;
    preset.translation_std = 0.0;
    for on in [false, true] {
        let settings = SamplerSettings {
            preset,
            noise: parse_noise("seed-old").unwrap(),
            start: StartNoise::Multiscale,
            churn_noise: ChurnNoise::following(StartNoise::Multiscale),
            seed: 2,
            level_outputs: on,
        };
        let denoiser = Box::new(LevelsFromTruth {
            residues: points(&residues),
            chains: points(&chains),
        });
        let mut sampler = Sampler::new(&s, settings, denoiser, device).unwrap();
        sampler.step().unwrap();
        let frame = &sampler.frames()[1];
        // Frames record x̂0 in the sampler's frame.
        let x0 = frame
            .pose
            .inverse()
            .apply_all(frame.x0_hat.as_ref().unwrap());
        let got = s.residue_centroids(&x0);
        let worst = got
            .iter()
            .zip(&residues)
            .map(|(a, b)| (0..3).map(|k| (a[k] - b[k]).abs()).fold(0.0, f32::max))
            .fold(0.0, f32::max);
        // On: every residue centroid of x̂0 is the model's; off: x̂0 = x, as far as the start's noise.
        if on {
            assert!(worst < 1e-3, "{worst}");
        } else {
            assert!(worst > 1.0, "{worst}");
        }
    }
}

#[test]
fn the_output_forms_read_one_network_output_as_their_formulas_say() {
    // With one σ at every level (global preconditioning) and the same weights, every form sees the
    // same F; EDM gives x̂0 = c_skip x + c_out F, so F follows from it and the others must match.
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap().model;
    let topology = Topology::new(&s, device);
    let x = noisy_state(&s, 0.9);
    let (sigma, sd) = (3.0f64, 16.0f64);
    let predict = |output| {
        let config = ModelConfig {
            output,
            precondition: PreconditionMode::Global,
            ..tiny()
        };
        let network = MultiscaleNetwork::new(&config, s.atom_count(), 7, device);
        let c = coefficients(&config, &LevelScales::of(&s), &noise, &[sigma], device);
        network.forward(&topology, x.clone(), &c).atoms
    };
    let c_skip = (sd * sd / (sigma * sigma + sd * sd)) as f32;
    let c_out = (sigma * sd / (sigma * sigma + sd * sd).sqrt()) as f32;
    let edm = predict(OutputForm::Edm);
    let f = (edm.clone() - x.clone() * c_skip) / c_out;
    let cases = [
        (OutputForm::V, x.clone() * c_skip - f.clone() * c_out),
        (OutputForm::X0, f.clone() * sd as f32),
        (OutputForm::Residual, x.clone() + f.clone() * c_out),
        (OutputForm::Eps, x.clone() - f.clone() * sigma as f32),
    ];
    for (output, want) in cases {
        let got = predict(output);
        assert!(
            flat_max(&got, &want) < 2e-3,
            "{output:?}: {}",
            flat_max(&got, &want)
        );
    }
}

/// The blocked attention is a backend extension with one implementation per backend: on the wgpu
/// adapter (lavapipe on CI) its output and its hand-written gradients equal burn's autodiff of
/// softmax(q kᵀ) v. Skips without an adapter, except on CI.
#[test]
fn blocked_attention_on_the_wgpu_adapter_matches_plain_attention_and_its_gradients() {
    let Some(gpu) = common::wgpu_or_skip() else {
        return;
    };
    let device = gpu.device.clone().autodiff();
    let draw = |dims: [usize; 4], seed: u64| -> Tensor<4> {
        sigmascope::noise::normal(dims, 0.7, seed, &device)
    };
    let q = draw([1, 2, 64, 6], 1).require_grad();
    let k = draw([1, 2, 64, 6], 2).require_grad();
    let v = draw([1, 2, 64, 3], 3).require_grad();
    let weight = draw([1, 2, 64, 3], 4);
    let plain = softmax(q.clone().matmul(k.clone().swap_dims(2, 3)), 3).matmul(v.clone());
    let plain_grads = (plain.clone() * weight.clone()).sum().backward();
    let blocked = blocked_attention(q.clone(), k.clone(), v.clone());
    let difference: f32 = (blocked.clone() - plain).abs().max().into_scalar();
    assert!(difference < 1e-4, "{difference}");
    let blocked_grads = (blocked * weight).sum().backward();
    for x in [&q, &k, &v] {
        let want = x.grad(&plain_grads).unwrap();
        let scale: f32 = want.clone().abs().max().into_scalar();
        let difference: f32 = (x.grad(&blocked_grads).unwrap() - want)
            .abs()
            .max()
            .into_scalar();
        assert!(
            scale > 1e-3 && difference < 1e-4 * scale.max(1.0),
            "{difference} of {scale}"
        );
    }
}
