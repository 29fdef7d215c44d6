//! Step sweeps (note 000's tables): one sampler configuration run at several step counts and seeds,
//! each run reduced to its final RMSD, TM-score, abnormal-bond share and time. The CLI's `sweep` and the
//! window's sweep panel both run it.

use std::time::Instant;

use burn::tensor::Device;

use super::metrics::trajectory_metrics;
use crate::denoiser::{DenoiserBuildError, DenoiserChoice, DenoiserInputs};
use crate::noise::NamedNoise;
use crate::sampler::{
    ChurnNoise, FamilySettings, Frame, Sampler, SamplerError, SamplerSettings, SamplerSpec,
    StartNoise, sample_family,
};
use crate::structure::Structure;

/// Everything a sweep's runs share.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The sampler.
    pub sampler: SamplerSpec,
    /// The denoiser.
    pub denoiser: DenoiserChoice,
    /// Noise weights (the EDM start, the families' prior, the ensemble's covariance).
    pub noise: NamedNoise,
    /// Multiscale or isotropic start.
    pub start: StartNoise,
    /// The families' prior σ, Å.
    pub prior_sigma: f64,
}

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    /// Sampling steps.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Atom RMSD after superposition of the last frame, Å.
    pub final_rmsd: f64,
    /// TM-score of the last frame's Cα.
    pub tm_score: Option<f64>,
    /// Share of abnormal backbone bonds in the last frame (`BondReport::share`).
    pub abnormal_bond_share: f64,
    /// FrameDiff's valid Cα–Cα share in the last frame (`BondReport::ca_ca_valid_share`).
    pub ca_ca_valid_share: Option<f64>,
    /// Wall time of the run (denoiser start excluded), s.
    pub secs: f64,
}

/// Why a sweep run failed.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The denoiser could not be built.
    #[error(transparent)]
    Denoiser(#[from] DenoiserBuildError),
    /// The sampler failed.
    #[error(transparent)]
    Sampler(#[from] SamplerError),
}

/// Runs one configuration: its frames and its point.
pub fn sweep_run(
    structure: &Structure,
    spec: &SweepSpec,
    steps: usize,
    seed: u64,
    device: &Device,
) -> Result<(Vec<Frame>, SweepPoint), SweepError> {
    let inputs = DenoiserInputs::new(structure, &spec.noise.model, seed);
    let denoiser = spec.denoiser.build(&inputs, device)?;
    let clock = Instant::now();
    let frames = match spec.sampler {
        SamplerSpec::Family(family) => {
            let settings = FamilySettings {
                spec: family,
                steps,
                prior: spec.noise.clone(),
                prior_sigma: spec.prior_sigma,
                start: spec.start,
                seed,
            };
            sample_family(structure, &settings, denoiser, device)?
        }
        SamplerSpec::Edm(mut preset) => {
            preset.schedule.steps = steps;
            let settings = SamplerSettings {
                level_outputs: false,
                preset,
                noise: spec.noise.clone(),
                start: spec.start,
                churn_noise: ChurnNoise::following(spec.start),
                seed,
            };
            let mut sampler = Sampler::new(structure, settings, denoiser, device)?;
            sampler.run(|_, _| true)?;
            sampler.into_frames()
        }
    };
    let secs = clock.elapsed().as_secs_f64();
    let metrics = trajectory_metrics(structure, &structure.positions, &frames);
    let last = metrics.last();
    let point = SweepPoint {
        steps,
        seed,
        final_rmsd: last.map_or(f64::NAN, |m| m.rmsd),
        tm_score: last.and_then(|m| m.tm_score),
        abnormal_bond_share: last.map_or(f64::NAN, |m| m.abnormal_bonds.share),
        ca_ca_valid_share: last.and_then(|m| m.abnormal_bonds.ca_ca_valid_share),
        secs,
    };
    Ok((frames, point))
}

/// Runs every (steps, seed) in order; `keep_going(done, total)` after each run can stop the sweep.
pub fn sweep(
    structure: &Structure,
    spec: &SweepSpec,
    steps: &[usize],
    seeds: u64,
    device: &Device,
    mut keep_going: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<SweepPoint>, SweepError> {
    let total = steps.len() * seeds.max(1) as usize;
    let mut points = Vec::with_capacity(total);
    for &n in steps {
        for seed in 0..seeds.max(1) {
            points.push(sweep_run(structure, spec, n, seed, device)?.1);
            if !keep_going(points.len(), total) {
                return Ok(points);
            }
        }
    }
    Ok(points)
}
