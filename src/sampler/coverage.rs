//! How a sampling schedule sits against the training noise distribution
//! sigma = sigma_data exp(P_mean + P_std n), n ~ N(0, 1) (EDM training; [note 002 §8]).

use super::preset::StepLevels;
use crate::noise::TrainingSigma;

/// z of the 99.9th percentile of a standard normal.
pub const Z_999: f64 = 3.090_232_306_167_813;

/// Which steps of a schedule the training distribution covers, judged where the denoiser runs: at
/// t_hat = sigma (1 + gamma), not at the step's sigma (churn lifts the level before denoising).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainingCoverage {
    /// What the steps are judged by: always `t_hat`.
    pub judged_by: &'static str,
    /// Training sigma at the 0.1th percentile, Å.
    pub sigma_p001: f64,
    /// Training sigma at the 99.9th percentile, Å.
    pub sigma_p999: f64,
    /// Indices of steps whose t_hat lies above the 99.9th percentile.
    pub steps_above: Vec<usize>,
    /// Indices of steps whose (non-zero) t_hat lies below the 0.1th percentile.
    pub steps_below: Vec<usize>,
    /// Indices of steps whose sigma (before churn) lies above the 99.9th percentile, for comparison.
    pub steps_above_by_sigma: Vec<usize>,
    /// Share of steps whose t_hat is outside [0.1th, 99.9th] percentile.
    pub share_outside: f64,
    /// The percentile of each step's t_hat under the training distribution (0..100).
    pub percentiles: Vec<f64>,
    /// Plain-words warning when the first steps are out of range.
    pub warning: Option<String>,
}

/// Standard normal CDF through the complementary error function (libm's, to double precision).
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// The percentile (0..100) of `sigma` under the training distribution.
pub fn training_percentile(sigma: f64, training: &TrainingSigma) -> f64 {
    100.0 * normal_cdf(((sigma / training.scale).ln() - training.p_mean) / training.p_std)
}

/// Coverage of a schedule's steps, judged by t_hat (a final step to 0 is still a step: its t_hat is
/// where the last denoiser call runs).
pub fn training_coverage(steps: &[StepLevels], training: &TrainingSigma) -> TrainingCoverage {
    let sigma_p999 = training.sigma_at(Z_999);
    let sigma_p001 = training.sigma_at(-Z_999);
    let above = |level: fn(&StepLevels) -> f64| -> Vec<usize> {
        (0..steps.len())
            .filter(|&i| level(&steps[i]) > sigma_p999)
            .collect()
    };
    let steps_above = above(|s| s.t_hat);
    let steps_above_by_sigma = above(|s| s.sigma);
    let steps_below: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].t_hat > 0.0 && steps[i].t_hat < sigma_p001)
        .collect();
    let percentiles = steps
        .iter()
        .map(|s| training_percentile(s.t_hat, training))
        .collect();
    let leading = |indices: &[usize]| {
        indices
            .iter()
            .enumerate()
            .take_while(|(k, i)| k == *i)
            .count()
    };
    let (first, by_sigma) = (leading(&steps_above), leading(&steps_above_by_sigma));
    let warning = (first > 0).then(|| {
        format!(
            "The first {first} of {} steps run the denoiser above the 99.9th percentile of training sigma ({:.1} Å), judged at t_hat = σ(1 + γ) where it runs ({by_sigma} by σ alone): the first t_hat is {:.1} Å (σ {:.1} Å), a level the model rarely saw in training.",
            steps.len(),
            sigma_p999,
            steps[0].t_hat,
            steps[0].sigma
        )
    });
    TrainingCoverage {
        judged_by: "t_hat",
        sigma_p001,
        sigma_p999,
        share_outside: (steps_above.len() + steps_below.len()) as f64 / steps.len().max(1) as f64,
        steps_above,
        steps_below,
        steps_above_by_sigma,
        percentiles,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(Z_999) - 0.999).abs() < 1e-6);
        assert!((normal_cdf(-1.959_963_985) - 0.025).abs() < 1e-6);
    }

    fn unchurned(sigmas: &[f64]) -> Vec<StepLevels> {
        sigmas
            .windows(2)
            .map(|w| StepLevels {
                sigma: w[0],
                sigma_next: w[1],
                gamma: 0.0,
                t_hat: w[0],
            })
            .collect()
    }

    #[test]
    fn seed_002_schedule_starts_outside_training() {
        // Seed 002, pitfall 8: 80 * 16 = 1280 Å at the start, while 16 exp(-1.2 + 1.5 * 3) ≈ 434 Å at 3 sigma.
        let training = TrainingSigma::default();
        let c = training_coverage(
            &unchurned(&[1280.0, 900.0, 450.0, 300.0, 10.0, 0.0]),
            &training,
        );
        assert!((c.sigma_p999 - 16.0 * (-1.2f64 + 1.5 * Z_999).exp()).abs() < 1e-9);
        assert_eq!(c.steps_above, vec![0, 1]);
        assert!((c.share_outside - 2.0 / 5.0).abs() < 1e-12);
        assert!(c.warning.unwrap().starts_with("The first 2 of 5 steps"));
    }

    #[test]
    fn boltz2_is_judged_where_the_denoiser_runs() {
        // Boltz-2 (200 steps) has 48 steps above the 99.9th percentile by sigma but 63 by
        // t_hat; its first t_hat is 160 · 16 · (1 + 0.8) = 4608 Å.
        let boltz2 = crate::sampler::find_preset("boltz2").unwrap();
        let c = training_coverage(&boltz2.step_levels(), &boltz2.training());
        assert_eq!(c.judged_by, "t_hat");
        assert_eq!(c.steps_above_by_sigma.len(), 48);
        assert_eq!(c.steps_above.len(), 63);
        let w = c.warning.unwrap();
        assert!(
            w.contains("The first 63 of 200") && w.contains("48 by σ alone"),
            "{w}"
        );
        assert!(w.contains("4608.0 Å"), "{w}");
    }

    #[test]
    fn edm_draws_its_training_sigma_without_sigma_data() {
        // EDMLoss: σ = exp(P_mean + P_std n), P_mean −1.2, P_std 1.2 (Karras et al. 2022, Table 1), so the
        // 99.9th percentile is exp(−1.2 + 1.2 · 3.0902) = 12.28 Å, not σ_data 0.5 times it. The
        // 18-step schedule (80, 57.6, 40.8, 28.4, 19.4, 12.9, 8.4, …) has 6 steps above it.
        let edm = crate::sampler::find_preset("edm").unwrap();
        let c = training_coverage(&edm.step_levels(), &edm.training());
        assert!((c.sigma_p999 - 12.2838).abs() < 1e-3, "{}", c.sigma_p999);
        assert_eq!(c.steps_above.len(), 6);
        let af3 = crate::sampler::find_preset("af3").unwrap().training();
        assert_eq!(af3.scale, 16.0, "AF3 multiplies by σ_data");
    }
}
