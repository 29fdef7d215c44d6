//! Noise models: flat per-atom noise, and multiscale noise whose chain/residue/atom weights split one
//! sigma into sqrt(w_l / w_sum) parts [note 004], optionally with weights that change with sigma.

use std::fmt;
use std::sync::Arc;

/// Why a noise specification was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseError {
    /// A weight is negative, NaN or infinite, or all are zero.
    #[error("invalid noise weights {0}: weights must be finite, non-negative and not all zero")]
    InvalidWeights(String),
    /// The text is neither a preset name nor three numbers.
    #[error(
        "unknown noise '{0}': use flat, a preset (seed-old, rebalanced, 3-8-1, 2-6-2, equal, a3-r2-c1) or w_c,w_r,w_a"
    )]
    Unknown(String),
    /// A sigma is not a positive finite number.
    #[error("invalid sigma {0}: sigma must be positive and finite")]
    InvalidSigma(f64),
    /// The device could not run or read back the computation.
    #[error("device computation failed: {0}")]
    Device(String),
}

/// Chain, residue and atom weights of multiscale noise.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelWeights {
    /// w_c: weight of the noise shared by every atom of a chain.
    pub chain: f64,
    /// w_r: weight of the noise shared by every atom of a residue.
    pub residue: f64,
    /// w_a: weight of the per-atom noise.
    pub atom: f64,
}

impl LevelWeights {
    /// Checked weights: finite, non-negative, not all zero.
    pub fn new(chain: f64, residue: f64, atom: f64) -> Result<Self, NoiseError> {
        let all = [chain, residue, atom];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) || all.iter().sum::<f64>() <= 0.0 {
            return Err(NoiseError::InvalidWeights(format!(
                "({chain}, {residue}, {atom})"
            )));
        }
        Ok(Self {
            chain,
            residue,
            atom,
        })
    }

    /// w_c + w_r + w_a.
    pub fn sum(&self) -> f64 {
        self.chain + self.residue + self.atom
    }

    /// Per-coordinate std of each level's noise at `sigma`: sqrt(w_l / w_sum) * sigma (note 004, `add_noise`).
    pub fn stds(&self, sigma: f64) -> LevelStds {
        let w = self.sum();
        LevelStds {
            chain: (self.chain / w).sqrt() * sigma,
            residue: (self.residue / w).sqrt() * sigma,
            atom: (self.atom / w).sqrt() * sigma,
        }
    }

    /// Linear interpolation between two weight sets (`t` in 0..=1), after normalising each to sum 1.
    pub fn lerp(&self, other: &Self, t: f64) -> Self {
        let (a, b) = (self.sum(), other.sum());
        Self {
            chain: self.chain / a * (1.0 - t) + other.chain / b * t,
            residue: self.residue / a * (1.0 - t) + other.residue / b * t,
            atom: self.atom / a * (1.0 - t) + other.atom / b * t,
        }
    }
}

impl fmt::Display for LevelWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "w_c {} w_r {} w_a {}",
            self.chain, self.residue, self.atom
        )
    }
}

/// Per-coordinate standard deviation of the noise drawn at each level, in Å.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LevelStds {
    /// Std of the chain noise (broadcast to the chain's atoms).
    pub chain: f64,
    /// Std of the residue noise (broadcast to the residue's atoms).
    pub residue: f64,
    /// Std of the per-atom noise.
    pub atom: f64,
}

/// Weights that may depend on sigma: the hook for per-level sigma schedules.
pub trait LevelSchedule: fmt::Debug + Send + Sync {
    /// The weights in force at noise level `sigma`.
    fn weights_at(&self, sigma: f64) -> LevelWeights;
}

/// The same weights at every sigma.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantWeights(pub LevelWeights);

impl LevelSchedule for ConstantWeights {
    fn weights_at(&self, _sigma: f64) -> LevelWeights {
        self.0
    }
}

/// Weights that move from `low` to `high` linearly in ln(sigma) between `sigma_low` and `sigma_high`
/// (constant outside), e.g. a residue share that grows with sigma.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogSigmaRamp {
    /// Weights at and below `sigma_low`.
    pub low: LevelWeights,
    /// Weights at and above `sigma_high`.
    pub high: LevelWeights,
    /// Start of the ramp, Å.
    pub sigma_low: f64,
    /// End of the ramp, Å.
    pub sigma_high: f64,
}

impl LevelSchedule for LogSigmaRamp {
    fn weights_at(&self, sigma: f64) -> LevelWeights {
        let span = (self.sigma_high / self.sigma_low).ln();
        let t = if span > 0.0 {
            ((sigma / self.sigma_low).ln() / span).clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.low.lerp(&self.high, t)
    }
}

/// How noise is spread over the hierarchy.
#[derive(Debug, Clone)]
pub enum NoiseModel {
    /// Isotropic per-atom noise of std sigma per coordinate.
    Flat,
    /// Chain + residue + atom noise with (possibly sigma-dependent) weights.
    Multiscale(Arc<dyn LevelSchedule>),
}

impl NoiseModel {
    /// Multiscale noise with constant weights.
    pub fn multiscale(weights: LevelWeights) -> Self {
        Self::Multiscale(Arc::new(ConstantWeights(weights)))
    }

