//! Flags shared by `schedule`, `sample` and `sweep`: an EDM preset and overrides of any of its values,
//! and the flow-matching and DDPM families.

use clap::Args;

use crate::sampler::{
    AlphaBarSchedule, CNoiseMode, ChurnRule, FamilySpec, FlowDirection, FlowSolver, PRESETS,
    SamplerPreset, ScheduleTimes, Solver, find_preset,
};

/// Sampler family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyName {
    /// EDM (the `--preset`, Boltz-2 by default).
    Edm,
    /// Flow matching in R³.
    Fm,
    /// DDPM.
    Ddpm,
}

/// The family of a run and the options of flow matching and DDPM (the flow-matching solver is each
/// command's own flag: `sample`'s `--solver` is EDM's).
#[derive(Debug, Clone, Args)]
pub struct FamilyArgs {
    /// Sampler family.
    #[arg(long, value_enum, default_value_t = FamilyName::Edm)]
    pub family: FamilyName,
    /// Flow matching: which end of the interpolant is noise.
    #[arg(long, value_enum, default_value_t = FlowDirection::NoiseAtOne)]
    pub direction: FlowDirection,
    /// Flow matching SDE: κ of D(t) = κ (s σ_prior)².
    #[arg(long, default_value_t = 1.0)]
    pub diffusion: f64,
    /// DDPM: the ᾱ schedule.
    #[arg(long, value_enum, default_value_t = AlphaBarSchedule::LinearAlphaBar)]
    pub schedule: AlphaBarSchedule,
    /// DDPM: T; the step counts are strided over it (at most T).
    #[arg(long, default_value_t = 1000)]
    pub total: usize,
    /// DDPM: DDIM's η (1 = ancestral).
    #[arg(long, default_value_t = 1.0)]
    pub eta: f64,
}

impl FamilyArgs {
    /// The flow-matching or DDPM family asked for, with `solver` for flow matching; none for EDM.
    pub fn spec(&self, solver: FlowSolver) -> Option<FamilySpec> {
        match self.family {
            FamilyName::Fm => Some(FamilySpec::FlowMatching {
                direction: self.direction,
                solver,
                diffusion: self.diffusion,
            }),
            FamilyName::Ddpm => Some(FamilySpec::Ddpm {
                schedule: self.schedule,
                total: self.total,
                eta: self.eta,
            }),
            FamilyName::Edm => None,
        }
    }
}

/// A sampler preset with overrides.
#[derive(Debug, Clone, Args)]
pub struct PresetArgs {
    /// Preset: edm, boltz1, boltz2, af3, chai1, seed-002.
    #[arg(long, default_value = "boltz2")]
    pub preset: String,
    /// Number of sampling steps.
    #[arg(long)]
    pub steps: Option<usize>,
    /// sigma_min of the schedule (sigma_data units when the schedule is scaled).
    #[arg(long)]
    pub sigma_min: Option<f64>,
    /// sigma_max of the schedule (sigma_data units when the schedule is scaled).
    #[arg(long)]
    pub sigma_max: Option<f64>,
    /// rho of the schedule.
    #[arg(long)]
    pub rho: Option<f64>,
    /// sigma_data (Å).
    #[arg(long)]
    pub sigma_data: Option<f64>,
    /// Multiply the schedule by sigma_data (true/false).
    #[arg(long)]
    pub scale_by_sigma_data: Option<bool>,
    /// Append a final sigma of 0 (true/false).
    #[arg(long)]
    pub append_zero: Option<bool>,
    /// Endpoint or midpoint (Chai) times.
    #[arg(long, value_enum)]
    pub times: Option<ScheduleTimes>,
    /// Churn gamma_0 (Boltz-style gate on the next sigma; with --gamma-min).
    #[arg(long)]
    pub gamma_0: Option<f64>,
    /// Churn gamma_min in Å (Boltz-style gate on the next sigma).
    #[arg(long)]
    pub gamma_min: Option<f64>,
    /// EDM S_churn (EDM-style window on the current sigma; with --s-tmin/--s-tmax).
    #[arg(long)]
    pub s_churn: Option<f64>,
    /// EDM S_tmin.
    #[arg(long)]
    pub s_tmin: Option<f64>,
    /// EDM S_tmax.
    #[arg(long)]
    pub s_tmax: Option<f64>,
    /// S_noise / noise_scale of the churn noise.
    #[arg(long)]
    pub noise_scale: Option<f64>,
    /// step_scale (eta) of the Euler update.
    #[arg(long)]
    pub step_scale: Option<f64>,
    /// Update rule: euler, heun (EDM's second order) or chai (Chai-1's second order: the averaged slope
    /// added to the Euler result).
    #[arg(long, value_enum, conflicts_with_all = ["heun", "euler"])]
    pub solver: Option<Solver>,
    /// Use Heun's second-order correction (`--solver heun`).
    #[arg(long, conflicts_with = "euler")]
    pub heun: bool,
    /// Use plain Euler steps (`--solver euler`).
    #[arg(long)]
    pub euler: bool,
    /// c_noise convention: edm (ln sigma / 4) or log-ratio (ln(sigma/sigma_data) / 4).
    #[arg(long, value_enum)]
    pub c_noise: Option<CNoiseMode>,
    /// P_mean of the training distribution.
    #[arg(long, allow_hyphen_values = true)]
    pub p_mean: Option<f64>,
    /// P_std of the training distribution.
    #[arg(long)]
    pub p_std: Option<f64>,
}

