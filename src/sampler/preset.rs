//! Sampler presets as data, each with the source file and function it reproduces, and the churn rules
//! they use.

use super::precondition::CNoiseMode;
use super::schedule::{ScheduleSpec, ScheduleTimes};

/// How the churn factor gamma of a step is chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum ChurnRule {
    /// Boltz / Protenix: gamma = gamma_0 when the **next** sigma exceeds gamma_min (Å), else 0.
    NextSigmaGate {
        /// gamma_0.
        gamma_0: f64,
        /// gamma_min, Å.
        gamma_min: f64,
    },
    /// EDM: gamma = min(S_churn / N, sqrt(2) - 1) when S_tmin ≤ current sigma ≤ S_tmax, else 0.
    /// Chai-1 compares its sigma_data-scaled sigmas with unscaled thresholds; so does this rule.
    EdmWindow {
        /// S_churn.
        s_churn: f64,
        /// S_tmin.
        s_tmin: f64,
        /// S_tmax.
        s_tmax: f64,
    },
}

impl ChurnRule {
    /// No churn: a deterministic ODE sampler.
    pub const NONE: Self = Self::NextSigmaGate {
        gamma_0: 0.0,
        gamma_min: 0.0,
    };

    /// gamma for the step from `sigma` to `sigma_next`; `steps` is the schedule's configured step count
    /// (`ScheduleSpec::steps`: EDM's N, Chai-1's `num_diffn_timesteps`), not the number of sigma pairs,
    /// which for Chai-1's midpoint grid is one fewer.
    pub fn gamma(&self, sigma: f64, sigma_next: f64, steps: usize) -> f64 {
        match *self {
            Self::NextSigmaGate { gamma_0, gamma_min } => {
                if sigma_next > gamma_min {
                    gamma_0
                } else {
                    0.0
                }
            }
            Self::EdmWindow {
                s_churn,
                s_tmin,
                s_tmax,
            } => {
                if (s_tmin..=s_tmax).contains(&sigma) {
                    (s_churn / steps.max(1) as f64).min(std::f64::consts::SQRT_2 - 1.0)
                } else {
                    0.0
                }
            }
        }
    }
}

crate::choice::choices! {
    /// The update rule of one step, with dt = step_scale (sigma_next - t_hat) and d = (x_hat - x̂0) / t_hat.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Solver {
        /// First order: x_next = x_hat + dt d.
        Euler = "euler",
        /// EDM's second-order correction (Karras et al. 2022, Alg. 2): x_E = x_hat + dt d, d' the slope at
        /// x_E, x_next = x_hat + dt (d + d') / 2; skipped on the step to sigma = 0.
        Heun = "heun",
        /// Chai-1's second-order step (chai-lab `chai_lab/chai1.py`, `run_folding_on_context`): the averaged
        /// slope is added to the Euler result, not to x_hat, so x_next = x_hat + dt (1.5 d + 0.5 d');
        /// skipped on the step to sigma = 0.
        Chai = "chai",
    }
}

/// Everything that defines a sampler run apart from the structure, noise and denoiser.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SamplerPreset {
    /// Preset name.
    pub name: &'static str,
    /// Where the values come from.
    pub source: &'static str,
    /// The sigma schedule.
    pub schedule: ScheduleSpec,
    /// Churn rule.
    pub churn: ChurnRule,
    /// S_noise / noise_scale: multiplies the churn noise.
    pub noise_scale: f64,
    /// step_scale (eta): multiplies the Euler update.
    pub step_scale: f64,
    /// Euler or Heun.
    pub solver: Solver,
    /// Center, random rotation and random translation before every step.
    pub augment: bool,
    /// Std of the random translation, Å (Boltz `s_trans` = 1, not scaled by sigma).
    pub translation_std: f64,
    /// Kabsch-align the noisy state onto the prediction before the step (Boltz `alignment_reverse_diff`).
    pub align_to_prediction: bool,
    /// c_noise convention.
    pub c_noise: CNoiseMode,
    /// Training noise distribution: P_mean.
    pub p_mean: f64,
    /// Training noise distribution: P_std.
    pub p_std: f64,
    /// Whether the training draws σ = σ_data exp(P_mean + P_std n) (Boltz, AF3/Protenix, Chai-1) or
    /// σ = exp(P_mean + P_std n) with no σ_data (EDM's own `EDMLoss`, Karras et al. 2022 Table 1).
    pub training_scaled_by_sigma_data: bool,
}

const fn endpoints(
    sigma_min: f64,
    sigma_max: f64,
    rho: f64,
    steps: usize,
    sigma_data: f64,
    scaled: bool,
) -> ScheduleSpec {
    ScheduleSpec {
        sigma_min,
        sigma_max,
        rho,
        steps,
        sigma_data,
        scale_by_sigma_data: scaled,
        append_zero: true,
        times: ScheduleTimes::Endpoints,
    }
}

