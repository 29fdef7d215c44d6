//! One marginal for every family, x_t = a(t) x0 + s(t) ε (ε a unit normal scaled by the prior's
//! σ in Å), and the conversions between what models predict, written once: x̂0 ↔ ε̂ ↔ flow velocity,
//! and the EDM-equivalent noise level σ = s / a at which any x̂0 denoiser is called with x_t / a.
//! EDM: a = 1, s = σ. Flow matching (noise at t = 1): a = 1 − t, s = t. DDPM: a = √ᾱ,
//! s = √(1 − ᾱ) (note 001's ᾱ = 1 − t/T).

use burn::tensor::Tensor;

/// a(t), s(t) and their time derivatives at one t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marginal {
    /// Scale of the data, a(t).
    pub a: f64,
    /// Scale of the noise, s(t) (in units of the prior's σ).
    pub s: f64,
    /// da/dt (flow matching; 0 where not used).
    pub da: f64,
    /// ds/dt.
    pub ds: f64,
}

/// The smallest data scale a denoiser is called at: at pure noise (a = 0) the EDM-equivalent σ is
/// infinite, and x_t / a would overflow.
pub const MIN_DATA_SCALE: f64 = 1e-4;

impl Marginal {
    /// The EDM-equivalent noise level of x_t, Å: σ = s σ_prior / a.
    pub fn edm_sigma(&self, prior_sigma: f64) -> f64 {
        self.s * prior_sigma / self.a.max(MIN_DATA_SCALE)
    }

    /// What an x̂0 denoiser is given: x_t / a.
    pub fn denoiser_input(&self, x_t: Tensor<2>) -> Tensor<2> {
        x_t / self.a.max(MIN_DATA_SCALE)
    }

    /// ε̂ (in Å, the prior's scale included) from x̂0: (x_t − a x̂0) / s.
    pub fn epsilon_from_x0(&self, x_t: Tensor<2>, x0: Tensor<2>) -> Tensor<2> {
        (x_t - x0 * self.a) / self.s
    }

    /// x̂0 from ε̂: (x_t − s ε̂) / a.
    pub fn x0_from_epsilon(&self, x_t: Tensor<2>, epsilon: Tensor<2>) -> Tensor<2> {
        (x_t - epsilon * self.s) / self.a.max(MIN_DATA_SCALE)
    }

    /// The flow's velocity dx_t/dt = a′ x̂0 + s′ ε̂ (for flow matching with noise at t = 1: ε̂ − x̂0).
    pub fn velocity_from_x0(&self, x_t: Tensor<2>, x0: Tensor<2>) -> Tensor<2> {
        let epsilon = self.epsilon_from_x0(x_t, x0.clone());
        x0 * self.da + epsilon * self.ds
    }

    /// x̂0 from the velocity: solves v = a′ x̂0 + s′ (x_t − a x̂0) / s for x̂0.
    pub fn x0_from_velocity(&self, x_t: Tensor<2>, velocity: Tensor<2>) -> Tensor<2> {
        let denominator = self.da - self.ds * self.a / self.s;
        (velocity - x_t * (self.ds / self.s)) / denominator
    }

    /// The score ∇ log p(x_t) of the Gaussian around a x̂0: −ε̂ / s (ε̂ in Å, so `prior_sigma` scales).
    pub fn score_from_x0(&self, x_t: Tensor<2>, x0: Tensor<2>, prior_sigma: f64) -> Tensor<2> {
        self.epsilon_from_x0(x_t, x0) / (-self.s * prior_sigma * prior_sigma)
    }
}

crate::choice::choices! {
    /// Which end of flow matching's interpolant is noise (codebases differ).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlowDirection {
        /// x_t = (1 − t) x0 + t ε: noise at t = 1, sampled from t = 1 to 0.
        NoiseAtOne = "noise-at-one",
        /// x_t = t x0 + (1 − t) ε: noise at t = 0, sampled from t = 0 to 1 ([note 000]'s convention).
        NoiseAtZero = "noise-at-zero",
    }
}

impl FlowDirection {
    /// The marginal at `t`.
    pub fn marginal(self, t: f64) -> Marginal {
        match self {
            Self::NoiseAtOne => Marginal {
                a: 1.0 - t,
                s: t,
                da: -1.0,
                ds: 1.0,
            },
            Self::NoiseAtZero => Marginal {
                a: t,
                s: 1.0 - t,
                da: 1.0,
                ds: -1.0,
            },
        }
    }

    /// The t grid from noise to data in `steps` steps.
    pub fn times(self, steps: usize) -> Vec<f64> {
        let steps = steps.max(1);
        (0..=steps)
            .map(|k| {
                let u = k as f64 / steps as f64;
                match self {
                    Self::NoiseAtOne => 1.0 - u,
                    Self::NoiseAtZero => u,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn tensor(v: &[f32]) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(v.to_vec(), [v.len() / 3, 3]),
            &Device::flex(),
        )
    }

    fn close(a: Tensor<2>, b: &[f32]) {
        let a: Vec<f32> = a.into_data().try_into_vec().unwrap_or_default();
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-4, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn conversions_round_trip_at_every_family_marginal() {
        let x0 = [1.0, -2.0, 3.0, 0.5, 4.0, -1.0];
        let eps = [0.3, 0.1, -0.7, 1.2, -0.4, 0.9];
        for m in [
            Marginal {
                a: 1.0,
                s: 2.5,
                da: 0.0,
                ds: 1.0,
            },
            FlowDirection::NoiseAtOne.marginal(0.3),
            FlowDirection::NoiseAtZero.marginal(0.8),
            Marginal {
                a: 0.6f64.sqrt(),
                s: 0.4f64.sqrt(),
                da: 0.0,
                ds: 0.0,
            },
        ] {
            let x_t: Vec<f32> = x0
                .iter()
                .zip(&eps)
                .map(|(x, e)| (m.a * f64::from(*x) + m.s * f64::from(*e)) as f32)
                .collect();
            close(m.epsilon_from_x0(tensor(&x_t), tensor(&x0)), &eps);
            close(m.x0_from_epsilon(tensor(&x_t), tensor(&eps)), &x0);
            if m.da != 0.0 {
                // The velocity of the interpolant is a′ x0 + s′ ε, and x̂0 comes back from it.
                let v: Vec<f32> = x0
                    .iter()
                    .zip(&eps)
                    .map(|(x, e)| (m.da * f64::from(*x) + m.ds * f64::from(*e)) as f32)
                    .collect();
                close(m.velocity_from_x0(tensor(&x_t), tensor(&x0)), &v);
                close(m.x0_from_velocity(tensor(&x_t), tensor(&v)), &x0);
            }
        }
    }

    #[test]
    fn the_edm_sigma_of_flow_matching_is_t_over_one_minus_t() {
        let m = FlowDirection::NoiseAtOne.marginal(0.25);
        assert!((m.edm_sigma(16.0) - 16.0 * 0.25 / 0.75).abs() < 1e-12);
        assert_eq!(
            FlowDirection::NoiseAtZero.times(4),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
    }
}
