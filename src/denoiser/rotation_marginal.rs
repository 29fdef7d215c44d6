//! The ideal denoiser of a model trained with random rotations: the posterior mean E[x₀ | x] when x₀ is
//! the ground truth g under a uniformly random rotation about its centroid ḡ, x = x₀ + ε with the
//! multiscale noise covariance C = σ² Σ. x is centred (the model sees centred input, as Boltz and AF3
//! centre), so x̂0 does not depend on where x sits.
//!
//! The posterior over rotations is a matrix Fisher distribution (Khatri & Mardia 1977): with g̃ = g − ḡ and
//! v = x − x̄, |v − g̃R|²_Σ⁻¹ = |v|² − 2 tr(Mᵀ R) + |g̃|² (R orthogonal leaves the last term alone), so
//! p(R | x) ∝ exp(tr(Fᵀ R)), F = M / σ², M = g̃ᵀ Σ⁻¹ v (3 × 3). Then x̂0 = g̃ E[R | x] + ḡ. E[R] is taken by
//! importance sampling around the mode (Kabsch's rotation U Vᵀ of the proper SVD F = U S Vᵀ): half the
//! draws from the Laplace approximation R = U exp([ω]×) Vᵀ, ωᵢ ~ N(0, 1 / (s_j + s_k)), half uniform on
//! SO(3) (a defensive mixture, so a posterior spread over SO(3) at high σ is covered too). The draws are
//! fixed per denoiser, so x̂0 is a smooth, deterministic function of x; its Monte Carlo error is about
//! |g̃| / √ESS (`RotationPosterior::effective_draws`). At low σ x̂0 is the truth turned onto x; at high σ
//! E[R] shrinks and x̂0 collapses toward ḡ: every residue is pulled to the centroid with the rest, and
//! none moves on its own.

use burn::tensor::{Device, Tensor};
use nalgebra::Matrix3;

use super::covariance::CovarianceShape;
use super::{DenoiseContext, DenoiseError, Denoiser, DenoiserOutput, EnsembleError};
use crate::geometry::{centroid, random_rotation, tensor_points};
use crate::noise::NoiseModel;
use crate::rng::SplitMix64;
use crate::structure::Structure;

/// Importance draws unless asked otherwise.
pub const DEFAULT_ROTATIONS: usize = 16_384;

/// The most importance draws.
pub const MAX_ROTATION_DRAWS: usize = 1 << 20;

/// Why a rotation-marginal denoiser could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationMarginalError {
    /// More draws than [`MAX_ROTATION_DRAWS`].
    #[error(
        "the rotation-marginal denoiser takes at most {MAX_ROTATION_DRAWS} importance draws, not {0}"
    )]
    TooManyDraws(usize),
    /// The covariance cannot be built.
    #[error(transparent)]
    Covariance(#[from] EnsembleError),
}

/// One fixed draw: a unit normal triple for the Laplace half, a uniform rotation for the other.
#[derive(Debug, Clone, Copy)]
enum Draw {
    Laplace([f64; 3]),
    Uniform([[f64; 3]; 3]),
}

/// Σ⁻¹ of the multiscale covariance (per coordinate, unit σ) applied to points, by the Woodbury form of
/// the nested residue and chain terms (`covariance.rs`).
#[derive(Debug, Clone)]
struct InverseCovariance {
    atom_residue: Vec<u32>,
    shape: CovarianceShape,
}

impl InverseCovariance {
    /// Σ⁻¹ v: (v − r/(a + r n) Σ_res v) / a − Σ_chain terms (the ensemble denoiser's module docs).
    fn apply(&self, noise: &NoiseModel, sigma: f64, v: &[[f64; 3]]) -> Vec<[f64; 3]> {
        let f = self.shape.factors(noise, sigma);
        let mut sums = vec![[0.0; 3]; self.shape.residues()];
        for (p, &res) in v.iter().zip(&self.atom_residue) {
            for k in 0..3 {
                sums[res as usize][k] += p[k];
            }
        }
        let mut chain_sums = vec![[0.0; 3]; self.shape.chains()];
        for (res, sum) in sums.iter().enumerate() {
            for k in 0..3 {
                chain_sums[self.shape.chain_of(res)][k] += sum[k] * f.residue_gain[res];
            }
        }
        v.iter()
            .zip(&self.atom_residue)
            .map(|(p, &res)| {
                let res = res as usize;
                let chain = self.shape.chain_of(res);
                std::array::from_fn(|k| {
                    (p[k] - f.residue_shrink[res] * sums[res][k]) / f.atom_fraction
                        - f.residue_gain[res] * f.chain_shrink[chain] * chain_sums[chain][k]
                })
            })
            .collect()
    }
}

/// Posterior mean over uniformly rotated copies of the ground truth.
#[derive(Debug, Clone)]
pub struct RotationMarginalDenoiser {
    /// g − ḡ.
    truth: Vec<[f64; 3]>,
    /// ḡ.
    center: [f64; 3],
    noise: NoiseModel,
    inverse: InverseCovariance,
    draws: Vec<Draw>,
    device: Device,
}

