//! The sampler engine against the published formulas and closed forms.

#![expect(clippy::unwrap_used)]

use crate::common;

use common::{bundled, cpu};

use std::sync::{Arc, Mutex};

use burn::tensor::Tensor;
use sigmascope::denoiser::{
    DenoiseContext, DenoiseError, Denoiser, DenoiserOutput, EnsembleDenoiser, ExactDenoiser,
};
use sigmascope::geometry::{kabsch, rms_distance};
use sigmascope::noise::parse_noise;
use sigmascope::sampler::Frame;
use sigmascope::sampler::{
    CNoiseMode, ChurnNoise, ChurnRule, PRESETS, Preconditioning, Sampler, SamplerPreset,
    SamplerSettings, ScheduleTimes, Solver, StartNoise, find_preset,
};
use sigmascope::structure::{LoadOptions, Selection, Structure};
use sigmascope::trajectory::{Track, import_trajectory, trajectory_metrics, write_track};

/// EDM eq. 5 written out again, independently of `ScheduleSpec::sigmas`.
fn published_sigmas(p: &SamplerPreset) -> Vec<f64> {
    let s = &p.schedule;
    let n = s.steps as f64;
    let scale = if s.scale_by_sigma_data {
        s.sigma_data
    } else {
        1.0
    };
    let mut out: Vec<f64> = (0..s.steps)
        .map(|i| {
            let t = match s.times {
                ScheduleTimes::Endpoints => i as f64 / (n - 1.0),
                // Protenix InferenceNoiseScheduler: N + 1 points at i/N, the last replaced by 0.
                ScheduleTimes::Protenix => i as f64 / n,
                ScheduleTimes::Midpoints => (i as f64 + 0.5) / n,
            };
            let inv = 1.0 / s.rho;
            scale
                * (s.sigma_max.powf(inv) + t * (s.sigma_min.powf(inv) - s.sigma_max.powf(inv)))
                    .powf(s.rho)
        })
        .collect();
    if s.append_zero {
        out.push(0.0);
    }
    out
}

#[test]
fn every_preset_schedule_and_coefficients_follow_the_formulas() {
    let expected_start = [
        ("edm", 80.0),
        ("boltz1", 2560.0),
        ("boltz2", 2560.0),
        ("af3", 2560.0),
        ("seed-002", 1280.0),
    ];
    for p in PRESETS {
        let sigmas = p.schedule.sigmas();
        let want = published_sigmas(&p);
        assert_eq!(sigmas.len(), want.len(), "{}", p.name);
        for (a, b) in sigmas.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-9 * b.max(1.0), "{}: {a} vs {b}", p.name);
        }
        if let Some((_, start)) = expected_start.iter().find(|(n, _)| *n == p.name) {
            assert!(
                (sigmas[0] - start).abs() < 1e-9,
                "{} starts at {}",
                p.name,
                sigmas[0]
            );
        }
        for &sigma in &sigmas[..sigmas.len() - 1] {
            let c = Preconditioning::at(sigma, p.schedule.sigma_data, p.c_noise);
            let sd = p.schedule.sigma_data;
            // EDM table 1: c_skip = sd²/(σ²+sd²), c_out = σ sd / sqrt(σ²+sd²), c_in = 1/sqrt(σ²+sd²).
            assert!((c.c_skip - sd * sd / (sigma * sigma + sd * sd)).abs() < 1e-12);
            assert!((c.c_out - sigma * sd / (sigma * sigma + sd * sd).sqrt()).abs() < 1e-9);
            assert!((c.c_in - 1.0 / (sigma * sigma + sd * sd).sqrt()).abs() < 1e-12);
            let c_noise = match p.c_noise {
                CNoiseMode::Edm => 0.25 * sigma.ln(),
                CNoiseMode::LogRatio => 0.25 * (sigma / sd).ln(),
            };
            assert!((c.c_noise - c_noise).abs() < 1e-12);
        }
    }
    // Presets carry the values of their sources.
    let b2 = find_preset("boltz2").unwrap();
    assert_eq!(
        (
            b2.schedule.sigma_min,
            b2.schedule.rho,
            b2.step_scale,
            b2.noise_scale
        ),
        (1e-4, 7.0, 1.5, 1.003)
    );
    let b1 = find_preset("boltz1").unwrap();
    assert_eq!(
        (
            b1.schedule.sigma_min,
            b1.schedule.rho,
            b1.step_scale,
            b1.noise_scale
        ),
        (4e-4, 8.0, 1.638, 0.901)
    );
    assert_eq!(find_preset("chai1").unwrap().solver, Solver::Chai);
    assert_eq!(find_preset("edm").unwrap().c_noise, CNoiseMode::Edm);
}

