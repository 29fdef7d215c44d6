//! The sampler families beside EDM (seeds 000 and 001): with the exact denoiser each returns the
//! ground truth, whatever the solver, schedule, direction or prior; and `sweep` reports per step count.

#![expect(clippy::unwrap_used)]

use crate::common;

use sigmascope::denoiser::ExactDenoiser;
use sigmascope::geometry::superposed_rmsd;
use sigmascope::noise::parse_noise;
use sigmascope::sampler::{
    AlphaBarSchedule, FamilyPreset, FamilySettings, FamilySpec, FlowDirection, FlowSolver,
    StartNoise, sample_family,
};

fn final_rmsd(spec: FamilySpec, steps: usize, start: StartNoise) -> f64 {
    let s = common::bundled("1crn");
    let device = &common::cpu().device;
    let denoiser = ExactDenoiser::new(&s.positions, device);
    let settings = FamilySettings {
        spec,
        steps,
        prior: parse_noise("seed-old").unwrap(),
        prior_sigma: 16.0,
        start,
        seed: 5,
    };
    let frames = sample_family(&s, &settings, Box::new(denoiser), device).unwrap();
    assert_eq!(
        frames.len(),
        steps.min(match spec {
            FamilySpec::Ddpm { total, .. } => total - 1,
            FamilySpec::FlowMatching { .. } => steps,
        }) + 1
    );
    // Frame 0 is the prior draw, far from the truth.
    assert!(superposed_rmsd(&frames[0].x_t, &s.positions) > 5.0);
    superposed_rmsd(&frames.last().unwrap().x_t, &s.positions)
}

#[test]
fn every_flow_matching_solver_and_direction_returns_the_ground_truth() {
    for direction in [FlowDirection::NoiseAtOne, FlowDirection::NoiseAtZero] {
        for solver in [FlowSolver::Euler, FlowSolver::Heun, FlowSolver::Sde] {
            for start in [StartNoise::Isotropic, StartNoise::Multiscale] {
                let spec = FamilySpec::FlowMatching {
                    direction,
                    solver,
                    diffusion: 1.0,
                };
                let rmsd = final_rmsd(spec, 25, start);
                // The last step lands on x0_hat exactly; float32 leaves about 1e-5 Å.
                assert!(rmsd < 1e-3, "{direction:?} {solver:?} {start:?}: {rmsd}");
            }
        }
    }
}

#[test]
fn every_ddpm_schedule_and_eta_returns_the_ground_truth() {
    for schedule in [
        AlphaBarSchedule::LinearAlphaBar,
        AlphaBarSchedule::LinearBeta,
        AlphaBarSchedule::Cosine,
    ] {
        for (total, steps, eta) in [(50, 50, 1.0), (1000, 20, 0.0), (1000, 20, 1.0)] {
            let spec = FamilySpec::Ddpm {
                schedule,
                total,
                eta,
            };
            let rmsd = final_rmsd(spec, steps, StartNoise::Isotropic);
            assert!(
                rmsd < 1e-3,
                "{schedule:?} T={total} N={steps} eta={eta}: {rmsd}"
            );
        }
    }
}

#[test]
fn the_presets_cite_their_seeds() {
    use sigmascope::choice::Choice;
    for &family in FamilyPreset::ALL {
        let source = family.source();
        assert!(source.starts_with("seed 00"), "{family}: {source}");
        assert!(
            final_rmsd(family.spec(), family.steps().min(30), StartNoise::Isotropic) < 1e-3,
            "{family}"
        );
    }
    assert!("nope".parse::<FamilyPreset>().is_err());
}

#[test]
fn sweep_reports_rmsd_tm_score_and_bonds_per_step_count() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sigmascope"))
        .args([
            "sweep",
            "1crn",
            "--family",
            "fm",
            "--solver",
            "sde",
            "--steps",
            "5,10",
            "--seeds",
            "2",
            "--denoiser",
            "exact",
            "--device",
            "cpu",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for run in runs {
        assert!(run["final_rmsd"].as_f64().unwrap() < 1e-3, "{run}");
        assert!(
            (run["tm_score"].as_f64().unwrap() - 1.0).abs() < 1e-6,
            "{run}"
        );
        assert_eq!(run["abnormal_bond_share"].as_f64().unwrap(), 0.0);
    }
    assert_eq!(json["abnormal_bonds"]["ca_ca_normal_range"][0], 3.5);
}

/// x̂0 = x: a denoiser that does nothing, whose error is the noise itself.
struct Identity;

impl sigmascope::denoiser::Denoiser for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn denoise(
        &self,
        x: burn::tensor::Tensor<2>,
        _sigma: f64,
        _context: &sigmascope::denoiser::DenoiseContext,
    ) -> Result<sigmascope::denoiser::DenoiserOutput, sigmascope::denoiser::DenoiseError> {
        Ok(sigmascope::denoiser::DenoiserOutput {
            levels: None,
            x0: x,
            weights: None,
        })
    }
}

