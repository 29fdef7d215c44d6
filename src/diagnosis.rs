//! The diagnosis: findings in plain words, each with a code, a severity and the figures it rests on,
//! computed from a structure, its noise weights, the sampler and a run's metrics. The window shows them
//! (each pointing to the control that changes it); `sample`, `analyze` and `noise-table` print them in
//! their JSON.

use std::collections::BTreeMap;

use crate::noise::{
    GroupSizes, LevelWeights, NamedNoise, TrainingSigma, expected_centred_mean_squares,
    expected_mean_squares,
};
use crate::sampler::{SamplerPreset, StartNoise, level_sigmas, training_coverage};
use crate::structure::Structure;
use crate::trajectory::{FrameMetrics, Shares};

crate::choice::choices! {
    /// What a finding is about (the JSON's `code`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum FindingCode {
        /// The noise weights refuse to make a noise model.
        InvalidWeights = "invalid-weights",
        /// How much independent noise residues get.
        ResidueNoise = "residue-noise",
        /// What centring between steps takes of the noise.
        Centring = "centring",
        /// Steps whose denoiser runs above the training σ.
        TrainingCoverage = "training-coverage",
        /// No augmentation between steps.
        AugmentationOff = "augmentation-off",
        /// A multiscale start.
        MultiscaleStart = "multiscale-start",
        /// What one global σ feeds the residue and chain levels.
        GlobalPreconditioning = "global-preconditioning",
        /// How the run's residues moved, and by which cause.
        RunResidueMotion = "run-residue-motion",
        /// A denoiser that keeps residues' offsets from their chain.
        DenoiserCarriesResidues = "denoiser-carries-residues",
        /// Noise that gives residues little motion of their own.
        NoiseGivesLittleOwnMotion = "noise-gives-little-own-motion",
    }
}

crate::choice::choices! {
    /// How much a finding explains residues not moving.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum Severity {
        /// Worth knowing.
        Info = "info",
        /// A reason residues do not move on their own.
        Warning = "warning",
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    /// Info or warning.
    pub severity: Severity,
    /// What it is about.
    pub code: FindingCode,
    /// The sentence, with its figures.
    pub text: String,
    /// The figures it rests on, by name.
    pub figures: BTreeMap<&'static str, f64>,
}