    /// Per-level stds at `sigma`.
    pub fn stds(&self, sigma: f64) -> LevelStds {
        match self {
            Self::Flat => LevelStds {
                chain: 0.0,
                residue: 0.0,
                atom: sigma,
            },
            Self::Multiscale(schedule) => schedule.weights_at(sigma).stds(sigma),
        }
    }

    /// The weights at `sigma` (flat noise is w = (0, 0, 1)).
    pub fn weights_at(&self, sigma: f64) -> LevelWeights {
        match self {
            Self::Flat => LevelWeights {
                chain: 0.0,
                residue: 0.0,
                atom: 1.0,
            },
            Self::Multiscale(schedule) => schedule.weights_at(sigma),
        }
    }
}

/// The named weight presets of the UI and CLI, (w_c, w_r, w_a); from note 004 and its follow-ups.
pub const WEIGHT_PRESETS: [(&str, [f64; 3]); 6] = [
    ("seed-old", [8.2, 1.6, 1.3]),
    ("rebalanced", [1.0, 4.0, 4.0]),
    ("3-8-1", [3.0, 8.0, 1.0]),
    ("2-6-2", [2.0, 6.0, 2.0]),
    ("equal", [1.0, 1.0, 1.0]),
    ("a3-r2-c1", [1.0, 2.0, 3.0]),
];

/// A noise model with the name it is shown under.
#[derive(Debug, Clone)]
pub struct NamedNoise {
    /// `flat`, a preset name, or the weights as given (`1,4,4`).
    pub name: String,
    /// The model.
    pub model: NoiseModel,
}

/// Parses `flat`, a preset name, or `w_c,w_r,w_a`.
pub fn parse_noise(spec: &str) -> Result<NamedNoise, NoiseError> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("flat") {
        return Ok(NamedNoise {
            name: "flat".to_owned(),
            model: NoiseModel::Flat,
        });
    }
    if let Some((name, [c, r, a])) = WEIGHT_PRESETS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(spec))
    {
        return Ok(NamedNoise {
            name: (*name).to_owned(),
            model: NoiseModel::multiscale(LevelWeights::new(*c, *r, *a)?),
        });
    }
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    if parts.len() == 3 {
        let numbers: Result<Vec<f64>, _> = parts.iter().map(|p| p.parse::<f64>()).collect();
        if let Ok(n) = numbers {
            return Ok(NamedNoise {
                name: spec.to_owned(),
                model: NoiseModel::multiscale(LevelWeights::new(n[0], n[1], n[2])?),
            });
        }
    }
    Err(NoiseError::Unknown(spec.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stds_split_sigma_by_weight_share() {
        let w = LevelWeights::new(8.2, 1.6, 1.3).unwrap();
        let s = w.stds(2.0);
        // Shares sum to one in variance: s_c² + s_r² + s_a² = sigma².
        let total = s.chain.powi(2) + s.residue.powi(2) + s.atom.powi(2);
        assert!((total - 4.0).abs() < 1e-12);
        // Independent residue noise of the old weights: sqrt(1.6 / 11.1) = 0.38 sigma [note 002 §1].
        assert!((s.residue / 2.0 - (1.6f64 / 11.1).sqrt()).abs() < 1e-12);
        assert!((s.residue / 2.0 - 0.38).abs() < 0.005);
    }

    #[test]
    fn presets_and_numbers_parse_and_bad_weights_fail() {
        assert!(matches!(
            parse_noise("flat").unwrap().model,
            NoiseModel::Flat
        ));
        let r = parse_noise("rebalanced").unwrap();
        assert_eq!(
            r.model.weights_at(1.0),
            LevelWeights::new(1.0, 4.0, 4.0).unwrap()
        );
        let c = parse_noise("a3-r2-c1").unwrap();
        assert_eq!(
            c.model.weights_at(1.0),
            LevelWeights::new(1.0, 2.0, 3.0).unwrap()
        );
        assert_eq!(parse_noise("1,4,4").unwrap().name, "1,4,4");
        for bad in ["-1,1,1", "0,0,0", "NaN,1,1", "inf,1,1"] {
            assert!(
                matches!(parse_noise(bad), Err(NoiseError::InvalidWeights(_))),
                "{bad}"
            );
        }
        assert!(matches!(parse_noise("loud"), Err(NoiseError::Unknown(_))));
    }

    #[test]
    fn ramp_moves_share_with_sigma() {
        let low = LevelWeights::new(8.2, 1.6, 1.3).unwrap();
        let high = LevelWeights::new(1.0, 4.0, 4.0).unwrap();
        let ramp = LogSigmaRamp {
            low,
            high,
            sigma_low: 1.0,
            sigma_high: 100.0,
        };
        let share = |s: f64| {
            let w = ramp.weights_at(s);
            w.residue / w.sum()
        };
        assert!((share(0.5) - 1.6 / 11.1).abs() < 1e-12);
        assert!((share(1000.0) - 4.0 / 9.0).abs() < 1e-12);
        // Half-way in ln(sigma) is half-way between the normalised shares.
        assert!((share(10.0) - 0.5 * (1.6 / 11.1 + 4.0 / 9.0)).abs() < 1e-12);
        assert!(share(3.0) < share(30.0));
    }
}