pub(crate) fn without_churn(mut p: SamplerPreset) -> SamplerPreset {
    p.churn = ChurnRule::NONE;
    p.schedule.steps = p.schedule.steps.min(40);
    p
}

/// A sampler of `preset` with the exact denoiser, seed-old multiscale noise.
pub(crate) fn exact_sampler(structure: &Structure, preset: SamplerPreset, seed: u64) -> Sampler {
    let settings = SamplerSettings {
        level_outputs: false,
        preset,
        noise: parse_noise("seed-old").unwrap(),
        start: StartNoise::Multiscale,
        churn_noise: ChurnNoise::following(StartNoise::Multiscale),
        seed,
    };
    let denoiser = Box::new(ExactDenoiser::new(&structure.positions, &cpu().device));
    Sampler::new(structure, settings, denoiser, &cpu().device).unwrap()
}

/// Steps taken with recording off read nothing back; their frames' maps and augmentations, settled
/// by the next recorded step or by `settle`, are those of a run that records every step (AF3: no
/// alignment, so its steps defer; Boltz-2 aligns, which reads back every step).
#[test]
fn steps_without_recording_settle_to_the_recorded_runs_maps() {
    let s = bundled("1crn");
    for name in ["af3", "boltz2"] {
        let mut preset = find_preset(name).unwrap();
        preset.schedule.steps = 30;
        let recorded = run(&s, preset, 5);
        let mut sampler = exact_sampler(&s, preset, 5);
        for step in 0..30 {
            sampler.set_recording((12..14).contains(&step));
            sampler.step().unwrap();
        }
        sampler.settle().unwrap();
        let frames = sampler.frames();
        assert_eq!(frames.len(), recorded.len());
        for (f, r) in frames.iter().zip(&recorded) {
            assert_eq!(f.pose, r.pose, "{name} frame {}", f.index);
            assert_eq!(f.augmentation, r.augmentation, "{name} frame {}", f.index);
            assert_eq!(f.alignment, r.alignment, "{name} frame {}", f.index);
        }
        assert!(frames[29].augmentation.is_some() && frames[29].x_t.is_empty());
        assert_eq!(frames[13].x_t, recorded[13].x_t);
    }
}

pub(crate) fn run(structure: &Structure, preset: SamplerPreset, seed: u64) -> Vec<Frame> {
    let mut sampler = exact_sampler(structure, preset, seed);
    sampler.run(|_, _| true).unwrap();
    sampler.into_frames()
}

#[test]
fn exact_denoiser_without_churn_lands_on_the_ground_truth() {
    let s = bundled("1crn");
    for p in PRESETS {
        for augment in [false, true] {
            let mut preset = without_churn(p);
            preset.augment = augment;
            preset.translation_std = if augment { 1.0 } else { 0.0 };
            if !preset.schedule.append_zero {
                // Chai-1's midpoint schedule ends above 0: with an exact denoiser each step scales x - x0
                // by sigma'/sigma (Euler, Heun) or by 2 sigma'/sigma - 1 (Chai-1's step); with a final 0
                // appended it lands exactly.
                let frames = run(&s, preset, 4);
                let (first, last) = (&frames[0], frames.last().unwrap());
                let ratio: f64 = frames
                    .windows(2)
                    .map(|w| {
                        let r = w[1].sigma / w[0].sigma;
                        if preset.solver == Solver::Chai {
                            (2.0 * r - 1.0).abs()
                        } else {
                            r
                        }
                    })
                    .product();
                let start_error = rms_distance(&first.x_t_in_data(), &s.positions);
                let end_error = rms_distance(&last.x_t_in_data(), &s.positions);
                assert!(
                    (end_error - start_error * ratio).abs() < 1e-3 + 1e-3 * end_error,
                    "{} {end_error}",
                    p.name
                );
                preset.schedule.append_zero = true;
            }
            let frames = run(&s, preset, 4);
            let last = frames.last().unwrap();
            assert_eq!(last.sigma, 0.0);
            let error = rms_distance(&last.x_t_in_data(), &s.positions);
            let worst = last
                .x_t_in_data()
                .iter()
                .zip(&s.positions)
                .map(|(a, b)| (0..3).map(|k| (a[k] - b[k]).abs()).fold(0.0f32, f32::max))
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-3,
                "{} augment {augment}: rms {error}, worst {worst}",
                p.name
            );
            if augment {
                assert!(last.augmentation.is_some());
                // The sampler's own frame really is rotated: only undoing it recovers the truth.
                assert!(rms_distance(&last.x_t, &s.positions) > 1.0, "{}", p.name);
            }
        }
    }
}

