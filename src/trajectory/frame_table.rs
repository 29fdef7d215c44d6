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

/// One column of the flat (CSV) table: its name, its unit (empty for a count or a ratio) and its value
/// in a row (`None` where the frame has no such figure: no chain level, no previous frame, no
/// preconditioning). A new per-frame figure is one entry of [`COLUMNS`].
#[derive(Clone, Copy)]
pub struct Column {
    /// The header.
    pub name: &'static str,
    /// What the values are measured in.
    pub unit: &'static str,
    /// The value of a row.
    pub value: fn(&FrameRow<'_>) -> Option<f64>,
}

/// The flat table's columns, in their order.
pub const COLUMNS: [Column; 20] = [
    column("frame", "", |r| Some(r.metrics.index as f64)),
    column("sigma", "Å", |r| Some(r.metrics.sigma)),
    column("t_hat", "Å", |r| Some(r.t_hat)),
    column("gamma", "", |r| Some(r.gamma)),
    column("rmsd_3d_atom", "Å", |r| Some(r.metrics.levels.atom.rmsd)),
    column("rmsd_3d_residue", "Å", |r| {
        Some(r.metrics.levels.residue.rmsd)
    }),
    column("rmsd_3d_chain", "Å", |r| {
        r.metrics.levels.chain.map(|c| c.rmsd)
    }),
    column("motion_3d_atom", "Å", |r| r.metrics.levels.atom.motion),
    column("motion_3d_residue", "Å", |r| {
        r.metrics.levels.residue.motion
    }),
    column("motion_3d_chain", "Å", |r| {
        r.metrics.levels.chain.and_then(|c| c.motion)
    }),
    column("independent_residue_share", "", |r| {
        r.metrics.levels.residue.independent_share
    }),
    column("abnormal_bond_share", "", |r| {
        Some(r.metrics.abnormal_bonds.share)
    }),
    column("framediff_ca_ca_valid_share", "", |r| {
        r.metrics.abnormal_bonds.ca_ca_valid_share
    }),
    column("c_skip_global", "", |r| {
        r.precondition.map(|p| p.global.c_skip)
    }),
    column("c_skip_residue", "", |r| {
        r.precondition.map(|p| p.residue.c_skip)
    }),
    column("c_skip_chain", "", |r| {
        r.precondition.map(|p| p.chain.c_skip)
    }),
    column("motion_3d_residue_churn", "Å", |r| {
        r.metrics.motion_by_cause.map(|c| c.churn.residue)
    }),
    column("motion_3d_residue_denoiser", "Å", |r| {
        r.metrics.motion_by_cause.map(|c| c.denoiser.residue)
    }),
    column("residue_offset_kept", "", |r| r.metrics.residue_offset_kept),
    column("tm_score", "", |r| r.metrics.tm_score),
];

const fn column(
    name: &'static str,
    unit: &'static str,
    value: fn(&FrameRow<'_>) -> Option<f64>,
) -> Column {
    Column { name, unit, value }
}

impl FrameRow<'_> {
    /// The row's values under [`COLUMNS`].
    pub fn flat(&self) -> [Option<f64>; COLUMNS.len()] {
        COLUMNS.map(|c| (c.value)(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_have_one_name_each_and_lengths_carry_angstroms() {
        let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        for c in COLUMNS {
            let length = c.name.starts_with("rmsd_") || c.name.starts_with("motion_");
            assert_eq!(
                c.unit == "Å",
                length || c.name == "sigma" || c.name == "t_hat",
                "{}",
                c.name
            );
        }
    }
}
