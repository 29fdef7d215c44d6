//! A step's motion measured: each level's own share, the split by cause (magnitudes and additive
//! shares), and the trackers that measure runs while they grow, against figures worked out here.

use crate::common;

use common::{bundled, cpu};

use super::sampler::{exact_sampler, run, without_churn};
use sigmascope::denoiser::ExactDenoiser;
use sigmascope::geometry::{kabsch, rms_distance};
use sigmascope::noise::parse_noise;
use sigmascope::sampler::Frame;
use sigmascope::sampler::{ChurnNoise, Sampler, SamplerSettings, StartNoise, find_preset};
use sigmascope::trajectory::{KeptCoordinates, MetricsTracker, run_measuring, trajectory_metrics};

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
    let expected = common::rms_between(&moved, &s.positions);
    for m in [&with[1], &without[1]] {
        let motion = m.levels.atom.motion.unwrap();
        assert!((motion - expected).abs() < 1e-3, "{motion} vs {expected}");
    }
    assert!(expected > 1.0);
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
            close(causes.churn.atom, common::rms_between(&churned, &prev)),
            "step {k}"
        );
        assert!(
            close(causes.rigid.atom, common::rms_between(&aligned, &churned)),
            "step {k}"
        );
        assert!(
            close(causes.denoiser.atom, common::rms_between(&now, &aligned)),
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
            close(motion, common::rms_between(&now, &prev)),
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

/// `sample` measures frames while the run goes on, in chunks of 8 frames the cores take in turn (41
/// frames: six chunks on CI's two cores, each thread carrying on from the frame before its chunk): the
/// same figures as measuring the finished run, and every frame recorded. A run
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
