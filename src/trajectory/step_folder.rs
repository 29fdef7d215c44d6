//! A folder of per-step files (DiffDock-PP's `ligand-0.pdb … ligand-40.pdb`, FoldingDiff's frames, a
//! user's own `step_000.pdb …`): the structure files of the largest family of names that differ only in
//! their number, ordered by that number. A family the tool's pairing names as predictions
//! (`denoised_3.pdb` beside `noisy_3.pdb`) is returned beside the states.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::pairing::prediction_names;

/// The structure-file extensions a folder's steps may have.
const STEP_EXTENSIONS: [&str; 8] = [
    ".pdb",
    ".ent",
    ".cif",
    ".mmcif",
    ".pdb.gz",
    ".ent.gz",
    ".cif.gz",
    ".mmcif.gz",
];

/// The states of a folder, and their predictions when the folder holds both.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFiles {
    /// The state files, by step number.
    pub states: Vec<PathBuf>,
    /// The prediction files, by step number, when a family pairs with the states'.
    pub predictions: Option<Vec<PathBuf>>,
    /// The states' name pattern (`step_#.pdb`).
    pub pattern: String,
}

/// A name's family (`#` for its last number) and that number.
fn family_of(name: &str) -> Option<(String, u64)> {
    let lower = name.to_ascii_lowercase();
    STEP_EXTENSIONS.iter().find(|e| lower.ends_with(*e))?;
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let number = name[start..end].parse().ok()?;
    Some((format!("{}#{}", &name[..start], &name[end..]), number))
}

/// The step files of `dir`, or why there are none.
pub fn step_files(dir: &Path) -> Result<StepFiles, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list the folder: {e}"))?;
    let mut families: BTreeMap<String, Vec<(u64, PathBuf)>> = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some((family, number)) = family_of(name).filter(|_| path.is_file()) {
            families.entry(family).or_default().push((number, path));
        }
    }
    let by_number = |mut files: Vec<(u64, PathBuf)>| {
        files.sort();
        files.into_iter().map(|(_, p)| p).collect::<Vec<_>>()
    };
    let prediction_family =
        |states: &str| prediction_names(states).find(|paired| families.contains_key(paired));
    let is_predictions = |family: &str| {
        families
            .keys()
            .any(|other| other != family && prediction_family(other).as_deref() == Some(family))
    };
    let (pattern, _) = families
        .iter()
        .filter(|(family, _)| !is_predictions(family))
        .max_by_key(|(family, files)| (files.len(), std::cmp::Reverse((*family).clone())))
        .ok_or("no structure files numbered by step (e.g. step_0.pdb, step_1.pdb, …)")?;
    let pattern = pattern.clone();
    let predictions = prediction_family(&pattern).and_then(|p| families.remove(&p));
    let states = families.remove(&pattern).unwrap_or_default();
    if states.len() < 2 {
        return Err(format!("only one file named like {pattern}"));
    }
    Ok(StepFiles {
        states: by_number(states),
        predictions: predictions.map(by_number),
        pattern,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_take_the_last_number() {
        assert_eq!(
            family_of("ligand-12.pdb"),
            Some(("ligand-#.pdb".into(), 12))
        );
        assert_eq!(
            family_of("run2_step_007.cif.gz"),
            Some(("run2_step_#.cif.gz".into(), 7))
        );
        assert_eq!(family_of("notes.txt"), None);
        assert_eq!(family_of("model.pdb"), None);
    }

    #[test]
    fn steps_sort_by_number_and_predictions_pair() {
        let dir = std::env::temp_dir().join(format!("sigmascope-steps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for k in [0, 1, 2, 10] {
            std::fs::write(dir.join(format!("noisy_{k}.pdb")), "").unwrap();
            std::fs::write(dir.join(format!("denoised_{k}.pdb")), "").unwrap();
        }
        std::fs::write(dir.join("design.pdb"), "").unwrap();
        let files = step_files(&dir).unwrap();
        let names: Vec<String> = files
            .states
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["noisy_0.pdb", "noisy_1.pdb", "noisy_2.pdb", "noisy_10.pdb"]
        );
        assert_eq!(files.predictions.as_ref().map(Vec::len), Some(4));
        assert_eq!(files.pattern, "noisy_#.pdb");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