#[test]
fn seeded_runs_repeat_and_other_seeds_differ() {
    let s = bundled("1crn");
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 8;
    let a = run(&s, preset, 5);
    let b = run(&s, preset, 5);
    let c = run(&s, preset, 6);
    assert_eq!(a, b);
    assert_ne!(a[3].x_t, c[3].x_t);
    // Churn was on: gamma 0.8 while the next sigma exceeds 1 Å.
    assert!((a[1].gamma - 0.8).abs() < 1e-12 && a[1].churn_std > 0.0);
}

/// The exact denoiser declared frame-dependent, as a learned model would be: the sampler must hand it
/// x in the augmented frame and map its x̂0 back. It records the centroid of every x it is given.
struct FrameBound {
    inner: ExactDenoiser,
    centroids: Arc<Mutex<Vec<[f64; 3]>>>,
}

impl Denoiser for FrameBound {
    fn name(&self) -> &'static str {
        "frame-bound exact"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let points: Vec<f32> = x.clone().into_data().try_into_vec().unwrap();
        let n = (points.len() / 3) as f64;
        let c = std::array::from_fn(|k| {
            points
                .iter()
                .skip(k)
                .step_by(3)
                .map(|v| f64::from(*v))
                .sum::<f64>()
                / n
        });
        self.centroids.lock().unwrap().push(c);
        self.inner.denoise(x, sigma, context)
    }
}

