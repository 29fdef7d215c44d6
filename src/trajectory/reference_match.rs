//! The ground truth of a run whose file names its atoms differently: each run atom is found in the
//! reference by chain, residue number and atom name, or, when the tool renumbered the residues
//! (RFdiffusion numbers i + 1 across chains) or wrote a poly-ALA / poly-GLY backbone (FrameDiff,
//! RFdiffusion), by residue position and atom name. Whichever matches more atoms is used; atoms the
//! reference lacks keep the run's clean end, superposed onto the matched atoms first.

use std::collections::HashMap;

use crate::geometry::kabsch;
use crate::structure::Structure;

/// The reference positions for a run's atoms, and how they were found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceMatch {
    /// One position per run atom.
    pub positions: Vec<[f32; 3]>,
    /// Run atoms found in the reference.
    pub matched: usize,
    /// How they were matched.
    pub by: &'static str,
}

/// Reference atom of each run atom by (chain id, residue number, atom name).
fn by_names(run: &Structure, reference: &Structure) -> Vec<Option<usize>> {
    fn key(s: &Structure, a: usize) -> (&str, isize, Option<&str>, &str) {
        let r = &s.residues[s.atom_residue[a] as usize];
        (
            s.chains[r.chain as usize].id.as_str(),
            r.number,
            r.insertion_code.as_deref(),
            s.atom_names[a].as_str(),
        )
    }
    let index: HashMap<_, usize> = (0..reference.atom_count())
        .map(|a| (key(reference, a), a))
        .collect();
    (0..run.atom_count())
        .map(|a| index.get(&key(run, a)).copied())
        .collect()
}

/// Reference atom of each run atom by (residue position, atom name); none when the residue counts differ.
fn by_position(run: &Structure, reference: &Structure) -> Vec<Option<usize>> {
    if run.residue_count() != reference.residue_count() {
        return vec![None; run.atom_count()];
    }
    (0..run.atom_count())
        .map(|a| {
            let residue = &reference.residues[run.atom_residue[a] as usize];
            residue
                .atoms
                .clone()
                .map(|b| b as usize)
                .find(|&b| reference.atom_names[b] == run.atom_names[a])
        })
        .collect()
}

/// The reference for `run`'s atoms from `reference`; `clean_end` fills the atoms it lacks.
pub fn match_reference(
    run: &Structure,
    clean_end: &[[f32; 3]],
    reference: &Structure,
) -> Result<ReferenceMatch, String> {
    let names = by_names(run, reference);
    let positions = by_position(run, reference);
    let count = |m: &[Option<usize>]| m.iter().flatten().count();
    let (map, by) = if count(&positions) > count(&names) {
        (
            positions,
            "residue position and atom name (the run renumbers or renames residues)",
        )
    } else {
        (names, "chain, residue number and atom name")
    };
    let matched = count(&map);
    if matched == 0 {
        return Err(
            "no atom matches the run by chain, residue number and name, or by residue position and name"
                .to_owned(),
        );
    }
    let pairs: Vec<(usize, usize)> = map
        .iter()
        .enumerate()
        .filter_map(|(a, b)| Some((a, (*b)?)))
        .collect();
    let mobile: Vec<[f32; 3]> = pairs.iter().map(|&(a, _)| clean_end[a]).collect();
    let target: Vec<[f32; 3]> = pairs.iter().map(|&(_, b)| reference.positions[b]).collect();
    let onto_reference = kabsch(&mobile, &target);
    let positions = map
        .iter()
        .enumerate()
        .map(|(a, b)| {
            b.map_or_else(
                || onto_reference.apply(clean_end[a]),
                |b| reference.positions[b],
            )
        })
        .collect();
    Ok(ReferenceMatch {
        positions,
        matched,
        by,
    })
}
