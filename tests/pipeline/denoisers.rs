//! The reference denoisers against independent computations: the ensemble posterior against a dense
//! covariance, the rotation-marginal denoiser against a brute-force average over its rotations, and
//! both under noise weights that vary with sigma.

#![expect(clippy::unwrap_used)]
#![allow(clippy::needless_range_loop)] // the dense reference solver reads like the textbook

use crate::common;

use common::{bundled, cpu};

use burn::tensor::{Tensor, TensorData};
use sigmascope::denoiser::{DenoiseContext, Denoiser, EnsembleDenoiser, RotationMarginalDenoiser};
use sigmascope::geometry::rms_distance;
use sigmascope::noise::{LevelWeights, NoiseModel};
use sigmascope::structure::{Chain, FileFormat, Residue, Selection, SelectionReport, Structure};

/// A 3-residue, 2-chain toy: residues of 2, 3 and 2 atoms; chain A holds residues 0 and 1.
fn toy() -> Structure {
    let positions: Vec<[f32; 3]> = (0..7)
        .map(|i| [i as f32, (i * i) as f32 * 0.1, -(i as f32)])
        .collect();
    let residues = vec![
        Residue {
            name: "ALA".into(),
            number: 1,
            insertion_code: None,
            chain: 0,
            atoms: 0..2,
        },
        Residue {
            name: "GLY".into(),
            number: 2,
            insertion_code: None,
            chain: 0,
            atoms: 2..5,
        },
        Residue {
            name: "SER".into(),
            number: 1,
            insertion_code: None,
            chain: 1,
            atoms: 5..7,
        },
    ];
    let mut ensemble = vec![positions.clone()];
    for k in 1..3 {
        ensemble.push(
            positions
                .iter()
                .map(|p| {
                    [
                        p[0] + k as f32 * 0.7,
                        p[1] - k as f32 * 0.3,
                        p[2] + (k * k) as f32 * 0.2,
                    ]
                })
                .collect(),
        );
    }
    Structure {
        name: "toy".into(),
        source_path: None,
        format: FileFormat::Pdb,
        model_count: 3,
        model_number: 1,
        elements: vec![sigmascope::structure::Element::C; 7],
        atom_names: vec!["CA".into(); 7],
        b_factors: vec![0.0; 7],
        hetero: vec![false; 7],
        atom_residue: vec![0, 0, 1, 1, 1, 2, 2],
        residues,
        residue_chain: vec![0, 0, 1],
        chains: vec![
            Chain {
                id: "A".into(),
                residues: 0..2,
            },
            Chain {
                id: "B".into(),
                residues: 2..3,
            },
        ],
        model_positions: ensemble,
        model_numbers: vec![1, 2, 3],
        selection: Selection::default(),
        dropped: SelectionReport::default(),
        positions,
    }
}

/// Solves A x = b by Gauss–Jordan elimination with partial pivoting (dense, test only).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in 0..n {
            if row != col {
                let f = a[row][col] / a[col][col];
                for k in col..n {
                    a[row][k] -= f * a[col][k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    (0..n).map(|i| b[i] / a[i][i]).collect()
}

/// Posterior weights over `models` for x under the multiscale covariance, from a dense Σ solved per axis:
/// Σ/σ² = a I + r [same residue] + c [same chain].
fn dense_posterior_weights(
    s: &Structure,
    (a, r, c): (f64, f64, f64),
    sigma: f64,
    x: &[[f32; 3]],
    models: &[Vec<[f32; 3]>],
) -> Vec<f64> {
    let n = s.atom_count();
    let chain_of = |i: usize| s.residue_chain[s.atom_residue[i] as usize];
    let cov: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let mut v = 0.0;
                    if i == j {
                        v += a;
                    }
                    if s.atom_residue[i] == s.atom_residue[j] {
                        v += r;
                    }
                    if chain_of(i) == chain_of(j) {
                        v += c;
                    }
                    v * sigma * sigma
                })
                .collect()
        })
        .collect();
    let distances: Vec<f64> = models
        .iter()
        .map(|model| {
            (0..3)
                .map(|axis| {
                    let v: Vec<f64> = (0..n)
                        .map(|i| f64::from(x[i][axis] - model[i][axis]))
                        .collect();
                    let w = solve(cov.clone(), v.clone());
                    v.iter().zip(&w).map(|(p, q)| p * q).sum::<f64>()
                })
                .sum()
        })
        .collect();
    let max = distances
        .iter()
        .map(|d| -0.5 * d)
        .fold(f64::NEG_INFINITY, f64::max);
    let unnormalised: Vec<f64> = distances.iter().map(|d| (-0.5 * d - max).exp()).collect();
    let total: f64 = unnormalised.iter().sum();
    unnormalised.iter().map(|u| u / total).collect()
}