impl Finding {
    /// A finding; a warning when `warning`.
    pub fn new(
        code: FindingCode,
        warning: bool,
        text: String,
        figures: impl IntoIterator<Item = (&'static str, f64)>,
    ) -> Self {
        Self {
            severity: if warning {
                Severity::Warning
            } else {
                Severity::Info
            },
            code,
            text,
            figures: figures.into_iter().collect(),
        }
    }

    /// True for a warning.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// Inputs of the diagnosis; what is not known (an imported run has no sampler) is left out.
pub struct DiagnosisInput<'a> {
    /// The structure.
    pub structure: &'a Structure,
    /// Noise weights.
    pub noise: Option<&'a NamedNoise>,
    /// The EDM preset with its overrides (none for a flow-matching or DDPM run, or a run read from a file).
    pub preset: Option<&'a SamplerPreset>,
    /// Start noise.
    pub start: Option<StartNoise>,
    /// Per-level preconditioning shown (display only with the reference denoisers).
    pub per_level_precondition: bool,
    /// Metrics of the run.
    pub metrics: &'a [FrameMetrics],
}

/// The findings for a structure, its noise and sampler, and a run.
pub fn diagnose(input: &DiagnosisInput<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(noise) = input.noise {
        let sizes = GroupSizes::of(input.structure);
        // Weights may vary with sigma: judge them at the training distribution's median level.
        let sigma_median = input.preset.map_or_else(
            || TrainingSigma::default().sigma_at(0.0),
            |p| p.training().sigma_at(0.0),
        );
        let weights = noise.model.weights_at(sigma_median);
        findings.extend(noise_findings(input, &sizes, &weights));
        if let Some(preset) = input.preset {
            sampler_findings(input, preset, &sizes, &weights, &mut findings);
        }
    }
    let noise_gives_own_motion = findings
        .iter()
        .find(|f| f.code == FindingCode::ResidueNoise)
        .map(|f| f.severity == Severity::Info);
    findings.extend(run_findings(input.metrics, noise_gives_own_motion));
    findings
}

/// What the noise weights do to residues, and what centring leaves of each level's noise.
fn noise_findings(
    input: &DiagnosisInput<'_>,
    sizes: &GroupSizes,
    weights: &LevelWeights,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let own = (weights.residue / weights.sum()).sqrt();
    let e = expected_mean_squares(sizes, weights.stds(1.0));
    let ratio = (e.residue_abs / e.atom_abs).sqrt();
    let residue_share = if e.residue_abs > 0.0 {
        (e.residue_rel / e.residue_abs).sqrt()
    } else {
        0.0
    };
    // About the noise alone; what the run did, and why, is the run's finding below.
    let verdict = if residue_share < 0.5 {
        "the noise makes residues move with their chain."
    } else {
        "the noise gives residues motion of their own."
    };
    let text = if weights.residue == 0.0 && weights.chain == 0.0 {
        // Flat noise has no residue term, yet every residue centroid moves on its own: by the mean of its
        // atoms' independent noise.
        format!(
            "Flat noise has no residue- or chain-level term: each residue centroid moves by the mean of its atoms' noise ({ratio:.2} of an atom's), independently of its chain: {verdict}"
        )
    } else {
        format!(
            "Independent residue noise is {:.0}% of sigma with these weights (expected residue/atom ratio {ratio:.2}): {verdict}",
            own * 100.0
        )
    };
    findings.push(Finding::new(
        FindingCode::ResidueNoise,
        residue_share < 0.5,
        text,
        [
            ("independent_residue_noise_share", own),
            ("residue_atom_ratio", ratio),
            ("residue_own_share", residue_share),
        ],
    ));
    // Centring (augmentation on, and for one chain always: its chain term moves every atom alike)
    // removes the global translation; say what it takes and what the levels then see.
    if input.preset.is_none_or(|p| p.augment) || input.structure.chain_count() == 1 {
        let c = expected_centred_mean_squares(sizes, weights.stds(1.0));
        let translation = c.translation_share(&e);
        let why = if input.structure.chain_count() == 1 {
            "With one chain, its noise term is a global translation that centring removes"
        } else {
            "Centring between steps removes the global translation"
        };
        findings.push(Finding::new(
            FindingCode::Centring,
            translation > 0.5,
            format!(
                "{why}: it takes {:.0}% of the noise variance. After centring atoms see an effective σ of {:.2}σ and residue centroids {:.2}σ (residue/atom {:.2}).",
                translation * 100.0,
                c.atom.sqrt(),
                c.residue.sqrt(),
                (c.residue / c.atom).sqrt(),
            ),
            [
                ("translation_share", translation),
                ("atom_effective_sigma", c.atom.sqrt()),
                ("residue_effective_sigma", c.residue.sqrt()),
            ],
        ));
    }
    findings
}

/// What the schedule, augmentation, start and preconditioning mean for a model.
fn sampler_findings(
    input: &DiagnosisInput<'_>,
    preset: &SamplerPreset,
    sizes: &GroupSizes,
    weights: &LevelWeights,
    findings: &mut Vec<Finding>,
) {
    let coverage = training_coverage(&preset.step_levels(), &preset.training());
    if let Some(w) = coverage.warning {
        findings.push(Finding::new(
            FindingCode::TrainingCoverage,
            true,
            w,
            [
                ("steps_above", coverage.steps_above.len() as f64),
                ("share_outside", coverage.share_outside),
                ("sigma_p999", coverage.sigma_p999),
            ],
        ));
    }
    if !preset.augment {
        findings.push(Finding::new(
            FindingCode::AugmentationOff,
            true,
            "Augmentation is off: the structure is never re-centered and rotated between steps (Boltz and AF3 do it every step).".to_owned(),
            [],
        ));
    }
    if input.start == Some(StartNoise::Multiscale) {
        findings.push(Finding::new(
            FindingCode::MultiscaleStart,
            false,
            "Sampling starts from multiscale noise: the start is correlated within chains and residues, not the isotropic noise EDM samplers assume.".to_owned(),
            [],
        ));
    }
    // Neither reference denoiser is preconditioned, so the switch changes what the plots show, never the
    // sampling; the finding stays whichever way it is set.
    if input.structure.residue_count() > 1 {
        let s = level_sigmas(sizes, weights, 1.0); // shares of sigma: unit sigma
        let shown = if input.per_level_precondition {
            "per level (display only: the exact and ensemble denoisers are not preconditioned)"
        } else {
            "with the global sigma"
        };
        findings.push(Finding::new(
            FindingCode::GlobalPreconditioning,
            s.residue < 0.9,
            format!(
                "A model preconditioned with the global sigma at every level treats residue centroids as noised by σ, while their noise is only {:.0}% of it (chain centroids {:.0}%): it preconditions them for {:.0}% of their own noise; coefficients shown {shown}.",
                s.residue * 100.0,
                s.chain * 100.0,
                100.0 / s.residue.max(1e-12)
            ),
            [("residue_sigma_share", s.residue), ("chain_sigma_share", s.chain)],
        ));
    }
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The run's RMS share of residue motion independent of the chain: √(Σ own² / Σ total²) over its steps
/// (own = share · motion per step), so each step weighs what it moved, not one vote each.
fn pooled_independent_share(metrics: &[FrameMetrics]) -> Option<f64> {
    let (mut own, mut total) = (0.0, 0.0);
    for m in metrics {
        if let (Some(share), Some(motion)) =
            (m.levels.residue.independent_share, m.levels.residue.motion)
        {
            own += (share * motion).powi(2);
            total += motion * motion;
        }
    }
    (total > 0.0).then(|| (own / total).sqrt())
}

/// Each cause's share of the residue centroids' net motion over the run: the steps' shares weighted by
/// their net motion squared, Σ⟨d_k, D⟩ / Σ|D|² (so the many small late steps weigh what they moved).
fn residue_motion_shares(metrics: &[FrameMetrics]) -> Option<Shares> {
    let (mut sum, mut weight) = ([0.0; 3], 0.0);
    for m in metrics {
        let (Some(shares), Some(net)) = (
            m.motion_by_cause.and_then(|c| c.shares.residue),
            m.levels.residue.motion,
        ) else {
            continue;
        };
        let w = net * net;
        for (total, share) in sum
            .iter_mut()
            .zip([shares.churn, shares.rigid, shares.denoiser])
        {
            *total += w * share;
        }
        weight += w;
    }
    (weight > 0.0).then(|| Shares {
        churn: sum[0] / weight,
        rigid: sum[1] / weight,
        denoiser: sum[2] / weight,
    })
}

/// What the run did, split by cause: the residue motion's own share, the churn's and the denoiser
/// update's, and how much of the residues' offset error the predictions keep. `noise_gives_own_motion`
/// is the noise finding's verdict: the run never blames the noise that finding calls sufficient.
fn run_findings(metrics: &[FrameMetrics], noise_gives_own_motion: Option<bool>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(total) = pooled_independent_share(metrics) else {
        return findings;
    };
    let steps = metrics
        .iter()
        .filter(|m| m.levels.residue.independent_share.is_some())
        .count();
    let causes = metrics.iter().filter_map(|m| m.motion_by_cause);
    let churn = mean_of(causes.clone().filter_map(|c| c.churn.residue_own_share));
    let update = mean_of(causes.filter_map(|c| c.denoiser.residue_own_share));
    let kept = mean_of(metrics.iter().filter_map(|m| m.residue_offset_kept));
    let by_cause = match (churn, update) {
        (Some(c), Some(d)) => format!(
            ": own in {:.0}% of the churn noise's motion and {:.0}% of the denoiser update's",
            c * 100.0,
            d * 100.0
        ),
        _ => String::new(),
    };
    let by_cause = match residue_motion_shares(metrics) {
        Some(shares) => format!(
            "{by_cause}; of the residues' net motion the churn noise gave {:.0}%, the alignment {:.0}% and the denoiser {:.0}%",
            shares.churn * 100.0,
            shares.rigid * 100.0,
            shares.denoiser * 100.0
        ),
        None => by_cause,
    };
    let mut figures = vec![
        ("independent_residue_share", total),
        ("steps", steps as f64),
    ];
    figures.extend(kept.map(|k| ("residue_offset_kept", k)));
    figures.extend(churn.map(|c| ("churn_residue_own_share", c)));
    figures.extend(update.map(|u| ("denoiser_residue_own_share", u)));
    findings.push(Finding::new(
        FindingCode::RunResidueMotion,
        total < 0.5,
        format!(
            "Over this run, the RMS share of residue motion independent of the chain was {:.0}% (pooled over {steps} steps){by_cause}.",
            total * 100.0
        ),
        figures,
    ));
    if let Some(k) = kept.filter(|k| *k > 0.5) {
        findings.push(Finding::new(
            FindingCode::DenoiserCarriesResidues,
            true,
            format!(
                "The denoiser carries residues with their chain: its x0_hat keeps {:.0}% of the error in each residue's offset from its chain (the exact denoiser keeps 0%), so residues never move on their own to their places.",
                k * 100.0
            ),
            [("residue_offset_kept", k)],
        ));
    } else if total < 0.5 && churn.is_some_and(|c| c < 0.5) && noise_gives_own_motion != Some(true)
    {
        findings.push(Finding::new(
            FindingCode::NoiseGivesLittleOwnMotion,
            true,
            "Residues move with their chain because the noise gives them little motion of their own: raise w_r (noise panel) to give residues noise of their own.".to_owned(),
            churn.map(|c| ("churn_residue_own_share", c)),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::parse_noise;
    use crate::sampler::find_preset;

    fn findings(noise: &str, per_level: bool) -> Vec<Finding> {
        let structure = Structure::synthetic(2000);
        let noise = parse_noise(noise).unwrap_or_else(|e| panic!("{e}"));
        let preset = find_preset("boltz2").unwrap_or(crate::sampler::PRESETS[0]);
        diagnose(&DiagnosisInput {
            structure: &structure,
            noise: Some(&noise),
            preset: Some(&preset),
            start: Some(StartNoise::Isotropic),
            per_level_precondition: per_level,
            metrics: &[],
        })
    }

    #[test]
    fn the_preconditioning_switch_never_hides_the_finding() {
        let of = |per_level| {
            findings("seed-old", per_level)
                .into_iter()
                .find(|f| f.code == FindingCode::GlobalPreconditioning)
        };
        let (global, per_level) = (of(false), of(true));
        let (Some(global), Some(per_level)) = (global, per_level) else {
            panic!("the preconditioning finding is missing");
        };
        assert_eq!(global.severity, per_level.severity);
        assert!(
            per_level.text.contains("display only"),
            "{}",
            per_level.text
        );
    }

    #[test]
    fn flat_noise_is_not_called_zero_percent_own_noise() {
        let text = &findings("flat", false)[0].text;
        assert!(text.starts_with("Flat noise has no residue"), "{text}");
        assert!(!text.contains("0% of sigma"), "{text}");
    }
}