/// E[R | x] and how many draws it effectively rests on.
#[derive(Debug, Clone, Copy)]
pub struct RotationPosterior {
    /// The posterior mean rotation matrix (row-vector convention, y = x R).
    pub mean: [[f64; 3]; 3],
    /// The effective sample size of the importance weights, (Σw)² / Σw².
    pub effective_draws: f64,
}

impl RotationMarginalDenoiser {
    /// The denoiser of `structure`'s positions under `noise`, with `draws` fixed importance draws seeded
    /// by `seed`.
    pub fn new(
        structure: &Structure,
        noise: &NoiseModel,
        draws: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, RotationMarginalError> {
        if draws > MAX_ROTATION_DRAWS {
            return Err(RotationMarginalError::TooManyDraws(draws));
        }
        if noise.weights_at(1.0).atom <= 0.0 {
            return Err(EnsembleError::NoAtomNoise.into());
        }
        let mut rng = SplitMix64::new(seed, 0x5e3);
        let draws = (0..draws.max(2))
            .map(|k| {
                if k % 2 == 0 {
                    Draw::Laplace([rng.normal(), rng.normal(), rng.normal()])
                } else {
                    Draw::Uniform(random_rotation(&mut rng))
                }
            })
            .collect();
        let center = centroid(&structure.positions);
        Ok(Self {
            truth: structure
                .positions
                .iter()
                .map(|p| std::array::from_fn(|k| f64::from(p[k]) - center[k]))
                .collect(),
            center,
            noise: noise.clone(),
            inverse: InverseCovariance {
                atom_residue: structure.atom_residue.clone(),
                shape: CovarianceShape::of(structure),
            },
            draws,
            device: device.clone(),
        })
    }

    /// The matrix Fisher parameter F = g̃ᵀ Σ⁻¹ (x − x̄) / σ² of points `x` (data frame).
    pub fn fisher_parameter(&self, x: &[[f32; 3]], sigma: f64) -> [[f64; 3]; 3] {
        let mean = centroid(x);
        let v: Vec<[f64; 3]> = x
            .iter()
            .map(|p| std::array::from_fn(|k| f64::from(p[k]) - mean[k]))
            .collect();
        let y = self.inverse.apply(&self.noise, sigma, &v);
        let mut f = [[0.0; 3]; 3];
        for (g, y) in self.truth.iter().zip(&y) {
            for (row, gk) in f.iter_mut().zip(g) {
                for (entry, yj) in row.iter_mut().zip(y) {
                    *entry += gk * yj / (sigma * sigma);
                }
            }
        }
        f
    }

    /// E[R | x] for the matrix Fisher distribution p(R) ∝ exp(tr(Fᵀ R)).
    pub fn posterior_rotation(&self, f: &[[f64; 3]; 3]) -> RotationPosterior {
        posterior_rotation(f, &self.draws)
    }

    /// x̂0 = g̃ E[R | x] + ḡ for points `x` (data frame).
    pub fn predict(&self, x: &[[f32; 3]], sigma: f64) -> (Vec<[f32; 3]>, RotationPosterior) {
        let posterior = self.posterior_rotation(&self.fisher_parameter(x, sigma));
        let r = posterior.mean;
        let x0 = self
            .truth
            .iter()
            .map(|g| {
                std::array::from_fn(|j| {
                    ((0..3).map(|k| g[k] * r[k][j]).sum::<f64>() + self.center[j]) as f32
                })
            })
            .collect();
        (x0, posterior)
    }
}

fn to_matrix(m: &[[f64; 3]; 3]) -> Matrix3<f64> {
    Matrix3::from_fn(|i, j| m[i][j])
}

fn from_matrix(m: &Matrix3<f64>) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}

/// exp([ω]×) by Rodrigues' formula.
fn exp_so3(w: [f64; 3]) -> Matrix3<f64> {
    let theta = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    let k = Matrix3::new(0.0, -w[2], w[1], w[2], 0.0, -w[0], -w[1], w[0], 0.0);
    let (a, b) = if theta < 1e-8 {
        (1.0, 0.5)
    } else {
        (theta.sin() / theta, (1.0 - theta.cos()) / (theta * theta))
    };
    Matrix3::identity() + k * a + k * k * b
}

/// The principal rotation vector of `e` (|ω| ≤ π).
fn log_so3(e: &Matrix3<f64>) -> [f64; 3] {
    let cos = ((e.trace() - 1.0) / 2.0).clamp(-1.0, 1.0);
    let theta = cos.acos();
    let anti = [
        e[(2, 1)] - e[(1, 2)],
        e[(0, 2)] - e[(2, 0)],
        e[(1, 0)] - e[(0, 1)],
    ];
    if theta < 1e-8 {
        return anti.map(|v| v / 2.0);
    }
    if std::f64::consts::PI - theta > 1e-4 {
        return anti.map(|v| v * theta / (2.0 * theta.sin()));
    }
    // Near a half turn the axis is the column of (E + I) / 2 with the largest diagonal.
    let b = (e + Matrix3::identity()) / 2.0;
    let i = (0..3)
        .max_by(|&p, &q| b[(p, p)].total_cmp(&b[(q, q)]))
        .unwrap_or(0);
    let norm = b[(i, i)].max(1e-12).sqrt();
    let mut axis: [f64; 3] = std::array::from_fn(|j| b[(j, i)] / norm);
    // The sign that agrees with the antisymmetric part.
    if axis.iter().zip(&anti).map(|(a, s)| a * s).sum::<f64>() < 0.0 {
        axis = axis.map(|v| -v);
    }
    axis.map(|v| v * theta)
}