#[test]
fn ensemble_posterior_matches_dense_covariance() {
    let s = toy();
    let weights = LevelWeights::new(2.0, 3.0, 1.5).unwrap();
    let (a, r, c) = (1.5 / 6.5, 3.0 / 6.5, 2.0 / 6.5);
    let sigma = 1.7;
    let x: Vec<[f32; 3]> = (0..7)
        .map(|i| [i as f32 + 0.4, 0.2 * i as f32, 0.5 - i as f32])
        .collect();

    let dense_weights = dense_posterior_weights(&s, (a, r, c), sigma, &x, &s.model_positions);

    let device = &cpu().device;
    let denoiser = EnsembleDenoiser::new(&s, &NoiseModel::multiscale(weights), device).unwrap();
    let identity = DenoiseContext::in_data_frame(0);
    let flat: Vec<f32> = x.iter().flatten().copied().collect();
    let out = denoiser
        .denoise(
            Tensor::from_data(TensorData::new(flat, [7, 3]), device),
            sigma,
            &identity,
        )
        .unwrap();
    let got: Vec<f32> = out.weights.unwrap().into_data().try_into_vec().unwrap();
    for (g, w) in got.iter().zip(&dense_weights) {
        assert!(
            (f64::from(*g) - w).abs() < 1e-4,
            "{got:?} vs {dense_weights:?}"
        );
    }
    assert!(
        dense_weights.iter().all(|w| *w > 1e-3),
        "the toy weighs every model: {dense_weights:?}"
    );
    let mean: Vec<f32> = out.x0.into_data().try_into_vec().unwrap();
    for i in 0..7 {
        for axis in 0..3 {
            let want: f64 = (0..3)
                .map(|k| dense_weights[k] * f64::from(s.model_positions[k][i][axis]))
                .sum();
            assert!((f64::from(mean[i * 3 + axis]) - want).abs() < 1e-3);
        }
    }
}

fn denoise_points(denoiser: &dyn Denoiser, x: &[[f32; 3]], sigma: f64) -> Vec<[f32; 3]> {
    let device = &cpu().device;
    let flat: Vec<f32> = x.iter().flatten().copied().collect();
    let out = denoiser
        .denoise(
            Tensor::from_data(TensorData::new(flat, [x.len(), 3]), device),
            sigma,
            &DenoiseContext::in_data_frame(0),
        )
        .unwrap();
    let v: Vec<f32> = out.x0.into_data().try_into_vec().unwrap();
    v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// exp([ω]×), written out here apart from the denoiser's.
fn rotation_of(w: [f64; 3]) -> [[f64; 3]; 3] {
    let t = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    let k = [[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]];
    let (a, b) = if t < 1e-9 {
        (1.0, 0.5)
    } else {
        (t.sin() / t, (1.0 - t.cos()) / (t * t))
    };
    std::array::from_fn(|i| {
        std::array::from_fn(|j| {
            let k2: f64 = (0..3).map(|m| k[i][m] * k[m][j]).sum();
            f64::from(u8::from(i == j)) + a * k[i][j] + b * k2
        })
    })
}

fn product(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|m| a[i][m] * b[m][j]).sum()))
}