/// The presets: `edm`, `boltz1`, `boltz2`, `af3`, `chai1`, `seed-002`.
pub const PRESETS: [SamplerPreset; 6] = [
    SamplerPreset {
        name: "edm",
        source: "NVlabs/edm generate.py edm_sampler defaults; EDMPrecond sigma_data 0.5, c_noise ln(sigma)/4; EDMLoss P_std 1.2",
        schedule: endpoints(0.002, 80.0, 7.0, 18, 0.5, false),
        churn: ChurnRule::EdmWindow {
            s_churn: 0.0,
            s_tmin: 0.0,
            s_tmax: f64::INFINITY,
        },
        noise_scale: 1.0,
        step_scale: 1.0,
        solver: Solver::Heun,
        augment: false,
        translation_std: 0.0,
        align_to_prediction: false,
        c_noise: CNoiseMode::Edm,
        p_mean: -1.2,
        p_std: 1.2,
        training_scaled_by_sigma_data: false,
    },
    SamplerPreset {
        name: "boltz1",
        source: "jwohlwend/boltz src/boltz/main.py BoltzDiffusionParams; modules/diffusion.py",
        schedule: endpoints(4e-4, 160.0, 8.0, 200, 16.0, true),
        churn: ChurnRule::NextSigmaGate {
            gamma_0: 0.605,
            gamma_min: 1.107,
        },
        noise_scale: 0.901,
        step_scale: 1.638,
        solver: Solver::Euler,
        augment: true,
        translation_std: 1.0,
        align_to_prediction: true,
        c_noise: CNoiseMode::LogRatio,
        p_mean: -1.2,
        p_std: 1.5,
        training_scaled_by_sigma_data: true,
    },
    SamplerPreset {
        name: "boltz2",
        source: "jwohlwend/boltz src/boltz/main.py Boltz2DiffusionParams; modules/diffusionv2.py AtomDiffusion",
        schedule: endpoints(1e-4, 160.0, 7.0, 200, 16.0, true),
        churn: ChurnRule::NextSigmaGate {
            gamma_0: 0.8,
            gamma_min: 1.0,
        },
        noise_scale: 1.003,
        step_scale: 1.5,
        solver: Solver::Euler,
        augment: true,
        translation_std: 1.0,
        align_to_prediction: true,
        c_noise: CNoiseMode::LogRatio,
        p_mean: -1.2,
        p_std: 1.5,
        training_scaled_by_sigma_data: true,
    },
    SamplerPreset {
        name: "af3",
        source: "bytedance/Protenix configs/configs_base.py, protenix/model/generator.py sample_diffusion and InferenceNoiseScheduler (t = i/N, final 0)",
        schedule: ScheduleSpec {
            times: ScheduleTimes::Protenix,
            ..endpoints(4e-4, 160.0, 7.0, 200, 16.0, true)
        },
        churn: ChurnRule::NextSigmaGate {
            gamma_0: 0.8,
            gamma_min: 1.0,
        },
        noise_scale: 1.003,
        step_scale: 1.5,
        solver: Solver::Euler,
        augment: true,
        translation_std: 1.0,
        align_to_prediction: false,
        c_noise: CNoiseMode::LogRatio,
        p_mean: -1.2,
        p_std: 1.5,
        training_scaled_by_sigma_data: true,
    },
    SamplerPreset {
        name: "chai1",
        source: "chaidiscovery/chai-lab chai_lab/chai1.py DiffusionConfig and run_folding_on_context (second-order step added to the Euler result; gamma = S_churn / num_diffn_timesteps); model/diffusion_schedules.py (midpoints)",
        schedule: ScheduleSpec {
            sigma_min: 4e-4,
            sigma_max: 80.0,
            rho: 7.0,
            steps: 200,
            sigma_data: 16.0,
            scale_by_sigma_data: true,
            append_zero: false,
            times: ScheduleTimes::Midpoints,
        },
        churn: ChurnRule::EdmWindow {
            s_churn: 80.0,
            s_tmin: 4e-4,
            s_tmax: 80.0,
        },
        noise_scale: 1.003,
        step_scale: 1.0,
        solver: Solver::Chai,
        augment: true,
        translation_std: 1.0,
        align_to_prediction: false,
        c_noise: CNoiseMode::LogRatio,
        p_mean: -1.2,
        p_std: 1.5,
        training_scaled_by_sigma_data: true,
    },
    SamplerPreset {
        name: "seed-002",
        source: "seed 002 debug_training.py: sigma_max 80 and sigma_min 1e-3 times sigma_data 16 (pitfall 8), Euler, gamma 0, step_scale 1",
        schedule: endpoints(1e-3, 80.0, 7.0, 200, 16.0, true),
        churn: ChurnRule::NONE,
        noise_scale: 1.0,
        step_scale: 1.0,
        solver: Solver::Euler,
        augment: false,
        translation_std: 0.0,
        align_to_prediction: false,
        c_noise: CNoiseMode::LogRatio,
        p_mean: -1.2,
        p_std: 1.5,
        training_scaled_by_sigma_data: true,
    },
];