/// The Haar density (normalised to 1 over SO(3)) in exponential coordinates at |ω| = θ.
fn haar_density(theta: f64) -> f64 {
    let pi2 = std::f64::consts::PI * std::f64::consts::PI;
    if theta < 1e-6 {
        1.0 / (8.0 * pi2)
    } else {
        (1.0 - theta.cos()) / (4.0 * pi2 * theta * theta)
    }
}

/// The Laplace proposal's density at the middle rotation with principal vector `w`, with respect to
/// the Haar measure: the Gaussian summed over the rotation's nearest preimages.
fn laplace_density(w: [f64; 3], precision: [f64; 3]) -> f64 {
    let theta = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
    let axis = if theta > 1e-12 {
        w.map(|v| v / theta)
    } else {
        [1.0, 0.0, 0.0]
    };
    let tau = 2.0 * std::f64::consts::PI;
    let norm: f64 = precision.iter().map(|l| (l / tau).sqrt()).product();
    [theta, theta - tau, theta + tau]
        .iter()
        .map(|&angle| {
            let omega = axis.map(|a| a * angle);
            let quad: f64 = omega.iter().zip(&precision).map(|(o, l)| l * o * o).sum();
            norm * (-0.5 * quad).exp() / haar_density(angle.abs())
        })
        .sum()
}

/// E[R] of p(R) ∝ exp(tr(Fᵀ R)) by the defensive importance sampling of the module's doc.
fn posterior_rotation(f: &[[f64; 3]; 3], draws: &[Draw]) -> RotationPosterior {
    let f = to_matrix(f);
    let svd = f.svd(true, true);
    let (Some(mut u), Some(mut v_t)) = (svd.u, svd.v_t) else {
        return RotationPosterior {
            mean: from_matrix(&Matrix3::zeros()),
            effective_draws: 0.0,
        };
    };
    let mut s = svd.singular_values;
    // The proper SVD: det U det V = 1, the smallest singular value taking the sign.
    if u.determinant() * v_t.determinant() < 0.0 {
        let last = (0..3).min_by(|&p, &q| s[p].total_cmp(&s[q])).unwrap_or(2);
        s[last] = -s[last];
        for row in 0..3 {
            v_t[(last, row)] = -v_t[(last, row)];
        }
    }
    if u.determinant() < 0.0 {
        u = -u;
        v_t = -v_t;
    }
    let precision: [f64; 3] = std::array::from_fn(|i| {
        let (j, k) = ((i + 1) % 3, (i + 2) % 3);
        (s[j] + s[k]).max(0.1)
    });
    let top = s.sum();
    let mut log_weights = Vec::with_capacity(draws.len());
    let mut rotations = Vec::with_capacity(draws.len());
    for draw in draws {
        let middle = match draw {
            Draw::Laplace(z) => exp_so3(std::array::from_fn(|i| z[i] / precision[i].sqrt())),
            Draw::Uniform(r) => u.transpose() * to_matrix(r) * v_t.transpose(),
        };
        let log_target = (0..3).map(|i| s[i] * middle[(i, i)]).sum::<f64>() - top;
        let proposal = 0.5 * laplace_density(log_so3(&middle), precision) + 0.5;
        log_weights.push(log_target - proposal.ln());
        rotations.push(u * middle * v_t);
    }
    let max = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights.iter().map(|l| (l - max).exp()).collect();
    let (sum, squares) = weights
        .iter()
        .fold((0.0, 0.0), |(s, q), w| (s + w, q + w * w));
    let mean = rotations
        .iter()
        .zip(&weights)
        .fold(Matrix3::zeros(), |acc, (r, w)| acc + r * (w / sum));
    RotationPosterior {
        mean: from_matrix(&mean),
        effective_draws: sum * sum / squares.max(f64::MIN_POSITIVE),
    }
}

impl Denoiser for RotationMarginalDenoiser {
    fn name(&self) -> &'static str {
        "rotation-marginal"
    }

    fn denoise(
        &self,
        x: Tensor<2>,
        sigma: f64,
        context: &DenoiseContext,
    ) -> Result<DenoiserOutput, DenoiseError> {
        let x = tensor_points(context.to_data(x)).map_err(DenoiseError::Readback)?;
        let (x0, _) = self.predict(&x, sigma);
        let x0 = crate::geometry::points_tensor(&x0, &self.device);
        Ok(DenoiserOutput {
            levels: None,
            x0: context.to_pose(x0),
            weights: None,
        })
    }

    /// The prior is invariant under rotations about the centroid and x is centred, so x̂0 follows a rigid
    /// motion of x (the draws sit relative to the posterior's mode); the sampler calls it in the data
    /// frame.
    fn equivariant(&self) -> bool {
        true
    }
}
