//! The sampler families of seeds 000 and 001 beside EDM, each driving any x̂0 denoiser through the one
//! marginal of `parameterization`: flow matching (ODE Euler and Heun, and the SDE whose drift adds
//! D·score with noise √(2 D dt)) and DDPM (ᾱ linear in t as note 001, linear β, cosine; DDIM with η,
//! ancestral sampling being η = 1 on the full grid). Runs are recorded as frames in the data frame.

use burn::tensor::{Device, Tensor};

use super::error::SamplerError;
use super::frame::{DeviceBudget, Frame};
use super::parameterization::{FlowDirection, Marginal};
use super::run::SteppedRun;
use super::settings::StartNoise;
use crate::compute::CoordinateLayout;
use crate::denoiser::{DenoiseContext, Denoiser};
use crate::geometry::tensor_points;
use crate::noise::{HierarchyTensors, NamedNoise, draw_noise, normal};
use crate::rng::SplitMix64;
use crate::structure::Structure;

crate::choice::choices! {
    /// Flow-matching solvers.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlowSolver {
        /// ODE, Euler: x += dt v.
        Euler = "euler",
        /// ODE, Heun: the averaged velocity of the Euler point and x.
        Heun = "heun",
        /// SDE: the ODE step plus D·score dt and √(2 D dt) noise, D = κ (s σ_prior)² (none on the last step).
        Sde = "sde",
    }
}

crate::choice::choices! {
    /// DDPM's ᾱ schedules over T discrete steps.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AlphaBarSchedule {
        /// ᾱ(t) = 1 − t/T (note 001, T = 50).
        LinearAlphaBar = "linear-alpha-bar",
        /// β linear from 1e-4 to 0.02 (Ho et al. 2020), ᾱ(t) = Π (1 − β).
        LinearBeta = "linear-beta",
        /// ᾱ(t) = cos²((t/T + 0.008) / 1.008 · π/2) / cos²(0.008 / 1.008 · π/2), each step's β clipped at
        /// 0.999 (Nichol & Dhariwal 2021).
        Cosine = "cosine",
    }
}