/// One step of a schedule: where it starts, the churned level the denoiser runs at, where it ends.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StepLevels {
    /// sigma at the start of the step, Å.
    pub sigma: f64,
    /// sigma at the end of the step, Å.
    pub sigma_next: f64,
    /// Churn factor.
    pub gamma: f64,
    /// sigma (1 + gamma): the level of x_hat, where the denoiser is evaluated (EDM Alg. 2, line 5), Å.
    pub t_hat: f64,
}

/// The update rule a user tunes on top of a preset (the window's sampler panel, `sample`'s flags). On
/// choosing a preset it starts from the preset's own (`SamplerPreset::update_rule`); the step count and
/// the churn switch stay the user's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateRule {
    /// step_scale (eta) of the Euler update.
    pub step_scale: f64,
    /// Euler, Heun or Chai-1's second-order step.
    pub solver: Solver,
    /// Centre, random rotation and random translation before every step.
    pub augment: bool,
}

impl SamplerPreset {
    /// The preset's own update rule.
    pub fn update_rule(&self) -> UpdateRule {
        UpdateRule {
            step_scale: self.step_scale,
            solver: self.solver,
            augment: self.augment,
        }
    }

    /// This preset stepping by `rule`.
    pub fn with_update_rule(self, rule: UpdateRule) -> Self {
        Self {
            step_scale: rule.step_scale,
            solver: rule.solver,
            ..self
        }
        .with_augmentation(rule.augment)
    }

    /// This preset with augmentation on or off: off drops the random translation too, on draws it with
    /// at least Boltz's 1 Å (`s_trans`).
    pub fn with_augmentation(self, on: bool) -> Self {
        Self {
            augment: on,
            translation_std: if on {
                self.translation_std.max(1.0)
            } else {
                0.0
            },
            ..self
        }
    }

    /// Every step's sigma, gamma and t_hat, as the engine takes them.
    pub fn step_levels(&self) -> Vec<StepLevels> {
        self.schedule
            .sigmas()
            .windows(2)
            .map(|w| {
                let gamma = self.churn.gamma(w[0], w[1], self.schedule.steps);
                StepLevels {
                    sigma: w[0],
                    sigma_next: w[1],
                    gamma,
                    t_hat: w[0] * (1.0 + gamma),
                }
            })
            .collect()
    }

    /// The training noise distribution this preset assumes: σ = scale · exp(P_mean + P_std n), the
    /// scale σ_data where the model's loss multiplies by it and 1 for EDM's own.
    pub fn training(&self) -> crate::noise::TrainingSigma {
        crate::noise::TrainingSigma {
            scale: if self.training_scaled_by_sigma_data {
                self.schedule.sigma_data
            } else {
                1.0
            },
            p_mean: self.p_mean,
            p_std: self.p_std,
        }
    }
}

/// Finds a preset by name.
pub fn find_preset(name: &str) -> Option<SamplerPreset> {
    super::PresetName::find(name).map(super::PresetName::preset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_rule_round_trips_and_augmentation_carries_its_translation() {
        for preset in PRESETS {
            assert_eq!(
                preset.with_update_rule(preset.update_rule()).update_rule(),
                preset.update_rule()
            );
        }
        let af3 = find_preset("af3").unwrap();
        let off = af3.with_augmentation(false);
        assert!(!off.augment);
        assert_eq!(
            off.translation_std, 0.0,
            "no augmentation, no random translation"
        );
        let on = off.with_augmentation(true);
        assert!(
            on.augment && on.translation_std >= 1.0,
            "{}",
            on.translation_std
        );
        let rule = UpdateRule {
            step_scale: 0.7,
            solver: Solver::Heun,
            augment: false,
        };
        let tuned = af3.with_update_rule(rule);
        assert_eq!(
            (tuned.step_scale, tuned.solver, tuned.augment),
            (0.7, Solver::Heun, false)
        );
        assert_eq!(
            tuned.schedule, af3.schedule,
            "the schedule stays the preset's"
        );
    }

    #[test]
    fn churn_gates() {
        let boltz = find_preset("boltz2").unwrap().churn;
        assert_eq!(boltz.gamma(5.0, 1.5, 200), 0.8);
        assert_eq!(
            boltz.gamma(5.0, 1.0, 200),
            0.0,
            "gated on the next sigma, strictly above gamma_min"
        );
        let chai = find_preset("chai1").unwrap();
        assert_eq!(chai.solver, Solver::Chai);
        let chai = chai.churn;
        // chai-lab: min(S_churn / num_diffn_timesteps, sqrt(2) - 1) = 80 / 200.
        assert!((chai.gamma(50.0, 40.0, 200) - 0.4).abs() < 1e-12);
        assert_eq!(
            chai.gamma(1000.0, 900.0, 200),
            0.0,
            "unscaled S_tmax: no churn above 80 Å"
        );
        let edm = ChurnRule::EdmWindow {
            s_churn: 80.0,
            s_tmin: 0.0,
            s_tmax: f64::INFINITY,
        };
        assert!((edm.gamma(1.0, 0.5, 18) - (std::f64::consts::SQRT_2 - 1.0)).abs() < 1e-12);
    }
}
