//! Settings the app persists between sessions (eframe storage), and what they build: the noise model,
//! the sampler preset with overrides, the view options.

use std::path::PathBuf;

use crate::denoiser::DenoiserChoice;
use crate::denoiser::learned::{
    ConditioningMode, LevelInputs, LossMode, ModelConfig, OutputForm, PreconditionMode, TrainConfig,
};
use crate::noise::{LevelWeights, NamedNoise, NoiseModel, WEIGHT_PRESETS};
use crate::render::{ColorMode, Layers};
use crate::sampler::{
    ChurnRule, FamilyPreset, FamilySettings, PresetName, SamplerChoice, SamplerPreset,
    SamplerSettings, SamplerSpec, Solver, StartNoise, UpdateRule,
};
use crate::trajectory::SweepSpec;

/// How sigma is chosen in the noise panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigmaInput {
    /// From z of the training distribution.
    Z,
    /// In Å directly.
    Direct,
}

/// Why the settings describe no run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// The noise weights are refused.
    #[error(transparent)]
    Weights(#[from] crate::noise::NoiseError),
    /// The sweep panel has no step count.
    #[error("sweep steps: give at least one step count")]
    NoStepCounts,
}

/// Which track the viewport shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TrackView {
    /// The sampler state x_t.
    State,
    /// The prediction x̂0.
    Prediction,
}

/// Everything persisted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Recently opened files, newest first.
    pub recent_files: Vec<PathBuf>,
    /// Keep hydrogens when loading.
    pub keep_hydrogens: bool,
    /// Keep waters when loading.
    pub keep_water: bool,
    /// Drop hetero groups when loading.
    pub drop_hetero: bool,
    /// Noise weights w_c, w_r, w_a.
    pub weights: [f64; 3],
    /// Sigma by z or directly.
    pub sigma_input: SigmaInput,
    /// z of the training distribution.
    pub z: f64,
    /// sigma in Å.
    pub sigma: f64,
    /// Seed of noise and sampler.
    pub seed: u64,
    /// The sampler panel's family (EDM takes the preset below).
    pub sampler: SamplerChoice,
    /// The EDM preset (its σ_data also scales the families' prior and the noise panel's z).
    pub preset: PresetName,
    /// Steps.
    pub steps: usize,
    /// Churn on (the preset's rule) or off.
    pub churn: bool,
    /// step_scale.
    pub step_scale: f64,
    /// Update rule: Euler, Heun or Chai-1's second-order step.
    pub solver: Solver,
    /// Augmentation between steps.
    pub augment: bool,
    /// Start noise.
    pub start: StartNoise,
    /// The preconditioning shown and diagnosed: the global σ's, or each level's own.
    pub precondition_shown: PreconditionMode,
    /// Denoiser.
    pub denoiser: DenoiserChoice,
    /// Step from the denoiser's own residue and chain x̂0 (the learned one gives them).
    pub level_outputs: bool,
    /// The command of the external denoiser (kept while another denoiser is chosen).
    pub external_command: String,
    /// Color mode.
    pub color_by: ColorMode,
    /// Layers.
    pub layers: Layers,
    /// Track shown.
    pub track: TrackView,
    /// Undo the augmentation in the view.
    pub undo_augmentation: bool,
    /// Keep the camera still; unlocked it follows the frames.
    pub camera_lock: bool,
    /// What each frame is superposed onto in the view.
    pub hold_steady: crate::render::HoldSteady,
    /// Show what the denoiser is given: x · σ_data/√(σ² + σ_data²).
    pub network_view: bool,
    /// x_t and x̂0 side by side, one camera for both.
    pub split_view: bool,
    /// The view's selection string (`chain A and resid 10-50`); empty selects nothing.
    pub selection: String,
    /// Grey out the atoms the selection leaves out.
    pub selection_dims_others: bool,
    /// Hide the atoms the selection leaves out.
    pub selection_hides_others: bool,
    /// Hold steady on the selected atoms alone.
    pub selection_superposes: bool,
    /// The sweep panel's sampler.
    pub sweep_sampler: SamplerChoice,
    /// The sweep panel's step counts (the panel keeps the text as typed).
    pub sweep_steps: Vec<usize>,
    /// The sweep panel's seeds per step count.
    pub sweep_seeds: u64,
    /// The Train panel's toggles (pitfalls of note 002, the output form of note 001).
    pub train_precondition: PreconditionMode,
    /// See `train_precondition`.
    pub train_loss: LossMode,
    /// See `train_precondition`.
    pub train_conditioning: ConditioningMode,
    /// See `train_precondition`.
    pub train_level_inputs: LevelInputs,
    /// See `train_precondition`.
    pub train_output: OutputForm,
    /// Random rotation + translation of the training target.
    pub train_augment: bool,
    /// Training steps.
    pub train_steps: usize,
    /// Where the Train panel saves (default: `NAME.learned.mpk` next to the structure's file).
    pub train_out: Option<PathBuf>,
    /// The last model the Train panel saved (a denoiser choice in the sampler panel).
    pub trained_model: Option<PathBuf>,
    /// How runs of other tools are superposed when opened.
    pub run_alignment: crate::trajectory::ImportAlignment,
    /// σ per frame for opened runs that have none.
    pub run_schedule: Option<crate::trajectory::FrameSchedule>,
}

