//! The wgpu path: device choice, a smoke computation and the noise table on the adapter CI has
//! (Mesa lavapipe) or on a real GPU, and the sampler's state kept on it. Skips without an adapter, except on CI where one must exist.

#![expect(clippy::unwrap_used)]

use crate::common;

use common::bundled;

use sigmascope::compute::{ComputeKind, smoke_test};
use sigmascope::denoiser::ExactDenoiser;
use sigmascope::noise::{
    HierarchyTensors, LevelStds, NoiseTableSpec, SigmaPoint, draw_noise_rows, noise_table,
    parse_noise,
};
use sigmascope::sampler::{ChurnRule, Sampler, SamplerSettings, Solver, StartNoise, find_preset};

#[test]
fn wgpu_device_computes_draws_noise_and_samples() {
    let Some(device) = common::wgpu_or_skip() else {
        return;
    };
    assert_ne!(device.kind, ComputeKind::Cpu);
    let line = device.describe();
    if device.kind == ComputeKind::SoftwareGpu {
        assert!(line.contains("software"), "{line}");
    }
    println!("device: {line}");
    smoke_test(&device.device).unwrap();
    let s = bundled("4hhb");
    noise_draws_match_their_closed_forms(&s, &device.device);
    centroids_match_the_host(&s, &device.device);
    the_sampler_lands_on_the_truth(&device.device);
}

/// The noise table on the device: the same numbers twice, each figure within 3 standard errors, and
/// churn noise in contiguous rows with each level's variance.
fn noise_draws_match_their_closed_forms(
    s: &sigmascope::structure::Structure,
    device: &burn::tensor::Device,
) {
    let spec = NoiseTableSpec {
        noises: vec![parse_noise("seed-old").unwrap()],
        points: vec![SigmaPoint {
            z: None,
            sigma: 4.82,
        }],
        repeats: 32,
        seed: 1,
    };
    let a = noise_table(s, &spec, device, false).unwrap();
    let b = noise_table(s, &spec, device, false).unwrap();
    assert_eq!(a.rows, b.rows, "same seed, same device, same numbers");
    let cell = &a.rows[0].noises.0[0].1;
    for f in [
        cell.atom.abs,
        cell.residue.abs,
        cell.chain.unwrap().abs,
        cell.residue_over_atom,
    ] {
        assert!(
            (f.measured - f.expected).abs() <= 3.0 * f.stderr.unwrap(),
            "{f:?}"
        );
    }

    // Churn noise comes as contiguous rows on the device too, with each level's variance: a
    // transposed view made the churned state strided, and reductions over it slow.
    let h = HierarchyTensors::new(s, device);
    let stds = LevelStds {
        chain: 3.0,
        residue: 2.0,
        atom: 1.0,
    };
    let rows = draw_noise_rows(&h, stds, 1, 9, device);
    assert_eq!(sigmascope::compute::is_contiguous(&rows), Some(true));
    let values: Vec<f32> = rows.into_data().try_to_vec().unwrap();
    let variance = values.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / values.len() as f64;
    // 1 + 4 + 9 per coordinate; four chains leave the chain level a wide spread.
    assert!(variance > 4.0 && variance < 30.0, "{variance}");
}

/// Residue and chain centroids on the device (block sums over contiguous segments) are the host's.
fn centroids_match_the_host(s: &sigmascope::structure::Structure, device: &burn::tensor::Device) {
    let h = HierarchyTensors::new(s, device);
    let positions: Vec<f32> = s.positions.iter().flatten().copied().collect();
    let points = burn::tensor::Tensor::<3>::from_data(
        burn::tensor::TensorData::new(positions, [1, s.atom_count(), 3]),
        device,
    );
    let residues = h.residue_centroids(points);
    let chains: Vec<f32> = h
        .chain_centroids(residues.clone())
        .into_data()
        .try_to_vec()
        .unwrap();
    let residues: Vec<f32> = residues.into_data().try_to_vec().unwrap();
    let host_residues = s.residue_centroids(&s.positions);
    let host_chains = s.chain_centroids(&host_residues);
    for (got, want) in [(residues, host_residues), (chains, host_chains)] {
        assert_eq!(got.len(), 3 * want.len());
        let worst = got
            .iter()
            .zip(want.iter().flatten())
            .map(|(g, w)| (g - w).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "worst {worst} Å");
    }
}

