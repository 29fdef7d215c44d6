//! Which end of a multi-model file is clean. Tools write their sampling trajectories in either order:
//! RFdiffusion, FrameDiff and RFdiffusion3 flip their stacks so the final structure comes first,
//! Chroma and BoltzGen write the noise first, and sigmascope's own exports put the ground truth first
//! and then the frames noise first. The clean end is found by backbone geometry: consecutive Cα atoms
//! of a folded chain sit 3.80 Å apart, noisy frames far from it.

use super::metrics::{FRAMEDIFF_CA_CA, alpha_carbons, distance};
use crate::structure::Structure;

crate::choice::choices! {
    /// How a multi-model file's models are taken as frames (`analyze --order`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum FrameOrder {
        /// Found from the models' backbone geometry.
        Auto = "auto",
        /// The first model is the reference, the others frames in file order.
        AsWritten = "as-written",
        /// The models are frames noise first; the last is the clean end and the reference.
        NoiseFirst = "noise-first",
        /// The models are frames clean first (flipped stacks); they are reversed, and the first as
        /// written is the clean end and the reference.
        CleanFirst = "clean-first",
    }
}

/// What was decided about a file's order, and why (the JSON's `source`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrderFound {
    /// The order the models were taken in (never `auto`).
    pub order: FrameOrder,
    /// True when the frames run in the opposite order to the file's.
    pub reversed: bool,
    /// Which model is the reference.
    pub reference: String,
    /// Why.
    pub reason: String,
    /// The prediction file paired with the states, frame by frame, if any.
    pub paired_with: Option<String>,
    /// True when the predictions were reversed to run in the states' order.
    pub predictions_reversed: bool,
}

/// A model whose mean |d(Cα, Cα) − 3.80 Å| stays below this is clean.
const CLEAN_SPACING: f64 = 0.5;

/// The distances of consecutive Cα atoms within each chain.
pub(super) fn consecutive_ca_distances(structure: &Structure, positions: &[[f32; 3]]) -> Vec<f64> {
    let chain_of = |a: usize| structure.residue_chain[structure.atom_residue[a] as usize];
    alpha_carbons(structure)
        .windows(2)
        .filter(|pair| chain_of(pair[0]) == chain_of(pair[1]))
        .map(|pair| distance(positions[pair[0]], positions[pair[1]]))
        .collect()
}

/// Mean |d − 3.80 Å| over consecutive Cα atoms of each chain; none without two Cα in a chain.
pub fn ca_spacing_error(structure: &Structure, positions: &[[f32; 3]]) -> Option<f64> {
    let distances = consecutive_ca_distances(structure, positions);
    (!distances.is_empty()).then(|| {
        distances
            .iter()
            .map(|d| (d - FRAMEDIFF_CA_CA).abs())
            .sum::<f64>()
            / distances.len() as f64
    })
}

/// True when a structure's models are a sampling run rather than an ensemble: at least 3 models and
/// some of them far from a folded backbone (an NMR ensemble's models are all clean).
pub fn looks_like_run(structure: &Structure) -> bool {
    structure.model_positions.len() >= 3
        && structure
            .model_positions
            .iter()
            .filter_map(|m| ca_spacing_error(structure, m))
            .any(|e| e >= CLEAN_SPACING)
}

/// The order of `models` (each with `structure`'s atoms) as `asked`, found from their backbone
/// geometry for `auto`.
pub fn find_order(
    structure: &Structure,
    models: &[Vec<[f32; 3]>],
    asked: FrameOrder,
) -> OrderFound {
    let last = models.len().saturating_sub(1);
    let found = |order: FrameOrder, reason: String| {
        let reference = match order {
            FrameOrder::NoiseFirst => {
                format!("the last model (model {}), the run's clean end", last + 1)
            }
            FrameOrder::CleanFirst => "the first model as written, the run's clean end".to_owned(),
            _ => "the first model".to_owned(),
        };
        OrderFound {
            order,
            reversed: order == FrameOrder::CleanFirst,
            reference,
            reason,
            paired_with: None,
            predictions_reversed: false,
        }
    };
    if asked != FrameOrder::Auto {
        return found(asked, "as asked (--order)".to_owned());
    }
    let error = |k: usize| models.get(k).and_then(|m| ca_spacing_error(structure, m));
    let (Some(first), Some(second), Some(end)) = (error(0), error(1.min(last)), error(last)) else {
        return found(
            FrameOrder::AsWritten,
            "no Cα backbone to judge by: the first model is the reference".to_owned(),
        );
    };
    let clean = |e: f64| e < CLEAN_SPACING;
    let figures = format!(
        "mean |Cα–Cα − 3.80 Å|: {first:.2} Å in model 1, {second:.2} in model 2, {end:.2} in model {}",
        last + 1
    );
    if models.len() < 3 || (clean(first) && clean(end)) || !(clean(first) || clean(end)) {
        return found(
            FrameOrder::AsWritten,
            format!("{figures}: no end stands out"),
        );
    }
    if clean(first) && !clean(second) {
        return found(
            FrameOrder::AsWritten,
            format!("{figures}: a clean reference, then frames noise first (sigmascope's layout)"),
        );
    }
    if clean(first) {
        return found(
            FrameOrder::CleanFirst,
            format!(
                "{figures}: the file starts at the clean end (a flipped stack), so frames are reversed"
            ),
        );
    }
    found(
        FrameOrder::NoiseFirst,
        format!("{figures}: the file starts with noise and ends clean"),
    )
}
