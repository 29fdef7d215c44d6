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
use sigmascope::trajectory::{
    KeptCoordinates, MetricsTracker, Track, import_trajectory, run_measuring, trajectory_metrics,
    write_track,
};

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

fn without_churn(mut p: SamplerPreset) -> SamplerPreset {
    p.churn = ChurnRule::NONE;
    p.schedule.steps = p.schedule.steps.min(40);
    p
}

/// A sampler of `preset` with the exact denoiser, seed-old multiscale noise.
fn exact_sampler(structure: &Structure, preset: SamplerPreset, seed: u64) -> Sampler {
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

fn run(structure: &Structure, preset: SamplerPreset, seed: u64) -> Vec<Frame> {
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
    let imported = import_trajectory(
        &path,
        None,
        None,
        &LoadOptions {
            model: 1,
            selection: Selection::everything(),
        },
    )
    .unwrap();
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
fn residues_barely_move_on_their_own_with_old_weights() {
    // Seed 002, pitfall 1: a deterministic run from multiscale seed-old noise moves residues with their chain;
    // with the exact denoiser the motion is the start noise scaled, so the independent residue share is the
    // noise's own residue rel/abs share.
    let s = bundled("4hhb");
    let mut preset = without_churn(find_preset("seed-002").unwrap());
    preset.schedule.steps = 10;
    let frames = run(&s, preset, 1);
    let metrics = trajectory_metrics(&s, &s.positions, &frames);
    let share = metrics[3].levels.residue.independent_share.unwrap();
    assert!(share < 0.5, "{share}");
    assert!(metrics[3].levels.chain.is_some());
}

/// `points` rotated by `degrees` about the axis (1, 2, 2)/3 through the origin, then shifted.
fn rigidly_moved(points: &[[f32; 3]], degrees: f64, shift: [f64; 3]) -> Vec<[f32; 3]> {
    let (s, c) = degrees.to_radians().sin_cos();
    let u = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    // Rodrigues' formula, written out independently of RigidTransform.
    let r = |i: usize, j: usize| {
        let cross = [[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]];
        let delta = if i == j { 1.0 } else { 0.0 };
        c * delta + s * cross[i][j] + (1.0 - c) * u[i] * u[j]
    };
    points
        .iter()
        .map(|p| {
            std::array::from_fn(|i| {
                ((0..3).map(|j| r(i, j) * f64::from(p[j])).sum::<f64>() + shift[i]) as f32
            })
        })
        .collect()
}

#[test]
fn a_rigid_motion_of_the_whole_structure_is_nobodys_own_motion() {
    // Issue 12.1: with the chain centroid's translation subtracted, a 10° rotation read 0.999 on 1CRN and
    // 0.593 on 4HHB. The parent's best rigid motion leaves nothing at any level.
    for name in ["1crn", "4hhb"] {
        let s = bundled(name);
        let moved = rigidly_moved(&s.positions, 10.0, [5.0, -3.0, 2.0]);
        let frames = vec![
            Frame::from_positions(0, s.positions.clone()),
            Frame::from_positions(1, moved),
        ];
        let m = trajectory_metrics(&s, &s.positions, &frames);
        let levels = &m[1].levels;
        assert!(levels.residue.motion.unwrap() > 1.0, "{name} did move");
        let residue = levels.residue.independent_share.unwrap();
        assert!(residue < 1e-3, "{name}: residue own share {residue}");
        if let Some(chain) = levels.chain {
            let share = chain.independent_share.unwrap();
            assert!(share < 1e-3, "{name}: chain own share {share}");
        }
    }
}

#[test]
fn one_residue_moving_alone_is_its_own_motion() {
    let s = bundled("1crn");
    let mut moved = s.positions.clone();
    let r = &s.residues[20];
    for p in &mut moved[r.atoms.start as usize..r.atoms.end as usize] {
        p[0] += 1.5;
    }
    let frames = vec![
        Frame::from_positions(0, s.positions.clone()),
        Frame::from_positions(1, moved),
    ];
    let m = trajectory_metrics(&s, &s.positions, &frames);
    // The chain's fit absorbs a little of one residue in 46: nearly all of the motion is its own.
    let share = m[1].levels.residue.independent_share.unwrap();
    assert!(share > 0.9 && share <= 1.0, "{share}");
}

#[test]
fn the_steps_alignment_onto_the_prediction_counts_as_motion_like_any_other_cause() {
    // One definition of a step's motion: its net displacement in the truth's frame. The alignment onto
    // x̂0 moves the state there (it is one of the three causes whose shares sum to 1), so a step that
    // only aligns moves as much as the same motion recorded without it.
    let s = bundled("1crn");
    let moved = rigidly_moved(&s.positions, 25.0, [1.0, 2.0, 3.0]);
    let alignment = kabsch(&s.positions, &moved);
    let mut aligned = Frame::from_positions(1, moved.clone());
    aligned.alignment = Some(alignment);
    let plain = Frame::from_positions(1, moved.clone());
    let start = Frame::from_positions(0, s.positions.clone());
    let with = trajectory_metrics(&s, &s.positions, &[start.clone(), aligned]);
    let without = trajectory_metrics(&s, &s.positions, &[start, plain]);
    let expected = rms_between(&moved, &s.positions);
    for m in [&with[1], &without[1]] {
        let motion = m.levels.atom.motion.unwrap();
        assert!((motion - expected).abs() < 1e-3, "{motion} vs {expected}");
    }
    assert!(expected > 1.0);
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
fn own_motion_shares_stay_between_0_and_1_over_a_boltz2_run() {
    // A fit on the chain's atoms is optimal for atoms, not for residue centroids, and let the share pass 1
    // late in a run; fitting the measured centroids keeps "no motion" among the candidates.
    let s = bundled("4hhb");
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 8;
    let frames = run(&s, preset, 5);
    let metrics = trajectory_metrics(&s, &s.positions, &frames);
    for m in &metrics[1..] {
        let residue = m.levels.residue.independent_share.unwrap();
        let chain = m.levels.chain.unwrap().independent_share.unwrap();
        for share in [residue, chain] {
            assert!(
                (0.0..=1.0 + 1e-9).contains(&share),
                "frame {}: {share}",
                m.index
            );
        }
    }
}

#[test]
fn churn_from_the_noise_model_moves_residues_with_their_chain() {
    // Issue 12.7. step_scale 0 makes a step's whole move its churn noise (no augmentation or alignment).
    // Drawn from seed-old's multiscale model, residue centroids move mostly with their chain; drawn
    // isotropically, each residue's centroid moves on its own.
    let s = bundled("4hhb");
    let share_of = |churn_noise| {
        let mut preset = find_preset("boltz2").unwrap();
        preset.schedule.steps = 4;
        preset.step_scale = 0.0;
        preset.augment = false;
        preset.align_to_prediction = false;
        let settings = SamplerSettings {
            level_outputs: false,
            preset,
            noise: parse_noise("seed-old").unwrap(),
            start: StartNoise::Multiscale,
            churn_noise,
            seed: 6,
        };
        let denoiser = Box::new(ExactDenoiser::new(&s.positions, &cpu().device));
        let mut sampler = Sampler::new(&s, settings, denoiser, &cpu().device).unwrap();
        sampler.step().unwrap();
        let frames = sampler.into_frames();
        assert!(frames[1].churn_std > 100.0);
        let m = trajectory_metrics(&s, &s.positions, &frames);
        m[1].levels.residue.independent_share.unwrap()
    };
    let (model, isotropic) = (
        share_of(ChurnNoise::NoiseModel),
        share_of(ChurnNoise::Isotropic),
    );
    assert!(model < 0.6, "noise-model churn: residue own share {model}");
    assert!(
        isotropic > 0.8,
        "isotropic churn: residue own share {isotropic}"
    );
    assert_eq!(
        ChurnNoise::following(StartNoise::Multiscale),
        ChurnNoise::NoiseModel
    );
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

/// 3-D RMS of per-point differences, computed here from the coordinates.
fn rms_between(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(p, q)| (0..3).map(|k| f64::from(p[k] - q[k]).powi(2)).sum::<f64>())
        .sum();
    (sum / a.len() as f64).sqrt()
}

#[test]
fn a_steps_motion_splits_into_churn_alignment_and_the_denoiser_update() {
    // Boltz-2 with its alignment onto x0_hat and churn; each cause's atom figure is worked out here from
    // the recorded states: x_prev -> churned (churn) -> aligned (rigid) -> x_t (denoiser update).
    let s = bundled("1crn");
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 12;
    let frames = run(&s, preset, 3);
    let metrics = trajectory_metrics(&s, &s.positions, &frames);
    assert!(
        metrics[0].motion_by_cause.is_none(),
        "the start has no step"
    );
    for k in 1..frames.len() {
        let causes = metrics[k].motion_by_cause.unwrap();
        let prev = frames[k - 1].x_t_in_data();
        let churned = frames[k].x_churned.clone().unwrap();
        let aligned = match frames[k].alignment_in_data() {
            Some(a) => a.apply_all(&churned),
            None => churned.clone(),
        };
        let now = frames[k].x_t_in_data();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * b.max(1.0);
        assert!(
            close(causes.churn.atom, rms_between(&churned, &prev)),
            "step {k}"
        );
        assert!(
            close(causes.rigid.atom, rms_between(&aligned, &churned)),
            "step {k}"
        );
        assert!(
            close(causes.denoiser.atom, rms_between(&now, &aligned)),
            "step {k}"
        );
        // The additive split, worked out here: each cause's displacement projected on the net one.
        let net = |a: &[[f32; 3]], b: &[[f32; 3]]| -> f64 {
            a.iter()
                .zip(b)
                .zip(prev.iter().zip(&now))
                .map(|((p, q), (x, y))| {
                    (0..3)
                        .map(|i| f64::from(p[i] - q[i]) * f64::from(y[i] - x[i]))
                        .sum::<f64>()
                })
                .sum()
        };
        let net_norm = net(&now, &prev);
        let shares = causes.shares.atom.unwrap();
        let expected = [
            net(&churned, &prev) / net_norm,
            net(&aligned, &churned) / net_norm,
            net(&now, &aligned) / net_norm,
        ];
        for (got, want) in [shares.churn, shares.rigid, shares.denoiser]
            .iter()
            .zip(expected)
        {
            assert!((got - want).abs() < 1e-3, "step {k}: {got} vs {want}");
        }
        let sum = shares.churn + shares.rigid + shares.denoiser;
        assert!((sum - 1.0).abs() < 1e-9, "step {k}: shares sum to {sum}");
        let residue = causes.shares.residue.unwrap();
        let sum = residue.churn + residue.rigid + residue.denoiser;
        assert!(
            (sum - 1.0).abs() < 1e-9,
            "step {k}: residue shares sum to {sum}"
        );
        // The step's motion is the net displacement, the alignment included: one definition.
        let motion = metrics[k].levels.atom.motion.unwrap();
        assert!(
            close(motion, rms_between(&now, &prev)),
            "step {k}: {motion}"
        );
        // The exact denoiser restores every residue's offset from its chain.
        let kept = metrics[k].residue_offset_kept.unwrap();
        assert!(kept < 1e-3, "step {k}: kept {kept}");
    }
    // A step without churn (gamma 0) has no churn motion beyond the float32 round trip of the recorded
    // frames (the sampler frame sits far from the data frame's origin early on); steps with churn move.
    for (f, m) in frames.iter().zip(&metrics).skip(1) {
        let churn = m.motion_by_cause.unwrap().churn.atom;
        if f.gamma == 0.0 {
            assert!(churn < 1e-3, "step {}: {churn}", f.index);
        } else {
            // Noise-model churn at a std of hundreds of Å: far above the round-off.
            assert!(
                churn > 0.1 * f.churn_std,
                "step {}: {churn} vs std {}",
                f.index,
                f.churn_std
            );
        }
    }
    assert!(frames.iter().any(|f| f.gamma > 0.0));
}

/// `trajectory_metrics` measures long runs in slices on the machine's cores: every figure equals one
/// tracker's over the whole run. The tracker reads the frames' atoms through their transforms, never
/// copied: its atom motion and RMSD equal those of the atoms copied into the truth's frame.
#[test]
fn sliced_metrics_equal_one_trackers_and_the_copied_atoms_figures() {
    let s = bundled("4hhb");
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 40;
    let frames = run(&s, preset, 3);
    let sliced = trajectory_metrics(&s, &s.positions, &frames);
    let mut tracker = MetricsTracker::new(&s, &s.positions);
    let whole: Vec<_> = frames.iter().map(|f| tracker.push(&s, f)).collect();
    assert_eq!(sliced, whole);
    let mut without_churn = 0;
    for k in 1..frames.len() {
        // A step without churn moved nothing by churn: zero, and no share of nothing.
        let churn = whole[k].motion_by_cause.unwrap().churn;
        if frames[k].churn_std > 0.0 {
            assert!(churn.atom > 0.0 && churn.residue_own_share.is_some());
        } else {
            without_churn += 1;
            assert_eq!((churn.atom, churn.residue_own_share), (0.0, None));
        }
        // The step's motion is its net displacement, the alignment onto x̂0 included.
        let now = frames[k].x_t_in_data();
        let before = frames[k - 1].x_t_in_data();
        // The copies are rounded to f32 once more than the tracker's figures.
        let motion = rms_distance(&now, &before);
        let got = whole[k].levels.atom.motion.unwrap();
        assert!(
            (got - motion).abs() < 1e-4 + 1e-5 * motion,
            "{k}: {got} vs {motion}"
        );
        let fit = kabsch(&now, &s.positions);
        let rmsd = rms_distance(&fit.apply_all(&now), &s.positions);
        assert!((whole[k].rmsd - rmsd).abs() < 1e-4 + 1e-5 * rmsd, "{k}");
    }
    // Boltz-2 churns only while σ_next > γ_min = 1 Å: the last steps of 40 do not.
    assert!(without_churn > 0 && without_churn < frames.len() - 1);
}

/// `sample` measures frames while the run goes on, in slices on the cores (41 frames: two slices on
/// CI's two cores): the same figures as measuring the finished run, and every frame recorded. A run
/// that keeps no coordinates measures the same, and its frames keep their scalars and transforms.
#[test]
fn a_run_measured_while_it_runs_gives_the_finished_runs_metrics() {
    let s = bundled("4hhb");
    let mut preset = find_preset("boltz2").unwrap();
    preset.schedule.steps = 40;
    let mut sampler = exact_sampler(&s, preset, 4);
    let (outcome, measured) = run_measuring(&mut sampler, &s, &s.positions, KeptCoordinates::All);
    outcome.unwrap();
    let frames = sampler.into_frames();
    assert_eq!(frames.len(), 41);
    assert!(frames.iter().all(|f| f.x_t.len() == s.atom_count()));
    assert_eq!(measured, trajectory_metrics(&s, &s.positions, &frames));

    let mut sampler = exact_sampler(&s, preset, 4);
    let (outcome, released) = run_measuring(&mut sampler, &s, &s.positions, KeptCoordinates::None);
    outcome.unwrap();
    assert_eq!(released, measured);
    let bare = sampler.into_frames();
    assert_eq!(bare.len(), frames.len());
    for (b, f) in bare.iter().zip(&frames) {
        assert!(b.x_t.is_empty() && b.x0_hat.is_none() && b.x_churned.is_none());
        assert_eq!((b.index, b.sigma, b.t_hat), (f.index, f.sigma, f.t_hat));
        assert_eq!((b.pose, b.alignment), (f.pose, f.alignment));
    }
}
