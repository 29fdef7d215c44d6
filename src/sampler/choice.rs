//! Which sampler a run steps, named and resolved: an EDM preset (`PresetName`) or a flow-matching or
//! DDPM preset (`FamilyPreset`) is what a user picks (`SamplerChoice`); a `SamplerSpec` is the chosen
//! sampler with its settings, what `sample`, `sweep` and the window run.

use super::families::{AlphaBarSchedule, FamilySpec, FlowSolver};
use super::parameterization::FlowDirection;
use super::preset::{PRESETS, SamplerPreset};

crate::choice::choices! {
    /// An EDM preset (`PRESETS`, in the same order).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
    pub enum PresetName {
        /// EDM's own sampler (Karras et al. 2022).
        Edm = "edm",
        /// Boltz-1.
        Boltz1 = "boltz1",
        /// Boltz-2.
        Boltz2 = "boltz2",
        /// AlphaFold 3 (Protenix).
        Af3 = "af3",
        /// Chai-1.
        Chai1 = "chai1",
        /// The multiscale model of [note 002].
        Seed002 = "seed-002",
    }
}

impl PresetName {
    /// The preset's values.
    pub fn preset(self) -> SamplerPreset {
        PRESETS[self as usize]
    }

    /// The preset named `name`, in any case.
    pub fn find(name: &str) -> Option<Self> {
        <Self as crate::choice::Choice>::ALL
            .iter()
            .copied()
            .find(|p| crate::choice::Choice::name(*p).eq_ignore_ascii_case(name))
    }
}

crate::choice::choices! {
    /// A flow-matching or DDPM preset: the family, its step count and the note it reproduces.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
    pub enum FamilyPreset {
        /// Flow matching, ODE Euler [note 000].
        FmOde = "fm-ode",
        /// Flow matching, SDE [note 000].
        FmSde = "fm-sde",
        /// DDPM, note 001's linear ᾱ, T = 50, ancestral.
        ResfoldDdpm = "resfold-ddpm",
    }
}

impl FamilyPreset {
    /// The family with its options.
    pub fn spec(self) -> FamilySpec {
        match self {
            Self::FmOde => FamilySpec::FlowMatching {
                direction: FlowDirection::NoiseAtOne,
                solver: FlowSolver::Euler,
                diffusion: 0.0,
            },
            Self::FmSde => FamilySpec::FlowMatching {
                direction: FlowDirection::NoiseAtOne,
                solver: FlowSolver::Sde,
                diffusion: 1.0,
            },
            Self::ResfoldDdpm => FamilySpec::Ddpm {
                schedule: AlphaBarSchedule::LinearAlphaBar,
                total: 50,
                eta: 1.0,
            },
        }
    }

    /// The preset's sampling steps.
    pub fn steps(self) -> usize {
        match self {
            Self::FmOde | Self::FmSde => 100,
            // τ = 49 … 0, every step of note 001's T = 50 that training draws.
            Self::ResfoldDdpm => 49,
        }
    }

    /// What the preset reproduces.
    pub fn source(self) -> &'static str {
        match self {
            Self::FmOde => {
                "seed 000: flow matching, ODE Euler, noise at t = 1: x_t = (1 - t) x0 + t eps (note 000 runs the same path with noise at t = 0)"
            }
            Self::FmSde => {
                "seed 000: flow matching SDE, noise at t = 1: drift v + D score, noise sqrt(2 D dt) (note 000 puts noise at t = 0)"
            }
            Self::ResfoldDdpm => {
                "seed 001: alpha_bar(t) = 1 - t / T, T = 50, from t = 49, ancestral"
            }
        }
    }
}

/// What a user picks to step: an EDM preset (the window's preset and overrides) or a family preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SamplerChoice {
    /// EDM, with the preset chosen beside it.
    Edm,
    /// A flow-matching or DDPM preset.
    Family(FamilyPreset),
}

impl SamplerChoice {
    /// Every choice, in the order lists show them.
    pub const ALL: [Self; 4] = [
        Self::Edm,
        Self::Family(FamilyPreset::FmOde),
        Self::Family(FamilyPreset::FmSde),
        Self::Family(FamilyPreset::ResfoldDdpm),
    ];

    /// What a list shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Edm => "EDM (preset)",
            Self::Family(FamilyPreset::FmOde) => "flow matching ODE",
            Self::Family(FamilyPreset::FmSde) => "flow matching SDE",
            Self::Family(FamilyPreset::ResfoldDdpm) => "DDPM [note 001]",
        }
    }
}

/// A sampler with its settings: what a run steps.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerSpec {
    /// An EDM preset, overrides applied.
    Edm(SamplerPreset),
    /// A flow-matching or DDPM family.
    Family(FamilySpec),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::choice::Choice;

    #[test]
    fn preset_names_are_the_presets_names_in_order() {
        assert_eq!(PresetName::ALL.len(), PRESETS.len());
        for name in PresetName::ALL {
            assert_eq!(name.preset().name, name.name());
        }
        assert_eq!(PresetName::find("BOLTZ2"), Some(PresetName::Boltz2));
        assert_eq!(PresetName::find("nope"), None);
    }
}