/// The sampler on the device: augmentation, alignment onto the prediction (Boltz-2) and Heun (AF3 with
/// Heun), churn off, land on the ground truth once augmentation is undone.
fn the_sampler_lands_on_the_truth(device: &burn::tensor::Device) {
    let crambin = bundled("1crn");
    for (name, heun) in [("boltz2", false), ("af3", true)] {
        let mut preset = find_preset(name).unwrap();
        preset.churn = ChurnRule::NONE;
        preset.schedule.steps = 24;
        if heun {
            // EDM's Heun takes whole steps; with step_scale 1.5 the correction overshoots.
            preset.solver = Solver::Heun;
            preset.step_scale = 1.0;
        }
        let settings = SamplerSettings {
            level_outputs: false,
            preset,
            noise: parse_noise("seed-old").unwrap(),
            start: StartNoise::Multiscale,
            churn_noise: sigmascope::sampler::ChurnNoise::following(StartNoise::Multiscale),
            seed: 2,
        };
        let denoiser = || Box::new(ExactDenoiser::new(&crambin.positions, device));
        let mut sampler = Sampler::new(&crambin, settings.clone(), denoiser(), device).unwrap();
        sampler.run(|_, _| true).unwrap();
        let last = sampler.frames().last().unwrap();
        // The same run with nothing read back until its last step: the maps settle to the same.
        let mut quiet = Sampler::new(&crambin, settings.clone(), denoiser(), device).unwrap();
        quiet.set_recording(false);
        for _ in 1..24 {
            quiet.step().unwrap();
        }
        quiet.set_recording(true);
        quiet.step().unwrap();
        let quiet_last = quiet.frames().last().unwrap();
        assert_eq!(quiet_last.pose, last.pose, "{name}");
        assert_eq!(quiet_last.x_t, last.x_t, "{name}");
        assert!(last.augmentation.is_some() && last.sigma == 0.0);
        let worst = last
            .x_t_in_data()
            .iter()
            .zip(&crambin.positions)
            .flat_map(|(a, b)| (0..3).map(move |k| (a[k] - b[k]).abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{name}: worst {worst} Å");
        if !heun {
            frames_keep_their_rows_while_the_budget_lasts(&crambin, settings, device);
            family_frames_keep_their_points(&crambin, device);
        }
    }
}

/// A flow-matching run keeps its state and x̂0 as points [N, 3], each its frame's host coordinates.
fn family_frames_keep_their_points(
    s: &sigmascope::structure::Structure,
    device: &burn::tensor::Device,
) {
    use sigmascope::compute::CoordinateLayout;
    use sigmascope::sampler::{FamilyPreset, FamilySampler, SteppedRun};
    let (spec, steps) = (FamilyPreset::FmOde.spec(), FamilyPreset::FmOde.steps());
    let settings = sigmascope::sampler::FamilySettings {
        spec,
        steps: steps.min(4),
        prior: parse_noise("seed-old").unwrap(),
        prior_sigma: 16.0,
        start: StartNoise::Multiscale,
        seed: 5,
    };
    let denoiser = Box::new(ExactDenoiser::new(&s.positions, device));
    let mut run: Box<dyn SteppedRun> =
        Box::new(FamilySampler::new(s, settings, denoiser, device).unwrap());
    run.keep_frames_on_device(u64::MAX);
    run.step().unwrap();
    for frame in run.frames() {
        let rows = frame.on_device.as_ref().unwrap();
        assert_eq!(rows.state.layout(), CoordinateLayout::Points);
        assert_eq!(rows.x0_hat.is_some(), frame.index > 0);
        let v: Vec<f32> = rows
            .state
            .tensor()
            .clone()
            .into_data()
            .try_to_vec()
            .unwrap();
        let host: Vec<f32> = frame.x_t.iter().flatten().copied().collect();
        assert_eq!(v, host, "frame {}", frame.index);
    }
}

/// A run keeping its frames on the device: the start's state and two steps' state and prediction
/// fit the budget, the third step's does not; the rows, mapped into each frame, are its host
/// coordinates.
fn frames_keep_their_rows_while_the_budget_lasts(
    s: &sigmascope::structure::Structure,
    settings: SamplerSettings,
    device: &burn::tensor::Device,
) {
    let n = s.atom_count();
    let denoiser = Box::new(ExactDenoiser::new(&s.positions, device));
    let mut sampler = Sampler::new(s, settings, denoiser, device).unwrap();
    sampler.keep_frames_on_device((12 + 24 + 24 + 20) * n as u64);
    for _ in 0..3 {
        sampler.step().unwrap();
    }
    let frames = sampler.frames();
    let kept: Vec<bool> = frames.iter().map(|f| f.on_device.is_some()).collect();
    assert_eq!(kept, [true, true, true, false]);
    assert!(frames[0].on_device.as_ref().unwrap().x0_hat.is_none());
    for frame in &frames[..3] {
        let rows = frame.on_device.as_ref().unwrap();
        let pairs = [
            (Some(&rows.state), Some(&frame.x_t)),
            (rows.x0_hat.as_ref(), frame.x0_hat.as_ref()),
        ];
        for (on_device, host) in pairs {
            let (Some(on_device), Some(host)) = (on_device, host) else {
                assert_eq!(frame.index, 0);
                continue;
            };
            let v: Vec<f32> = on_device.tensor().clone().into_data().try_to_vec().unwrap();
            assert_eq!(v.len(), 3 * n);
            for (i, p) in host.iter().enumerate() {
                let mapped = frame.pose.apply([v[i], v[n + i], v[2 * n + i]]);
                for k in 0..3 {
                    assert!((mapped[k] - p[k]).abs() < 1e-3, "frame {}", frame.index);
                }
            }
        }
    }
    // burn's CPU backend keeps nothing: there is no buffer a renderer could draw from.
    let cpu = burn::tensor::Device::flex();
    let denoiser = Box::new(ExactDenoiser::new(&s.positions, &cpu));
    let mut on_cpu = Sampler::new(s, sampler.settings().clone(), denoiser, &cpu).unwrap();
    on_cpu.keep_frames_on_device(u64::MAX);
    on_cpu.step().unwrap();
    assert!(on_cpu.frames().iter().all(|f| f.on_device.is_none()));
}