impl Default for Settings {
    fn default() -> Self {
        let preset = PresetName::Boltz2.preset();
        Self {
            recent_files: Vec::new(),
            keep_hydrogens: false,
            keep_water: false,
            drop_hetero: false,
            weights: WEIGHT_PRESETS[0].1,
            sigma_input: SigmaInput::Z,
            z: 0.0,
            sigma: 4.82,
            seed: 0,
            sampler: SamplerChoice::Edm,
            preset: PresetName::Boltz2,
            steps: 50,
            churn: true,
            step_scale: preset.step_scale,
            solver: Solver::Euler,
            augment: true,
            start: StartNoise::Multiscale,
            precondition_shown: PreconditionMode::Global,
            denoiser: DenoiserChoice::Exact,
            level_outputs: false,
            external_command: "python3 examples/external_denoiser/exact.py".to_owned(),
            color_by: ColorMode::DisplacementResidue,
            layers: Layers::default(),
            track: TrackView::State,
            undo_augmentation: true,
            camera_lock: false,
            hold_steady: crate::render::HoldSteady::None,
            network_view: false,
            split_view: false,
            selection: String::new(),
            selection_dims_others: true,
            selection_hides_others: false,
            selection_superposes: false,
            sweep_sampler: SamplerChoice::Family(FamilyPreset::FmOde),
            sweep_steps: vec![10, 20, 50, 100],
            sweep_seeds: 2,
            train_precondition: PreconditionMode::PerLevel,
            train_loss: LossMode::LevelMean,
            train_conditioning: ConditioningMode::PerLevel,
            train_level_inputs: LevelInputs::Embeddings,
            train_output: OutputForm::Edm,
            train_augment: false,
            train_steps: TrainConfig::default().steps,
            train_out: None,
            trained_model: None,
            run_alignment: crate::trajectory::ImportAlignment::None,
            run_schedule: None,
        }
    }
}