#[test]
fn frame_bound_denoisers_see_the_augmented_frame_and_agree_with_data_frame_calls() {
    let s = bundled("1crn");
    // Boltz-2: augmentation, churn and alignment onto the prediction all on.
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 12;
    let settings = |preset| SamplerSettings {
        level_outputs: false,
        preset,
        noise: parse_noise("seed-old").unwrap(),
        start: StartNoise::Multiscale,
        churn_noise: ChurnNoise::following(StartNoise::Multiscale),
        seed: 3,
    };
    let run_with = |preset, denoiser: Box<dyn Denoiser>| {
        let mut sampler = Sampler::new(&s, settings(preset), denoiser, &cpu().device).unwrap();
        sampler.run(|_, _| true).unwrap();
        sampler.into_frames()
    };
    let centroids = Arc::new(Mutex::new(Vec::new()));
    let bound = Box::new(FrameBound {
        inner: ExactDenoiser::new(&s.positions, &cpu().device),
        centroids: centroids.clone(),
    });
    assert!(!bound.equivariant());
    let in_frame = run_with(preset, bound);
    let in_data = run(&s, preset, 3);
    assert!(preset.align_to_prediction && in_data[1].churn_std > 0.0);
    // The same trajectory either way (the state, the prediction and the alignment), within f32 rounding.
    for (a, b) in in_frame.iter().zip(&in_data) {
        let scale = 1.0 + a.sigma;
        assert!(
            rms_distance(&a.x_t, &b.x_t) < 1e-4 * scale,
            "frame {}",
            a.index
        );
        if let (Some(x0a), Some(x0b)) = (&a.x0_hat, &b.x0_hat) {
            assert!(rms_distance(x0a, x0b) < 1e-3, "frame {}", a.index);
        }
        assert_eq!(a.augmentation.is_some(), b.augmentation.is_some());
        assert_eq!(a.alignment.is_some(), b.alignment.is_some());
    }

    // Without churn, the denoiser gets x right after augmentation: centered, then shifted by the
    // step's random translation.
    let mut quiet = without_churn(preset);
    quiet.align_to_prediction = false;
    quiet.translation_std = 5.0;
    centroids.lock().unwrap().clear();
    let frames = run_with(
        quiet,
        Box::new(FrameBound {
            inner: ExactDenoiser::new(&s.positions, &cpu().device),
            centroids: centroids.clone(),
        }),
    );
    let seen = centroids.lock().unwrap().clone();
    assert_eq!(seen.len(), frames.len() - 1);
    for (c, frame) in seen.iter().zip(&frames[1..]) {
        let t = frame.augmentation.unwrap().transform.translation;
        let shift = (0..3).map(|k| (c[k] - t[k]).abs()).fold(0.0, f64::max);
        assert!(
            shift < 1e-3 * (1.0 + frame.sigma_prev),
            "step {}: {c:?} vs {t:?}",
            frame.index
        );
        assert!(
            t.iter().any(|v| v.abs() > 0.5),
            "the translation is not trivially 0"
        );
    }

    // The recorded alignment is a motion in the frame: without churn, the state before the step
    // carried into the step's frame (x_hat) is superposed onto the recorded x̂0 by exactly it.
    let mut aligned = without_churn(preset);
    aligned.align_to_prediction = true;
    let frames = run(&s, aligned, 3);
    for pair in frames.windows(2).take(6) {
        let (before, after) = (&pair[0], &pair[1]);
        let x_hat = after
            .pose
            .apply_all(&before.pose.inverse().apply_all(&before.x_t));
        let want = kabsch(&x_hat, after.x0_hat.as_ref().unwrap());
        let got = after.alignment.unwrap();
        let rotation_error = (0..9)
            .map(|k| (got.rotation[k / 3][k % 3] - want.rotation[k / 3][k % 3]).abs())
            .fold(0.0, f64::max);
        let translation_error = (0..3)
            .map(|k| (got.translation[k] - want.translation[k]).abs())
            .fold(0.0, f64::max);
        assert!(
            rotation_error < 1e-3 && translation_error < 1e-3 * (1.0 + before.sigma),
            "step {}: {got:?} vs {want:?}",
            after.index
        );
    }
}

#[test]
fn ensemble_denoiser_samples_into_the_nmr_ensemble() {
    let s = bundled("1l2y");
    let noise = parse_noise("rebalanced").unwrap();
    let mut preset = without_churn(find_preset("boltz2").unwrap());
    preset.schedule.steps = 30;
    let settings = SamplerSettings {
        level_outputs: false,
        preset,
        noise: noise.clone(),
        start: StartNoise::Isotropic,
        churn_noise: ChurnNoise::following(StartNoise::Isotropic),
        seed: 2,
    };
    let denoiser = Box::new(EnsembleDenoiser::new(&s, &noise.model, &cpu().device).unwrap());
    let mut sampler = Sampler::new(&s, settings, denoiser, &cpu().device).unwrap();
    sampler.run(|_, _| true).unwrap();
    let last = sampler.frames().last().unwrap();
    let weights = last.ensemble_weights.as_ref().unwrap();
    assert_eq!(weights.len(), 38);
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    // At sigma → 0 the posterior collapses on one model and the sample is that model.
    let (best, w) = weights
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    assert!(*w > 0.99, "{weights:?}");
    assert!(rms_distance(&last.x_t_in_data(), &s.model_positions[best]) < 1e-2);
}

