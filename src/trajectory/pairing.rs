//! The prediction file a tool writes beside its state file, and pairing its frames with the states'.
//! Tools name the pair by a fixed rule (RFdiffusion `_Xt-1_traj`/`_pX0_traj`, FrameDiff and MultiFlow
//! `bb_traj`/`x0_traj`, BoltzGen `_traj`/`_x0_traj`, RFdiffusion3 `noisy`/`denoised`) and do not always
//! write both in one order (MultiFlow flips only its predictions), so the predictions' order is found
//! from the states': the prediction nearest the run's clean end is its last.

use std::path::{Path, PathBuf};

use crate::geometry::superposed_rmsd;

/// (state file's name part, prediction file's name part), in the order they are tried.
const PAIRS: [(&str, &str); 4] = [
    ("_Xt-1_traj", "_pX0_traj"),
    ("bb_traj", "x0_traj"),
    ("noisy", "denoised"),
    ("_traj", "_x0_traj"),
];

/// The names a prediction file of the state file (or file family) `name` may have, one per naming
/// rule that applies, in `PAIRS` order.
pub(super) fn prediction_names(name: &str) -> impl Iterator<Item = String> + '_ {
    PAIRS.iter().filter_map(move |(states, predictions)| {
        let at = name.rfind(states)?;
        Some(format!(
            "{}{predictions}{}",
            &name[..at],
            &name[at + states.len()..]
        ))
    })
}

/// The prediction file beside `state` by its tool's naming, when it exists.
pub fn prediction_path(state: &Path) -> Option<PathBuf> {
    let name = state.file_name()?.to_str()?;
    prediction_names(name).find_map(|paired| {
        let path = state.with_file_name(paired);
        (path != state && path.is_file()).then_some(path)
    })
}

/// `predictions` in the states' order (noisiest first): reversed when their first model, not their
/// last, is the one nearest the run's clean end `clean`; true when they were.
pub fn order_predictions(
    mut predictions: Vec<Vec<[f32; 3]>>,
    clean: &[[f32; 3]],
) -> (Vec<Vec<[f32; 3]>>, bool) {
    let distance =
        |p: Option<&Vec<[f32; 3]>>| p.map_or(f64::INFINITY, |p| superposed_rmsd(p, clean));
    let reversed = distance(predictions.first()) < distance(predictions.last());
    if reversed {
        predictions.reverse();
    }
    (predictions, reversed)
}
