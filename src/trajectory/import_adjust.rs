//! What an importer does to the frames a tool wrote before they are measured: units found from the
//! backbone, σ per frame from a named schedule or a sidecar, RFdiffusion3's network-scaled noisy frames
//! scaled back, and the rigid motion some samplers add every step taken out.

use std::path::Path;

use super::array_file::{CoordinateFrames, read_sigmas};
use super::sampling_order::consecutive_ca_distances;
use crate::geometry::kabsch;
use crate::sampler::{CNoiseMode, Preconditioning, PresetName};
use crate::structure::Structure;

crate::choice::choices! {
    /// How imported frames are superposed as they are read (`--align`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum ImportAlignment {
        /// As written.
        None = "none",
        /// Each frame superposed onto the one before it (undoes Boltz's, AF3's and Chai's random
        /// rotation of every step).
        Previous = "previous",
        /// Each frame superposed onto the reference.
        Reference = "reference",
    }
}

crate::choice::choices! {
    /// A schedule that gives σ per frame to a file that has none (`--schedule`), for its frame count.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum FrameSchedule {
        /// RFdiffusion's translation noise: σ_t = √(1 − ᾱ_t) / crd_scale, linear β, T = frames.
        Rfdiffusion = "rfdiffusion",
        /// EDM's own ρ schedule.
        Edm = "edm",
        /// Boltz-1's.
        Boltz1 = "boltz1",
        /// Boltz-2's (σ_max 160 σ_data = 2560 Å).
        Boltz2 = "boltz2",
        /// AlphaFold 3's (Protenix).
        Af3 = "af3",
        /// Chai-1's.
        Chai1 = "chai1",
    }
}

/// RFdiffusion's defaults (`config/inference/base.yaml` `diffuser`): b_0, b_T at T = 200, crd_scale.
const RFDIFFUSION_B0: f64 = 0.01;
const RFDIFFUSION_BT: f64 = 0.07;
const RFDIFFUSION_CRD_SCALE: f64 = 0.25;

impl FrameSchedule {
    /// σ (Å) of each of `frames` frames, noisiest first, ending at 0: the state after each step.
    pub fn sigmas(self, frames: usize) -> Vec<f64> {
        let preset = match self {
            Self::Rfdiffusion => return rfdiffusion_sigmas(frames),
            Self::Edm => PresetName::Edm,
            Self::Boltz1 => PresetName::Boltz1,
            Self::Boltz2 => PresetName::Boltz2,
            Self::Af3 => PresetName::Af3,
            Self::Chai1 => PresetName::Chai1,
        };
        let mut spec = preset.preset().schedule;
        spec.steps = frames.saturating_sub(1).max(1);
        spec.append_zero = true;
        let mut sigmas = spec.sigmas();
        sigmas.resize(frames, 0.0);
        sigmas
    }
}

/// RFdiffusion's x_{t-1} for t = T … 1 (what `_Xt-1_traj` holds, T = frames): σ of x_s is
/// √(1 − ᾱ_s) / crd_scale with ᾱ_s = Π_{i ≤ s} (1 − β_i), β linear from b_0·200/T to b_T·200/T
/// (Watson et al. 2023, `get_beta_schedule`).
fn rfdiffusion_sigmas(frames: usize) -> Vec<f64> {
    let t = frames.max(1);
    let scale = 200.0 / t as f64;
    let (b0, bt) = (RFDIFFUSION_B0 * scale, RFDIFFUSION_BT * scale);
    let mut alpha_bar = vec![1.0; t + 1];
    for s in 1..=t {
        let beta = if t == 1 {
            b0
        } else {
            b0 + (bt - b0) * (s - 1) as f64 / (t - 1) as f64
        };
        alpha_bar[s] = alpha_bar[s - 1] * (1.0 - beta.min(1.0));
    }
    // Frame k is x_{T-1-k}.
    (0..frames)
        .map(|k| (1.0 - alpha_bar[t - 1 - k]).max(0.0).sqrt() / RFDIFFUSION_CRD_SCALE)
        .collect()
}

/// σ per frame from a sidecar file (see `read_sigmas`).
pub fn read_sigma_file(path: &Path) -> Result<Vec<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    read_sigmas(&bytes)
}