#[test]
fn exported_trajectory_imports_with_equal_metrics() {
    let s = bundled("4hhb");
    let mut preset = find_preset("af3").unwrap();
    preset.schedule.steps = 6;
    let frames = run(&s, preset, 9);
    let metrics = trajectory_metrics(&s, &s.positions, &frames);
    let dir = std::env::temp_dir().join(format!("sigmascope-sampler-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xt.pdb");
    write_track(&path, &s, &frames, Track::State).unwrap();
    let options = sigmascope::trajectory::ImportOptions {
        load: LoadOptions {
            model: 1,
            selection: Selection::everything(),
        },
        ..Default::default()
    };
    let imported = import_trajectory(&path, &options).unwrap();
    assert_eq!(imported.frames.len(), frames.len());
    let back = trajectory_metrics(
        &imported.structure,
        &imported.structure.positions,
        &imported.frames,
    );
    for (a, b) in metrics.iter().zip(&back) {
        // PDB keeps 3 decimals: figures agree to the rounding of coordinates (plus far-out frames' fewer decimals).
        let tol = 2e-3 + 1e-5 * a.rmsd;
        assert!((a.rmsd - b.rmsd).abs() < tol, "{} vs {}", a.rmsd, b.rmsd);
        assert!((a.levels.residue.rmsd - b.levels.residue.rmsd).abs() < tol);
        let (ca, cb) = (a.levels.chain.unwrap(), b.levels.chain.unwrap());
        assert!((ca.rmsd - cb.rmsd).abs() < tol);
        assert_eq!(
            a.abnormal_bonds.ca_ca_abnormal,
            b.abnormal_bonds.ca_ca_abnormal
        );
        match (a.levels.residue.motion, b.levels.residue.motion) {
            (Some(x), Some(y)) => assert!((x - y).abs() < tol + 1e-5 * x),
            (x, y) => assert_eq!(x.is_some(), y.is_some()),
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn chai_adds_the_averaged_slope_to_the_euler_result() {
    // With the exact denoiser the residual e = x - x0 has slope d = e / sigma, and the slope at the Euler
    // result is the same, so per step Euler and Heun scale e by sigma'/sigma, while Chai-1's update
    // x_E + dt (d + d')/2 scales it by 2 sigma'/sigma - 1 (chai-lab chai1.py).
    let s = bundled("1crn");
    for solver in [Solver::Euler, Solver::Heun, Solver::Chai] {
        let mut preset = without_churn(find_preset("chai1").unwrap());
        preset.augment = false;
        preset.step_scale = 1.0;
        preset.solver = solver;
        let frames = run(&s, preset, 3);
        let residual = |f: &Frame| rms_distance(&f.x_t_in_data(), &s.positions);
        for k in 1..4 {
            let ratio = frames[k].sigma / frames[k - 1].sigma;
            let expected = if solver == Solver::Chai {
                2.0 * ratio - 1.0
            } else {
                ratio
            };
            let got = residual(&frames[k]) / residual(&frames[k - 1]);
            assert!(
                (got - expected.abs()).abs() < 1e-3,
                "{solver:?} step {k}: residual ratio {got}, expected {expected}"
            );
        }
    }
}

#[test]
fn frame_zero_and_the_noise_table_use_one_convention() {
    // Issue 12.6: RMSD and motion are 3-D per atom; the table's displacements too (isotropic noise of
    // std σ moves atoms √3 σ), so an isotropic start reads what the flat column says at sigma_0.
    use sigmascope::noise::{NoiseTableSpec, SigmaPoint, noise_table};
    let s = bundled("1crn");
    let mut preset = without_churn(find_preset("edm").unwrap());
    preset.schedule.steps = 4;
    let settings = SamplerSettings {
        level_outputs: false,
        preset,
        noise: parse_noise("flat").unwrap(),
        start: StartNoise::Isotropic,
        churn_noise: ChurnNoise::Isotropic,
        seed: 2,
    };
    let denoiser = Box::new(ExactDenoiser::new(&s.positions, &cpu().device));
    let sampler = Sampler::new(&s, settings, denoiser, &cpu().device).unwrap();
    let frames = sampler.into_frames();
    let sigma_0 = frames[0].sigma;
    let start = rms_distance(&frames[0].x_t_in_data(), &s.positions);
    let spec = NoiseTableSpec {
        noises: vec![parse_noise("flat").unwrap()],
        points: vec![SigmaPoint {
            z: None,
            sigma: sigma_0,
        }],
        repeats: 8,
        seed: 0,
    };
    let table = noise_table(&s, &spec, &cpu().device, false).unwrap();
    let atom = table.rows[0].noises.0[0].1.atom.abs;
    assert!((atom.expected - 3f64.sqrt() * sigma_0).abs() < 1e-9 * sigma_0);
    // The start is the noise around the centred truth: its distance from the truth is that noise
    // plus the truth's own offset from the origin, small against sigma_0 = 80 Å.
    assert!(
        (start / atom.expected - 1.0).abs() < 0.05,
        "{start} vs {}",
        atom.expected
    );
}