impl PresetArgs {
    /// The preset with every override applied.
    pub fn preset(&self) -> anyhow::Result<SamplerPreset> {
        let Some(mut p) = find_preset(&self.preset) else {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            anyhow::bail!(
                "unknown preset '{}': use one of {}",
                self.preset,
                names.join(", ")
            );
        };
        let s = &mut p.schedule;
        s.steps = self.steps.unwrap_or(s.steps);
        s.sigma_min = self.sigma_min.unwrap_or(s.sigma_min);
        s.sigma_max = self.sigma_max.unwrap_or(s.sigma_max);
        s.rho = self.rho.unwrap_or(s.rho);
        s.sigma_data = self.sigma_data.unwrap_or(s.sigma_data);
        s.scale_by_sigma_data = self.scale_by_sigma_data.unwrap_or(s.scale_by_sigma_data);
        s.append_zero = self.append_zero.unwrap_or(s.append_zero);
        s.times = self.times.unwrap_or(s.times);
        if self.gamma_0.is_some() || self.gamma_min.is_some() {
            let (g0, gmin) = match p.churn {
                ChurnRule::NextSigmaGate { gamma_0, gamma_min } => (gamma_0, gamma_min),
                ChurnRule::EdmWindow { .. } => (0.0, 0.0),
            };
            p.churn = ChurnRule::NextSigmaGate {
                gamma_0: self.gamma_0.unwrap_or(g0),
                gamma_min: self.gamma_min.unwrap_or(gmin),
            };
        }
        if self.s_churn.is_some() || self.s_tmin.is_some() || self.s_tmax.is_some() {
            let (c, lo, hi) = match p.churn {
                ChurnRule::EdmWindow {
                    s_churn,
                    s_tmin,
                    s_tmax,
                } => (s_churn, s_tmin, s_tmax),
                ChurnRule::NextSigmaGate { .. } => (0.0, 0.0, f64::INFINITY),
            };
            p.churn = ChurnRule::EdmWindow {
                s_churn: self.s_churn.unwrap_or(c),
                s_tmin: self.s_tmin.unwrap_or(lo),
                s_tmax: self.s_tmax.unwrap_or(hi),
            };
        }
        p.noise_scale = self.noise_scale.unwrap_or(p.noise_scale);
        p.step_scale = self.step_scale.unwrap_or(p.step_scale);
        if self.heun {
            p.solver = Solver::Heun;
        }
        if self.euler {
            p.solver = Solver::Euler;
        }
        p.solver = self.solver.unwrap_or(p.solver);
        p.c_noise = self.c_noise.unwrap_or(p.c_noise);
        p.p_mean = self.p_mean.unwrap_or(p.p_mean);
        p.p_std = self.p_std.unwrap_or(p.p_std);
        let s = &p.schedule;
        let positive = [s.sigma_min, s.sigma_max, s.rho, s.sigma_data, p.p_std];
        if s.steps == 0
            || positive.iter().any(|v| !(v.is_finite() && *v > 0.0))
            || s.sigma_min >= s.sigma_max
        {
            anyhow::bail!(
                "invalid schedule: steps must be > 0, sigma_min < sigma_max, and sigma_min, sigma_max, rho, sigma_data, p_std positive"
            );
        }
        Ok(p)
    }
}

/// `on` / `off` switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    /// As a bool.
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}