/// Mean Cα–Cα distance of consecutive Cα atoms within chains, in the file's unit.
fn mean_ca_ca(structure: &Structure, positions: &[[f32; 3]]) -> Option<f64> {
    let d = consecutive_ca_distances(structure, positions);
    (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64)
}

/// True when the cleaner end of `models` has Cα atoms 0.38 apart: nanometres (Proteina's unit).
pub fn in_nanometres(structure: &Structure, models: &CoordinateFrames) -> bool {
    let ends = [models.first(), models.last()];
    ends.iter()
        .flatten()
        .filter_map(|m| mean_ca_ca(structure, m))
        .any(|d| (0.33..0.43).contains(&d))
}

/// Multiplies every coordinate by `factor`.
pub fn scale_frames(frames: &mut CoordinateFrames, factor: f32) {
    for p in frames.iter_mut().flatten() {
        *p = p.map(|v| v * factor);
    }
}

/// RFdiffusion3 stores its noisy frames at the network's input scale, x · σ_data/√(t̂² + σ_data²)
/// (EDM's c_in, Karras et al. 2022 table 1); this multiplies each frame by the inverse.
pub fn unscale_by_c_in(frames: &mut CoordinateFrames, sigmas: &[f64], sigma_data: f64) {
    for (frame, &sigma) in frames.iter_mut().zip(sigmas) {
        let c_in = Preconditioning::at(sigma, sigma_data, CNoiseMode::Edm).c_in;
        let factor = (1.0 / (c_in * sigma_data)) as f32;
        for p in frame.iter_mut() {
            *p = p.map(|v| v * factor);
        }
    }
}

/// Superposes each state (and its prediction with the same motion) as `alignment` asks.
pub fn align_frames(
    states: &mut CoordinateFrames,
    predictions: Option<&mut CoordinateFrames>,
    alignment: ImportAlignment,
    reference: &[[f32; 3]],
) {
    if alignment == ImportAlignment::None {
        return;
    }
    let mut predictions = predictions;
    for k in 0..states.len() {
        let target = match alignment {
            ImportAlignment::Previous if k > 0 => &states[k - 1],
            ImportAlignment::Previous => continue,
            _ => reference,
        };
        let motion = kabsch(&states[k], target);
        let moved: Vec<[f32; 3]> = states[k].iter().map(|&p| motion.apply(p)).collect();
        states[k] = moved;
        if let Some(frame) = predictions.as_deref_mut().and_then(|p| p.get_mut(k)) {
            for p in frame.iter_mut() {
                *p = motion.apply(*p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfdiffusion_sigmas_follow_the_beta_schedule() {
        let s = rfdiffusion_sigmas(50);
        assert_eq!(s.len(), 50);
        assert_eq!(s[49], 0.0);
        // ᾱ_49 = Π (1 − β_i), β linear 0.04 … 0.28 over 50 steps, σ = √(1 − ᾱ) / 0.25.
        let alpha_bar: f64 = (0..49)
            .map(|i| 1.0 - (0.04 + 0.24 * f64::from(i) / 49.0))
            .product();
        assert!((s[0] - (1.0 - alpha_bar).sqrt() * 4.0).abs() < 1e-12);
        assert!(s.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn edm_schedules_end_at_zero_with_one_sigma_a_frame() {
        let s = FrameSchedule::Boltz2.sigmas(51);
        assert_eq!(s.len(), 51);
        assert!((s[0] - 2560.0).abs() < 1e-9);
        assert_eq!(s[50], 0.0);
    }

    #[test]
    fn c_in_is_undone() {
        let mut frames = vec![vec![[1.0, 2.0, 3.0]]];
        unscale_by_c_in(&mut frames, &[16.0 * 3f64.sqrt()], 16.0);
        assert!((frames[0][0][0] - 2.0).abs() < 1e-6);
    }

    #[test]
    fn sidecars_read_numbers() {
        let path = std::env::temp_dir().join(format!("sigma-{}.txt", std::process::id()));
        std::fs::write(&path, "[80.0, 40.5,\n 0]").unwrap();
        assert_eq!(read_sigma_file(&path).unwrap(), [80.0, 40.5, 0.0]);
        std::fs::write(&path, "80 x").unwrap();
        assert!(read_sigma_file(&path).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
