//! The findings the window shows: the core's diagnosis (`crate::diagnosis`), each pointing to the
//! control that changes it.

use crate::diagnosis::FindingCode;

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

/// A finding as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The core's finding (code, severity, text, figures).
    pub finding: crate::diagnosis::Finding,
    /// Where to change it.
    pub control: Control,
}

impl Finding {
    /// The core's finding with the control that changes it.
    pub fn of(finding: crate::diagnosis::Finding) -> Self {
        let control = match finding.code {
            FindingCode::InvalidWeights
            | FindingCode::ResidueNoise
            | FindingCode::Centring
            | FindingCode::NoiseGivesLittleOwnMotion => Control::NoiseWeights,
            FindingCode::TrainingCoverage => Control::Schedule,
            FindingCode::AugmentationOff => Control::Augmentation,
            FindingCode::MultiscaleStart => Control::StartNoise,
            FindingCode::GlobalPreconditioning => Control::Preconditioning,
            FindingCode::DenoiserCarriesResidues => Control::Denoiser,
            // The run's motion points to what explains it: the denoiser when it keeps the offsets.
            FindingCode::RunResidueMotion => {
                if finding
                    .figures
                    .get("residue_offset_kept")
                    .is_some_and(|k| *k > 0.5)
                {
                    Control::Denoiser
                } else {
                    Control::NoiseWeights
                }
            }
        };
        Self { finding, control }
    }

    /// The sentence.
    pub fn text(&self) -> &str {
        &self.finding.text
    }

    /// True for a warning.
    pub fn is_warning(&self) -> bool {
        self.finding.is_warning()
    }
}