/// The truth turned by `r` about its centroid `g` (rows: (p − g) R + g).
fn turned(s: &Structure, g: [f64; 3], r: &[[f64; 3]; 3]) -> Vec<[f32; 3]> {
    s.positions
        .iter()
        .map(|p| {
            std::array::from_fn(|j| {
                ((0..3)
                    .map(|i| (f64::from(p[i]) - g[i]) * r[i][j])
                    .sum::<f64>()
                    + g[j]) as f32
            })
        })
        .collect()
}

#[test]
fn rotation_marginal_denoiser_is_the_brute_force_posterior_over_so3() {
    // Brute force, written out apart from the denoiser: the posterior mean over rotated copies of the
    // truth weighed with a dense covariance, over 200 000 uniform rotations at middle and high σ and over
    // a fine grid in exponential coordinates around the mode (weighed by the Haar density) at low σ,
    // for an x in a random orientation.
    use sigmascope::geometry::{centroid, kabsch, random_rotation};
    let s = toy();
    let weights = LevelWeights::new(2.0, 3.0, 1.5).unwrap();
    let shares = (1.5 / 6.5, 3.0 / 6.5, 2.0 / 6.5);
    let denoiser = RotationMarginalDenoiser::new(
        &s,
        &NoiseModel::multiscale(weights),
        sigmascope::denoiser::DEFAULT_ROTATIONS,
        7,
        &cpu().device,
    )
    .unwrap();
    let g = centroid(&s.positions);
    let mut rng = sigmascope::rng::SplitMix64::new(11, 3);
    let orientation = random_rotation(&mut rng);
    let uniform: Vec<[[f64; 3]; 3]> = (0..200_000).map(|_| random_rotation(&mut rng)).collect();
    for (sigma, tolerance) in [(0.15f64, 0.01), (1.5, 0.05), (15.0, 0.05)] {
        // The truth in a random orientation, moved and with a little structured offset.
        let x: Vec<[f32; 3]> = turned(&s, g, &orientation)
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let e = 0.3 * sigma.min(1.0) as f32 * ((i * 7 % 5) as f32 - 2.0) / 2.0;
                [p[0] + 4.0 + e, p[1] - 3.0 - e, p[2] + 1.0 + 0.5 * e]
            })
            .collect();
        let xm = centroid(&x);
        let centred: Vec<[f32; 3]> = x
            .iter()
            .map(|p| std::array::from_fn(|k| (f64::from(p[k]) - xm[k] + g[k]) as f32))
            .collect();
        let (rotations, measure): (Vec<[[f64; 3]; 3]>, Vec<f64>) = if sigma < 1.0 {
            let mode = kabsch(&s.positions, &centred).rotation;
            let (steps, half) = (31, 0.25);
            let mut grid = (Vec::new(), Vec::new());
            for a in 0..steps {
                for b in 0..steps {
                    for c in 0..steps {
                        let w =
                            [a, b, c].map(|i| half * (2.0 * i as f64 / (steps - 1) as f64 - 1.0));
                        let t = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
                        let haar = if t < 1e-9 {
                            0.5
                        } else {
                            (1.0 - t.cos()) / (t * t)
                        };
                        grid.0.push(product(&mode, &rotation_of(w)));
                        grid.1.push(haar);
                    }
                }
            }
            grid
        } else {
            (uniform.clone(), vec![1.0; uniform.len()])
        };
        let models: Vec<Vec<[f32; 3]>> = rotations.iter().map(|r| turned(&s, g, r)).collect();
        let posterior = dense_posterior_weights(&s, shares, sigma, &centred, &models);
        let w: Vec<f64> = posterior.iter().zip(&measure).map(|(p, m)| p * m).collect();
        let total: f64 = w.iter().sum();
        let got = denoise_points(&denoiser, &x, sigma);
        let mut worst = 0.0f64;
        for i in 0..s.atom_count() {
            for k in 0..3 {
                let want: f64 = models
                    .iter()
                    .zip(&w)
                    .map(|(m, w)| w / total * f64::from(m[i][k]))
                    .sum();
                worst = worst.max((f64::from(got[i][k]) - want).abs());
            }
        }
        assert!(worst < tolerance, "sigma {sigma}: worst {worst} Å");
        println!("sigma {sigma}: worst {worst} Å");
    }
}

