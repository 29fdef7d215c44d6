//! The per-frame table of a run: each frame's metrics next to what the sampler recorded for it. Built
//! once here; `sample --json`, `analyze --json`, the text tables and the window's CSV render it.

use super::metrics::FrameMetrics;
use crate::geometry::RigidTransform;
use crate::sampler::{Augmentation, Frame, LevelPreconditioning};

/// One frame's row.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct FrameRow<'a> {
    /// Metrics (index, sigma, rmsd, levels, …).
    #[serde(flatten)]
    pub metrics: &'a FrameMetrics,
    /// Level after churn (Å).
    pub t_hat: f64,
    /// Churn factor.
    pub gamma: f64,
    /// Std of the churn noise (Å).
    pub churn_std: f64,
    /// Preconditioning at t_hat.
    pub precondition: &'a Option<LevelPreconditioning>,
    /// Augmentation applied.
    pub augmentation: &'a Option<Augmentation>,
    /// Alignment onto x̂0 applied.
    pub alignment: &'a Option<RigidTransform>,
    /// Ensemble posterior weights.
    pub ensemble_weights: &'a Option<Vec<f64>>,
}

/// Pairs frames with their metrics (as many rows as the shorter of the two).
pub fn frame_rows<'a>(frames: &'a [Frame], metrics: &'a [FrameMetrics]) -> Vec<FrameRow<'a>> {
    frames
        .iter()
        .zip(metrics)
        .map(|(f, m)| FrameRow {
            metrics: m,
            t_hat: f.t_hat,
            gamma: f.gamma,
            churn_std: f.churn_std,
            precondition: &f.precondition,
            augmentation: &f.augmentation,
            alignment: &f.alignment,
            ensemble_weights: &f.ensemble_weights,
        })
        .collect()
}

/// The columns of the flat (CSV) table, with [`FrameRow::flat`]'s values in the same order.
pub const FLAT_COLUMNS: [&str; 19] = [
    "frame",
    "sigma",
    "t_hat",
    "gamma",
    "rmsd_3d_atom",
    "rmsd_3d_residue",
    "rmsd_3d_chain",
    "motion_3d_atom",
    "motion_3d_residue",
    "motion_3d_chain",
    "independent_residue_share",
    "abnormal_bond_share",
    "c_skip_global",
    "c_skip_residue",
    "c_skip_chain",
    "motion_3d_residue_churn",
    "motion_3d_residue_denoiser",
    "residue_offset_kept",
    "tm_score",
];

impl FrameRow<'_> {
    /// The row's values under [`FLAT_COLUMNS`]; `None` where the frame has no such figure (no chain
    /// level, no previous frame, no preconditioning).
    pub fn flat(&self) -> [Option<f64>; 19] {
        let m = self.metrics;
        let p = self.precondition;
        [
            Some(m.index as f64),
            Some(m.sigma),
            Some(self.t_hat),
            Some(self.gamma),
            Some(m.levels.atom.rmsd),
            Some(m.levels.residue.rmsd),
            m.levels.chain.map(|c| c.rmsd),
            m.levels.atom.motion,
            m.levels.residue.motion,
            m.levels.chain.and_then(|c| c.motion),
            m.levels.residue.independent_share,
            Some(m.abnormal_bonds.share),
            p.map(|p| p.global.c_skip),
            p.map(|p| p.residue.c_skip),
            p.map(|p| p.chain.c_skip),
            m.motion_by_cause.map(|c| c.churn.residue),
            m.motion_by_cause.map(|c| c.denoiser.residue),
            m.residue_offset_kept,
            m.tm_score,
        ]
    }
}
