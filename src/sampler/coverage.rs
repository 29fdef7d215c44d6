//! How a sampling schedule sits against the training noise distribution
//! sigma = sigma_data exp(P_mean + P_std n), n ~ N(0, 1) (EDM training; seed 002, pitfall 8).

use crate::noise::TrainingSigma;

/// z of the 99.9th percentile of a standard normal.
pub const Z_999: f64 = 3.090_232_306_167_813;

/// Which steps of a schedule the training distribution covers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainingCoverage {
    /// Training sigma at the 0.1th percentile, Å.
    pub sigma_p001: f64,
    /// Training sigma at the 99.9th percentile, Å.
    pub sigma_p999: f64,
    /// Indices of steps whose sigma lies above the 99.9th percentile.
    pub steps_above: Vec<usize>,
    /// Indices of steps whose (non-zero) sigma lies below the 0.1th percentile.
    pub steps_below: Vec<usize>,
    /// Share of steps outside [0.1th, 99.9th] percentile.
    pub share_outside: f64,
    /// The percentile of each step's sigma under the training distribution (0..100).
    pub percentiles: Vec<f64>,
    /// Plain-words warning when the first steps are out of range.
    pub warning: Option<String>,
}

/// Standard normal CDF through the complementary error function.
fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Coverage of the step sigmas (the final 0, if any, is not a step and is skipped).
pub fn training_coverage(sigmas: &[f64], training: &TrainingSigma) -> TrainingCoverage {
    let sigma_p999 = training.sigma_at(Z_999);
    let sigma_p001 = training.sigma_at(-Z_999);
    let steps: Vec<f64> = sigmas.iter().copied().filter(|s| *s > 0.0).collect();
    let steps_above: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i] > sigma_p999)
        .collect();
    let steps_below: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i] < sigma_p001)
        .collect();
    let percentiles = steps
        .iter()
        .map(|s| {
            100.0 * normal_cdf(((s / training.sigma_data).ln() - training.p_mean) / training.p_std)
        })
        .collect();
    let leading = steps_above
        .iter()
        .enumerate()
        .take_while(|(k, i)| k == *i)
        .count();
    let warning = (leading > 0).then(|| {
        format!(
            "The first {leading} of {} steps are above the 99.9th percentile of training sigma ({:.1} Å); the schedule starts at {:.1} Å, where the model was never trained.",
            steps.len(),
            sigma_p999,
            steps[0]
        )
    });
    TrainingCoverage {
        sigma_p001,
        sigma_p999,
        share_outside: (steps_above.len() + steps_below.len()) as f64 / steps.len().max(1) as f64,
        steps_above,
        steps_below,
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

    #[test]
    fn seed_002_schedule_starts_outside_training() {
        // Seed 002, pitfall 8: 80 * 16 = 1280 Å at the start, while 16 exp(-1.2 + 1.5 * 3) ≈ 434 Å at 3 sigma.
        let training = TrainingSigma::default();
        let sigmas = [1280.0, 900.0, 450.0, 300.0, 10.0, 0.0];
        let c = training_coverage(&sigmas, &training);
        assert!((c.sigma_p999 - 16.0 * (-1.2f64 + 1.5 * Z_999).exp()).abs() < 1e-9);
        assert_eq!(c.steps_above, vec![0, 1]);
        assert!((c.share_outside - 2.0 / 5.0).abs() < 1e-12);
        assert!(c.warning.unwrap().starts_with("The first 2 of 5 steps"));
    }
}