#[test]
fn rotation_marginal_x0_collapses_toward_the_centroid_at_high_sigma() {
    let s = bundled("1crn");
    let weights = LevelWeights::new(8.2, 1.6, 1.3).unwrap();
    let denoiser =
        RotationMarginalDenoiser::new(&s, &NoiseModel::multiscale(weights), 512, 1, &cpu().device)
            .unwrap();
    let c = sigmascope::geometry::centroid(&s.positions);
    let spread = |p: &[[f32; 3]]| {
        (p.iter()
            .map(|q| {
                (0..3)
                    .map(|k| (f64::from(q[k]) - c[k]).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / p.len() as f64)
            .sqrt()
    };
    // At the truth with little noise the identity rotation takes all the weight: x̂0 is the truth.
    let near = denoise_points(&denoiser, &s.positions, 0.05);
    assert!(rms_distance(&near, &s.positions) < 1e-3);
    // Far above the structure's size the weights spread over SO(3): x̂0 shrinks toward the centroid.
    let noisy: Vec<[f32; 3]> = s
        .positions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            [
                p[0] + (i % 7) as f32 * 300.0,
                p[1] - (i % 5) as f32 * 250.0,
                p[2],
            ]
        })
        .collect();
    let far = denoise_points(&denoiser, &noisy, 2000.0);
    let shrink = spread(&far) / spread(&s.positions);
    assert!(
        shrink < 0.35,
        "x̂0 spread is {shrink} of the truth's at sigma 2000"
    );
}

#[test]
fn the_ensemble_posterior_uses_the_weights_in_force_at_each_sigma() {
    // Issue 12.8: with weights that vary with sigma, the covariance at t_hat is the one at t_hat.
    use sigmascope::noise::LogSigmaRamp;
    let s = toy();
    let (low, high) = (
        LevelWeights::new(0.5, 1.0, 3.0).unwrap(),
        LevelWeights::new(6.0, 2.0, 1.0).unwrap(),
    );
    let ramp = NoiseModel::Multiscale(std::sync::Arc::new(LogSigmaRamp {
        low,
        high,
        sigma_low: 1.0,
        sigma_high: 10.0,
    }));
    let device = &cpu().device;
    let varying = EnsembleDenoiser::new(&s, &ramp, device).unwrap();
    let x: Vec<[f32; 3]> = (0..7)
        .map(|i| [i as f32 + 0.4, 0.2 * i as f32, 0.5 - i as f32])
        .collect();
    let flat: Vec<f32> = x.iter().flatten().copied().collect();
    let tensor = || Tensor::<2>::from_data(TensorData::new(flat.clone(), [7, 3]), device);
    let read = |t: Tensor<1>| -> Vec<f32> { t.into_data().try_into_vec().unwrap() };
    for (sigma, weights) in [(0.5, low), (3.0, ramp.weights_at(3.0)), (40.0, high)] {
        let fixed = EnsembleDenoiser::new(&s, &NoiseModel::multiscale(weights), device).unwrap();
        let (a, b) = (
            read(varying.mahalanobis(tensor(), sigma)),
            read(fixed.mahalanobis(tensor(), sigma)),
        );
        for (p, q) in a.iter().zip(&b) {
            assert!(
                (p - q).abs() <= 1e-4 * q.abs().max(1.0),
                "sigma {sigma}: {a:?} vs {b:?}"
            );
        }
    }
    // And the weights do change along the ramp: the constant-at-σ=1 model would differ at 40 Å.
    let at_one = EnsembleDenoiser::new(&s, &NoiseModel::multiscale(low), device).unwrap();
    let (a, b) = (
        read(varying.mahalanobis(tensor(), 40.0)),
        read(at_one.mahalanobis(tensor(), 40.0)),
    );
    assert!(
        a.iter()
            .zip(&b)
            .any(|(p, q)| (p - q).abs() > 1e-3 * q.abs())
    );
}

#[test]
fn an_orientation_blind_ideal_denoiser_keeps_no_residue_offset() {
    // The rotation-marginal denoiser lands on a rotated copy of the truth: once each chain is superposed
    // onto the truth's, its x0_hat keeps none of the residues' offset error (it read 0.98–1.00 at low σ
    // when the offsets were compared in the truth's orientation). The exact denoiser keeps none either.
    use sigmascope::denoiser::{DenoiserChoice, DenoiserInputs};
    use sigmascope::sampler::{ChurnNoise, Sampler, SamplerSettings, StartNoise, find_preset};
    let s = bundled("1crn");
    let noise = sigmascope::noise::parse_noise("seed-old").unwrap();
    for (choice, limit) in [
        (DenoiserChoice::RotationMarginal, 0.1),
        (DenoiserChoice::Exact, 1e-3),
    ] {
        let device = &cpu().device;
        let denoiser = choice
            .build(&DenoiserInputs::new(&s, &noise.model, 3), device)
            .unwrap();
        let settings = SamplerSettings {
            level_outputs: false,
            preset: find_preset("edm").unwrap(),
            noise: noise.clone(),
            start: StartNoise::Multiscale,
            churn_noise: ChurnNoise::following(StartNoise::Multiscale),
            seed: 3,
        };
        let mut sampler = Sampler::new(&s, settings, denoiser, device).unwrap();
        sampler.run(|_, _| true).unwrap();
        let metrics =
            sigmascope::trajectory::trajectory_metrics(&s, &s.positions, sampler.frames());
        let kept: Vec<f64> = metrics
            .iter()
            .filter_map(|m| m.residue_offset_kept)
            .collect();
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        assert!(kept.len() > 10, "{}", kept.len());
        assert!(mean < limit, "{choice:?}: mean kept {mean} ({kept:?})");
    }
}

#[test]
fn denoiser_error_hands_states_over_in_random_poses() {
    // In the truth's own orientation an orientation-blind denoiser reads almost no error (the grid that
    // held the identity read 0.003 Å at σ = 5 on 1CRN); in random poses it pays for the orientation it
    // cannot know, while the shape it predicts stays right. The exact denoiser, told the pose, stays exact.
    use sigmascope::denoiser::{ExactDenoiser, denoiser_error};
    let s = bundled("1crn");
    let device = &cpu().device;
    let weights = LevelWeights::new(8.2, 1.6, 1.3).unwrap();
    let noise = NoiseModel::multiscale(weights);
    let blind = RotationMarginalDenoiser::new(&s, &noise, 4096, 1, device).unwrap();
    let rows = denoiser_error(&s, &blind, &noise, &[5.0], 4, 16.0, 2, device).unwrap();
    let r = rows[0];
    assert!(r.atom > 0.2 && r.atom < 0.8, "{r:?}");
    assert!(r.atom_superposed < 0.05, "{r:?}");
    let exact = ExactDenoiser::new(&s.positions, device);
    let rows = denoiser_error(&s, &exact, &noise, &[5.0], 2, 16.0, 2, device).unwrap();
    assert!(
        rows[0].atom < 1e-3 && rows[0].atom_superposed < 1e-3,
        "{:?}",
        rows[0]
    );
}