impl Settings {
    /// The weight preset these weights equal, if any.
    pub fn weight_preset_name(&self) -> Option<&'static str> {
        WEIGHT_PRESETS
            .iter()
            .find(|(_, w)| *w == self.weights)
            .map(|(n, _)| *n)
    }

    /// The noise model of the weights (flat when w_c = w_r = 0); invalid weights fall back to flat with an error.
    pub fn noise(&self) -> Result<NamedNoise, SettingsError> {
        let [c, r, a] = self.weights;
        if c == 0.0 && r == 0.0 && a > 0.0 {
            return Ok(NamedNoise {
                name: "flat".to_owned(),
                model: NoiseModel::Flat,
            });
        }
        let weights = LevelWeights::new(c, r, a)?;
        let name = self
            .weight_preset_name()
            .map_or_else(|| format!("{c},{r},{a}"), str::to_owned);
        Ok(NamedNoise {
            name,
            model: NoiseModel::multiscale(weights),
        })
    }

    /// Chooses an EDM preset: the update rule the panel shows starts from the preset's
    /// (`SamplerPreset::update_rule`); the churn switch and the step count stay the user's.
    pub fn choose_preset(&mut self, name: PresetName) {
        let rule = name.preset().update_rule();
        self.preset = name;
        self.step_scale = rule.step_scale;
        self.augment = rule.augment;
        self.solver = rule.solver;
    }

    /// The preset with the panel's overrides.
    pub fn preset(&self) -> SamplerPreset {
        let mut p = self.preset.preset().with_update_rule(UpdateRule {
            step_scale: self.step_scale,
            solver: self.solver,
            augment: self.augment,
        });
        p.schedule.steps = self.steps.clamp(1, 1000);
        if !self.churn {
            p.churn = ChurnRule::NONE;
        }
        p
    }

    /// Sampler settings for a run.
    pub fn sampler_settings(&self) -> Result<SamplerSettings, SettingsError> {
        let start = self.start;
        Ok(SamplerSettings {
            level_outputs: self.level_outputs,
            preset: self.preset(),
            noise: self.noise()?,
            start,
            churn_noise: crate::sampler::ChurnNoise::following(start),
            seed: self.seed,
        })
    }

    /// The noise panel's sigma in Å.
    pub fn noise_sigma(&self) -> f64 {
        match self.sigma_input {
            SigmaInput::Z => self.preset().training().sigma_at(self.z),
            SigmaInput::Direct => self.sigma,
        }
    }

    /// The sweep panel's step counts; an error when there are none.
    pub fn sweep_step_counts(&self) -> Result<Vec<usize>, SettingsError> {
        if self.sweep_steps.is_empty() {
            return Err(SettingsError::NoStepCounts);
        }
        Ok(self.sweep_steps.clone())
    }

    /// The family run of `choice` with the panels' steps and seed and `edm`'s noise and start (the
    /// prior's σ is the preset's σ_data); none for EDM.
    pub fn family_settings(
        &self,
        choice: SamplerChoice,
        edm: &SamplerSettings,
    ) -> Result<Option<FamilySettings>, SettingsError> {
        let SamplerChoice::Family(family) = choice else {
            return Ok(None);
        };
        Ok(Some(FamilySettings {
            spec: family.spec(),
            steps: self.steps.clamp(1, 1000),
            prior: edm.noise.clone(),
            prior_sigma: edm.preset.schedule.sigma_data,
            start: edm.start,
            seed: self.seed,
        }))
    }

    /// The sweep panel's sweep: its sampler, the sampler panel's denoiser, the noise panel's weights.
    pub fn sweep_spec(&self) -> Result<SweepSpec, SettingsError> {
        let settings = self.sampler_settings()?;
        let sampler = match self.family_settings(self.sweep_sampler, &settings)? {
            Some(family) => SamplerSpec::Family(family.spec),
            None => SamplerSpec::Edm(settings.preset),
        };
        Ok(SweepSpec {
            sampler,
            denoiser: self.denoiser.clone(),
            noise: settings.noise,
            start: settings.start,
            prior_sigma: settings.preset.schedule.sigma_data,
        })
    }

    /// The Train panel's model and training (the noise panel's weights are its noise).
    pub fn training(&self) -> (ModelConfig, TrainConfig) {
        (
            ModelConfig {
                precondition: self.train_precondition,
                conditioning: self.train_conditioning,
                level_inputs: self.train_level_inputs,
                output: self.train_output,
                sigma_data: self.preset().schedule.sigma_data,
                ..ModelConfig::default()
            },
            TrainConfig {
                steps: self.train_steps.clamp(1, 100_000),
                loss: self.train_loss,
                augment: self.train_augment,
                seed: self.seed,
                ..TrainConfig::default()
            },
        )
    }

    /// Remembers a file at the front of the recent list (at most 8).
    pub fn remember(&mut self, path: PathBuf) {
        self.recent_files.retain(|p| p != &path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(8);
    }
}