impl AlphaBarSchedule {
    /// ᾱ at step `t` of `total` (ᾱ(0) = 1).
    pub fn alpha_bar(self, t: usize, total: usize) -> f64 {
        let total = total.max(1);
        match self {
            Self::LinearAlphaBar => 1.0 - t as f64 / total as f64,
            Self::LinearBeta => (1..=t)
                .map(|k| {
                    let beta = 1e-4 + (0.02 - 1e-4) * (k - 1) as f64 / (total - 1).max(1) as f64;
                    1.0 - beta
                })
                .product(),
            Self::Cosine => {
                // Nichol & Dhariwal 2021 eq. 17, with their clip β_t = 1 − ᾱ_t / ᾱ_{t−1} ≤ 0.999 so that
                // the last steps do not reach ᾱ = 0 (which f alone gives at t = T).
                let f = |k: usize| {
                    ((k as f64 / total as f64 + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                        .cos()
                        .powi(2)
                };
                (1..=t.min(total))
                    .map(|k| {
                        let beta = (1.0 - f(k) / f(k - 1)).clamp(0.0, 0.999);
                        1.0 - beta
                    })
                    .product()
            }
        }
    }
}

/// Which family and its options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "family")]
pub enum FamilySpec {
    /// Flow matching in R³.
    FlowMatching {
        /// Which end is noise.
        direction: FlowDirection,
        /// ODE or SDE solver.
        solver: FlowSolver,
        /// κ of the SDE's D(t) = κ (s σ_prior)².
        diffusion: f64,
    },
    /// DDPM with DDIM(η) steps over a strided grid of T.
    Ddpm {
        /// The ᾱ schedule.
        schedule: AlphaBarSchedule,
        /// T, the discrete steps of training.
        total: usize,
        /// DDIM's η: 0 deterministic, 1 ancestral.
        eta: f64,
    },
}

/// A family run's settings.
#[derive(Debug, Clone)]
pub struct FamilySettings {
    /// The family.
    pub spec: FamilySpec,
    /// Sampling steps.
    pub steps: usize,
    /// The prior's noise model (isotropic or the multiscale weights of the noise panel).
    pub prior: NamedNoise,
    /// The prior's σ, Å (a unit normal of the family scaled to Å).
    pub prior_sigma: f64,
    /// Multiscale or isotropic prior.
    pub start: StartNoise,
    /// Seed of every draw.
    pub seed: u64,
}

fn read_points(t: Tensor<2>) -> Result<Vec<[f32; 3]>, SamplerError> {
    tensor_points(t).map_err(SamplerError::Device)
}

impl FamilySpec {
    /// The family's time and the marginal at each point of the sampling grid (steps + 1, noise
    /// first, data last); DDPM's time is τ / T.
    fn grid(self, steps: usize) -> Vec<(f64, Marginal)> {
        match self {
            Self::FlowMatching { direction, .. } => direction
                .times(steps)
                .into_iter()
                .map(|t| (t, direction.marginal(t)))
                .collect(),
            Self::Ddpm {
                schedule, total, ..
            } => {
                let total = total.max(2);
                // Sampling starts at the last step a model trains on, τ = T − 1 (training draws
                // t = 0 … T − 1; at τ = T the linear ᾱ is 0 and x carries nothing of x0), on a strided
                // grid T − 1 = τ_0 > τ_1 > … > τ_N = 0.
                let first = total - 1;
                let steps = steps.min(first);
                (0..=steps)
                    .map(|k| {
                        let tau = first - (k * first).div_ceil(steps).min(first);
                        let alpha_bar = schedule.alpha_bar(tau, total);
                        let marginal = Marginal {
                            a: alpha_bar.sqrt(),
                            s: (1.0 - alpha_bar).max(0.0).sqrt(),
                            da: 0.0,
                            ds: 0.0,
                        };
                        (tau as f64 / total as f64, marginal)
                    })
                    .collect()
            }
        }
    }
}

/// A family run in progress, one step at a time (the window steps it as it steps EDM); frame 0 is the
/// prior draw, frame k follows step k (its σ the EDM-equivalent level of its state, `t_hat` the level
/// the denoiser ran at).
pub struct FamilySampler {
    settings: FamilySettings,
    denoiser: Box<dyn Denoiser>,
    device: Device,
    atoms: usize,
    /// The family's time at each grid point.
    times: Vec<f64>,
    /// The marginal at each grid point.
    grid: Vec<Marginal>,
    /// EDM-equivalent σ of each grid point, Å.
    sigmas: Vec<f64>,
    seeds: SplitMix64,
    /// The hierarchy the prior's multiscale noise is drawn over (none after an isotropic start).
    hierarchy: Option<HierarchyTensors>,
    /// The state, points [N, 3].
    x: Tensor<2>,
    frames: Vec<Frame>,
    /// Device bytes recorded frames may still keep their points in (`keep_frames_on_device`).
    device_budget: DeviceBudget,
}

impl FamilySampler {
    /// Draws the prior and records frame 0.
    pub fn new(
        structure: &Structure,
        settings: FamilySettings,
        denoiser: Box<dyn Denoiser>,
        device: &Device,
    ) -> Result<Self, SamplerError> {
        let atoms = structure.atom_count();
        let (times, grid): (Vec<f64>, Vec<Marginal>) = settings
            .spec
            .grid(settings.steps.max(1))
            .into_iter()
            .unzip();
        let sigmas = grid
            .iter()
            .map(|m| m.edm_sigma(settings.prior_sigma))
            .collect();
        let seeds = SplitMix64::new(settings.seed, 0xfa);
        let hierarchy = (settings.start == StartNoise::Multiscale)
            .then(|| HierarchyTensors::new(structure, device));
        let mut sampler = Self {
            settings,
            denoiser,
            device: device.clone(),
            atoms,
            times,
            grid,
            sigmas,
            seeds,
            hierarchy,
            x: Tensor::zeros([atoms, 3], device),
            frames: Vec::new(),
            device_budget: DeviceBudget::default(),
        };
        sampler.x = sampler.prior_noise(sampler.settings.prior_sigma);
        let start = sampler.record(None, f64::INFINITY, f64::INFINITY)?;
        sampler.frames.push(start);
        Ok(sampler)
    }

    /// Gives the frames up.
    pub fn into_frames(self) -> Vec<Frame> {
        self.frames
    }

    /// As `Sampler::keep_frames_on_device`: frames keep their state and x̂0 points where the device
    /// holds them, up to `budget` bytes in all (the start frame too when no step was taken yet).
    pub fn keep_frames_on_device(&mut self, budget: u64) {
        self.device_budget =
            DeviceBudget::renewed(budget, &mut self.frames, &self.x, CoordinateLayout::Points);
    }

    fn record(
        &mut self,
        x0: Option<Tensor<2>>,
        sigma: f64,
        t_hat: f64,
    ) -> Result<Frame, SamplerError> {
        let positions = read_points(self.x.clone())?;
        if positions.iter().flatten().any(|v| !v.is_finite()) {
            return Err(SamplerError::NonFinite(self.frames.len()));
        }
        let mut frame = Frame::from_positions(self.frames.len(), positions);
        frame.sigma = sigma;
        frame.t_hat = t_hat;
        frame.on_device = self
            .device_budget
            .keep(&self.x, x0.as_ref(), CoordinateLayout::Points);
        frame.x0_hat = x0.map(read_points).transpose()?;
        Ok(frame)
    }

    fn x0(&self, x: &Tensor<2>, m: Marginal, step: usize) -> Result<Tensor<2>, SamplerError> {
        let sigma = m.edm_sigma(self.settings.prior_sigma);
        self.denoiser
            .denoise(
                m.denoiser_input(x.clone()),
                sigma,
                &DenoiseContext::in_data_frame(step),
            )
            // Denoisers hand back a transposed view of their rows, and element-wise ops keep an
            // operand's layout: without a copy here the state itself turns strided.
            .map(|o| crate::compute::contiguous(o.x0))
            .map_err(|reason| SamplerError::Denoiser { step, reason })
    }

    /// Noise of the prior's kind at `std` per coordinate: the noise model's multiscale draw after a
    /// multiscale start, isotropic after an isotropic one. Everything a step injects is of that kind,
    /// so the state's noise keeps the covariance C the prior has (and the ensemble and rotation-marginal
    /// posteriors weigh with).
    fn prior_noise(&mut self, std: f64) -> Tensor<2> {
        let seed = self.seeds.next_u64();
        match &self.hierarchy {
            Some(h) => {
                let stds = self.settings.prior.model.stds(std);
                draw_noise(h, stds, 1, seed, &self.device).reshape([self.atoms, 3])
            }
            None => normal([self.atoms, 3], std, seed, &self.device),
        }
    }

    /// Takes one step and records its frame; does nothing once the run is done.
    pub fn step(&mut self) -> Result<Option<&Frame>, SamplerError> {
        if self.is_done() {
            return Ok(None);
        }
        let k = self.steps_taken();
        let (m, m_next) = (self.grid[k], self.grid[k + 1]);
        let last = k + 1 == self.total_steps();
        let prior_sigma = self.settings.prior_sigma;
        let x = self.x.clone();
        let x0 = self.x0(&x, m, k)?;
        let next = match self.settings.spec {
            FamilySpec::FlowMatching {
                solver, diffusion, ..
            } => {
                let h = self.times[k + 1] - self.times[k];
                let v = m.velocity_from_x0(x.clone(), x0.clone());
                match solver {
                    FlowSolver::Heun if !last => {
                        let x_euler = x.clone() + v.clone() * h;
                        let x0_next = self.x0(&x_euler, m_next, k)?;
                        let v_next = m_next.velocity_from_x0(x_euler, x0_next);
                        x + (v + v_next) * (0.5 * h)
                    }
                    FlowSolver::Sde if !last => {
                        // Langevin preconditioned by the prior's covariance C: the drift is
                        // D C ∇log p = −D (x − a x̂0) / (s σ_prior)², the isotropic form (C cancels
                        // the C⁻¹ of the score), and the noise √(2 D dt) C^½ ε is drawn from the
                        // noise model; both keep the marginal N(a x0, (s σ_prior)² C).
                        let dt = h.abs();
                        let d = diffusion * (m.s * prior_sigma).powi(2);
                        let score = m.score_from_x0(x.clone(), x0.clone(), prior_sigma);
                        let noise = self.prior_noise((2.0 * d * dt).sqrt());
                        x + v * h + score * (d * dt) + noise
                    }
                    // Euler, and the last step of every solver (it lands on x̂0).
                    _ => x + v * h,
                }
            }
            FamilySpec::Ddpm { eta, .. } => {
                // ε̂ in Å (the prior's σ included); DDIM(η) (Song et al. 2021, eq. 12).
                let epsilon = m.epsilon_from_x0(x.clone(), x0.clone());
                let (ab, ab_next) = (m.a * m.a, m_next.a * m_next.a);
                let sigma_eta = if ab_next < 1.0 && ab < 1.0 {
                    eta * ((1.0 - ab_next) / (1.0 - ab)).sqrt()
                        * (1.0 - ab / ab_next).max(0.0).sqrt()
                } else {
                    0.0
                };
                let keep = (1.0 - ab_next - sigma_eta * sigma_eta).max(0.0).sqrt();
                let next = x0.clone() * m_next.a + epsilon * keep;
                // With noise of covariance C the DDIM posterior's is σ_η² C: its noise is the prior's kind.
                if sigma_eta > 0.0 {
                    next + self.prior_noise(sigma_eta * prior_sigma)
                } else {
                    next
                }
            }
        };
        self.x = next;
        let frame = self.record(Some(x0), self.sigmas[k + 1], self.sigmas[k])?;
        self.frames.push(frame);
        Ok(self.frames.last())
    }
}

impl SteppedRun for FamilySampler {
    fn step(&mut self) -> Result<Option<&Frame>, SamplerError> {
        FamilySampler::step(self)
    }

    fn frames(&self) -> &[Frame] {
        &self.frames
    }

    fn take_coordinates(&mut self, index: usize) -> Option<Frame> {
        self.frames.get_mut(index).map(Frame::take_coordinates)
    }

    fn keep_frames_on_device(&mut self, budget: u64) {
        FamilySampler::keep_frames_on_device(self, budget);
    }

    /// The EDM-equivalent σ of each grid point.
    fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }
}

/// Runs a family to the end (`FamilySampler` stepped through).
pub fn sample_family(
    structure: &Structure,
    settings: &FamilySettings,
    denoiser: Box<dyn Denoiser>,
    device: &Device,
) -> Result<Vec<Frame>, SamplerError> {
    let mut sampler = FamilySampler::new(structure, settings.clone(), denoiser, device)?;
    while !sampler.is_done() {
        sampler.step()?;
    }
    Ok(sampler.into_frames())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_their_formulas() {
        let s = AlphaBarSchedule::LinearAlphaBar;
        assert_eq!(s.alpha_bar(0, 50), 1.0);
        assert!((s.alpha_bar(10, 50) - 0.8).abs() < 1e-12);
        assert_eq!(s.alpha_bar(50, 50), 0.0);
        // Linear β: ᾱ(2) = (1 − 1e-4)(1 − (1e-4 + 0.0199 / 999)).
        let want = (1.0 - 1e-4) * (1.0 - (1e-4 + 0.0199 / 999.0));
        assert!((AlphaBarSchedule::LinearBeta.alpha_bar(2, 1000) - want).abs() < 1e-12);
        let c = AlphaBarSchedule::Cosine;
        assert!((c.alpha_bar(0, 1000) - 1.0).abs() < 1e-12);
        assert!(c.alpha_bar(1000, 1000) < 1e-3);
        // The clip: the last step's β would be 1 without it (f(T) = 0); with it ᾱ_T = 0.001 ᾱ_{T−1}.
        let last = c.alpha_bar(1000, 1000) / c.alpha_bar(999, 1000);
        assert!((last - 0.001).abs() < 1e-9, "{last}");
        // Below the clip the product is f(t)/f(0), the closed form.
        let f = |u: f64| {
            ((u + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                .cos()
                .powi(2)
        };
        assert!((c.alpha_bar(500, 1000) - f(0.5) / f(0.0)).abs() < 1e-9);
        assert!(c.alpha_bar(500, 1000) > 0.4 && c.alpha_bar(500, 1000) < 0.6);
    }
}