#[test]
fn the_error_per_noise_level_is_zero_for_the_exact_denoiser_and_the_noise_for_none() {
    use sigmascope::denoiser::denoiser_error;
    let s = common::bundled("4hhb");
    let device = &common::cpu().device;
    let flat = parse_noise("flat").unwrap();
    let sigmas = [0.5, 5.0, 50.0];
    let exact = ExactDenoiser::new(&s.positions, device);
    let rows = denoiser_error(&s, &exact, &flat.model, &sigmas, 2, 16.0, 1, device).unwrap();
    for r in &rows {
        assert!(
            r.atom < 1e-4 && r.residue < 1e-4 && r.chain.unwrap() < 1e-4,
            "{r:?}"
        );
        // A perfect x0_hat implies the target velocity.
        let gap = (r.velocity_norm_predicted - r.velocity_norm_target).abs();
        assert!(gap < 1e-3 * r.velocity_norm_target, "{r:?}");
        assert!((r.t - r.sigma / (r.sigma + 16.0)).abs() < 1e-12);
        // Note 000's convention puts the noise at t = 0.
        assert!((r.t_note_000 - 16.0 / (r.sigma + 16.0)).abs() < 1e-12);
        assert!(r.velocity_rmse < 1e-3 * r.velocity_norm_target, "{r:?}");
    }
    let rows = denoiser_error(&s, &Identity, &flat.model, &sigmas, 2, 16.0, 1, device).unwrap();
    for r in &rows {
        // Flat noise of σ per coordinate: 3-D RMS σ √3 at atoms (4558 atoms: within 2%), and a
        // residue centroid's mean over its ~7.9 atoms.
        let atoms = r.sigma * 3f64.sqrt();
        assert!((r.atom / atoms - 1.0).abs() < 0.02, "{r:?} vs {atoms}");
        assert!(
            r.residue < 0.5 * r.atom && r.residue > 0.2 * r.atom,
            "{r:?}"
        );
    }
}

/// RMS of residue-centroid over atom coordinates of `x`, per coordinate: the noise's residue/atom ratio
/// once the noise dwarfs the structure.
fn residue_atom_ratio(s: &sigmascope::structure::Structure, x: &[[f32; 3]]) -> f64 {
    let rms = |p: &[[f32; 3]]| {
        (p.iter()
            .flatten()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            / p.len() as f64)
            .sqrt()
    };
    rms(&s.residue_centroids(x)) / rms(x)
}

#[test]
fn ancestral_noise_keeps_a_multiscale_priors_covariance() {
    // After a multiscale start the SDE's and DDPM's injected noise is the noise model's too, so the
    // state's noise keeps the prior's residue/atom ratio (seed-old: 0.95 on 4HHB) instead of fading
    // toward the isotropic ratio (one residue centroid averages ~7.9 atoms: about 0.36). A prior σ of
    // 400 Å keeps the structure itself (|x0| ≲ 40 Å here) small beside the noise at mid run.
    use sigmascope::noise::{GroupSizes, expected_mean_squares};
    let s = common::bundled("4hhb");
    let device = &common::cpu().device;
    let noise = parse_noise("seed-old").unwrap();
    let e = expected_mean_squares(&GroupSizes::of(&s), noise.model.stds(1.0));
    let expected = (e.residue_abs / e.atom_abs).sqrt();
    for (spec, steps) in [
        (FamilyPreset::ResfoldDdpm.spec(), 50),
        (FamilyPreset::FmSde.spec(), 60),
    ] {
        let settings = FamilySettings {
            spec,
            steps,
            prior: noise.clone(),
            prior_sigma: 400.0,
            start: StartNoise::Multiscale,
            seed: 3,
        };
        let denoiser = ExactDenoiser::new(&s.positions, device);
        let frames = sample_family(&s, &settings, Box::new(denoiser), device).unwrap();
        let start = residue_atom_ratio(&s, &frames[0].x_t);
        let middle = residue_atom_ratio(&s, &frames[steps / 2].x_t);
        assert!(
            (start / expected - 1.0).abs() < 0.05,
            "{spec:?}: start {start} vs {expected}"
        );
        assert!(
            (middle / expected - 1.0).abs() < 0.1,
            "{spec:?}: frame {} ratio {middle} vs {expected}",
            steps / 2
        );
    }
}
