//! Findings in plain words, computed from the numbers on screen; each names the control that changes it.

use crate::noise::{
    GroupSizes, LevelWeights, NamedNoise, expected_centred_mean_squares, expected_mean_squares,
};
use crate::sampler::{SamplerPreset, StartNoise, level_sigmas, training_coverage};
use crate::structure::Structure;
use crate::trajectory::FrameMetrics;

/// The control a finding points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Noise weights (noise panel).
    NoiseWeights,
    /// Preset and schedule (sampler panel).
    Schedule,
    /// The augmentation switch.
    Augmentation,
    /// Multiscale or isotropic start.
    StartNoise,
    /// Global or per-level preconditioning.
    Preconditioning,
    /// The denoiser choice.
    Denoiser,
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The sentence, with its figure.
    pub text: String,
    /// Where to change it.
    pub control: Control,
    /// True when it explains residues not moving on their own.
    pub warning: bool,
}

/// Inputs of the diagnosis.
pub struct DiagnosisInput<'a> {
    /// The structure on screen.
    pub structure: &'a Structure,
    /// Noise weights.
    pub noise: &'a NamedNoise,
    /// Sampler preset with overrides.
    pub preset: &'a SamplerPreset,
    /// Start noise.
    pub start: StartNoise,
    /// Per-level preconditioning shown (display only with the reference denoisers).
    pub per_level_precondition: bool,
    /// Metrics of the current run.
    pub metrics: &'a [FrameMetrics],
}

/// The findings for the settings and run on screen.
pub fn diagnose(input: &DiagnosisInput<'_>) -> Vec<Finding> {
    let sizes = GroupSizes::of(input.structure);
    // Weights may vary with sigma: judge them at the training distribution's median level.
    let sigma_median = input.preset.training().sigma_at(0.0);
    let weights = input.noise.model.weights_at(sigma_median);
    let mut findings = noise_findings(input, &sizes, &weights);
    sampler_findings(input, &sizes, &weights, &mut findings);
    findings.extend(run_findings(input.metrics));
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
    findings.push(Finding {
        text,
        control: Control::NoiseWeights,
        warning: residue_share < 0.5,
    });
    // Centring (augmentation on, and for one chain always: its chain term moves every atom alike)
    // removes the global translation; say what it takes and what the levels then see.
    if input.preset.augment || input.structure.chain_count() == 1 {
        let c = expected_centred_mean_squares(sizes, weights.stds(1.0));
        let translation = c.translation_share(&e);
        let why = if input.structure.chain_count() == 1 {
            "With one chain, its noise term is a global translation that centring removes"
        } else {
            "Centring between steps removes the global translation"
        };
        findings.push(Finding {
            text: format!(
                "{why}: it takes {:.0}% of the noise variance. After centring atoms see an effective σ of {:.2}σ and residue centroids {:.2}σ (residue/atom {:.2}).",
                translation * 100.0,
                c.atom.sqrt(),
                c.residue.sqrt(),
                (c.residue / c.atom).sqrt(),
            ),
            control: Control::NoiseWeights,
            warning: translation > 0.5,
        });
    }
    findings
}

/// What the schedule, augmentation, start and preconditioning mean for a model.
fn sampler_findings(
    input: &DiagnosisInput<'_>,
    sizes: &GroupSizes,
    weights: &LevelWeights,
    findings: &mut Vec<Finding>,
) {
    let coverage = training_coverage(&input.preset.step_levels(), &input.preset.training());
    if let Some(w) = coverage.warning {
        findings.push(Finding {
            text: w,
            control: Control::Schedule,
            warning: true,
        });
    }
    if !input.preset.augment {
        findings.push(Finding {
            text: "Augmentation is off: the structure is never re-centered and rotated between steps (Boltz and AF3 do it every step).".to_owned(),
            control: Control::Augmentation,
            warning: true,
        });
    }
    if input.start == StartNoise::Multiscale {
        findings.push(Finding {
            text: "Sampling starts from multiscale noise: the start is correlated within chains and residues, not the isotropic noise EDM samplers assume.".to_owned(),
            control: Control::StartNoise,
            warning: false,
        });
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
        findings.push(Finding {
            text: format!(
                "A model preconditioned with the global sigma at every level feeds residue centroids at only {:.0}% of their sigma (chain centroids {:.0}%); coefficients shown {shown}.",
                s.residue * 100.0,
                s.chain * 100.0
            ),
            control: Control::Preconditioning,
            warning: s.residue < 0.9,
        });
    }
}

fn mean_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Each cause's share of the residue centroids' net motion over the run: the steps' shares weighted by
/// their net motion squared, Σ⟨d_k, D⟩ / Σ|D|² (so the many small late steps weigh what they moved).
fn residue_motion_shares(metrics: &[FrameMetrics]) -> Option<crate::trajectory::Shares> {
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
    (weight > 0.0).then(|| crate::trajectory::Shares {
        churn: sum[0] / weight,
        rigid: sum[1] / weight,
        denoiser: sum[2] / weight,
    })
}

/// What the run did, split by cause: the residue motion's own share, the churn's and the denoiser
/// update's, and how much of the residues' offset error the predictions keep.
fn run_findings(metrics: &[FrameMetrics]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(total) = mean_of(
        metrics
            .iter()
            .filter_map(|m| m.levels.residue.independent_share),
    ) else {
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
    findings.push(Finding {
        text: format!(
            "Over this run, {:.0}% of residue motion was independent of the chain (mean over {steps} steps){by_cause}.",
            total * 100.0
        ),
        control: if kept.is_some_and(|k| k > 0.5) {
            Control::Denoiser
        } else {
            Control::NoiseWeights
        },
        warning: total < 0.5,
    });
    if let Some(k) = kept.filter(|k| *k > 0.5) {
        findings.push(Finding {
            text: format!(
                "The denoiser carries residues with their chain: its x0_hat keeps {:.0}% of the error in each residue's offset from its chain (the exact denoiser keeps 0%), so residues never move on their own to their places.",
                k * 100.0
            ),
            control: Control::Denoiser,
            warning: true,
        });
    } else if total < 0.5 && churn.is_some_and(|c| c < 0.5) {
        findings.push(Finding {
            text: "Residues move with their chain because the noise gives them little motion of their own: raise w_r (noise panel) to give residues noise of their own.".to_owned(),
            control: Control::NoiseWeights,
            warning: true,
        });
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
            noise: &noise,
            preset: &preset,
            start: StartNoise::Isotropic,
            per_level_precondition: per_level,
            metrics: &[],
        })
    }

    #[test]
    fn the_preconditioning_switch_never_hides_the_finding() {
        let of = |per_level| {
            findings("seed-old", per_level)
                .into_iter()
                .find(|f| f.control == Control::Preconditioning)
        };
        let (global, per_level) = (of(false), of(true));
        let (Some(global), Some(per_level)) = (global, per_level) else {
            panic!("the preconditioning finding is missing");
        };
        assert_eq!(global.warning, per_level.warning);
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
