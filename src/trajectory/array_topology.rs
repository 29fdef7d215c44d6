//! What an array file says about its own atoms. AlphaFold2-lineage code hands over fixed-slot arrays
//! (`atom_positions` [frames, residues, 37 or 14, 3] with `atom_mask`, `aatype`, `residue_index`,
//! `chain_index`: the `Protein` dataclass's names), sigmascope's NPZ names every atom, and a bare
//! [frames, residues, 3] array is read as one Cα per residue. Each is its own topology; a `--topology`
//! file still wins for the per-atom layouts.

use super::af2_layout::{SlotLayout, chain_id, residue_name};
use super::array_file::{
    ArrayTrajectory, ArrayValues, CoordinateFrames, NpyArray, read_npy, read_npz,
    trajectory_of_arrays,
};
use crate::structure::{AtomRecord, Structure};

/// How an array file lays out its atoms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArrayLayout {
    /// [frames, atoms, 3], atoms named by `atom_names`, `residue_index`, `chain_index` or by a topology.
    Atoms,
    /// AlphaFold2's atom37 slots.
    Atom37,
    /// AlphaFold2's atom14 slots.
    Atom14,
    /// [frames, residues, 3] named by nothing: one Cα per residue.
    AlphaCarbons,
}

/// An array file read with the topology it carries.
#[derive(Debug, Clone)]
pub struct ArrayRun {
    /// The layout found.
    pub layout: ArrayLayout,
    /// The topology the file carries (for `AlphaCarbons`, one Cα per residue); none for points that
    /// are named by nothing and do not sit 3.8 Å apart.
    pub topology: Option<Structure>,
    /// The frames in the file's atom order, with the per-atom naming arrays the file has.
    pub trajectory: ArrayTrajectory,
    /// Atom-frames an atom mask marks absent, held at the atom's nearest present position.
    pub held_atoms: usize,
    /// True when the topology's coordinates are a ground truth (a structure file carried in the NPZ,
    /// as the Python package's `record` writes it), not one of the frames.
    pub topology_is_reference: bool,
}

/// Reads an NPY or NPZ array file (`name` names the run).
pub fn read_array_run(name: &str, bytes: &[u8]) -> Result<ArrayRun, String> {
    let arrays = if bytes.starts_with(b"PK") {
        read_npz(bytes)?
    } else {
        vec![("x_t".to_owned(), read_npy(bytes)?)]
    };
    if let Some(run) = slot_run(name, &arrays) {
        return run;
    }
    let trajectory = trajectory_of_arrays(&arrays)?;
    if let Some(structure) = carried_structure(&arrays)? {
        return Ok(ArrayRun {
            layout: ArrayLayout::Atoms,
            topology: Some(structure),
            trajectory,
            held_atoms: 0,
            topology_is_reference: true,
        });
    }
    let (layout, topology) =
        atom_topology(name, &trajectory).map_or((ArrayLayout::Atoms, None), |(l, s)| (l, Some(s)));
    Ok(ArrayRun {
        layout,
        topology,
        trajectory,
        held_atoms: 0,
        topology_is_reference: false,
    })
}

/// The structure file an NPZ carries as `topology_file` (its bytes) and `topology_file_name`.
fn carried_structure(arrays: &[(String, NpyArray)]) -> Result<Option<Structure>, String> {
    let get = |key: &str| {
        arrays
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, a)| &a.values)
    };
    let (Some(ArrayValues::Int(bytes)), name) = (get("topology_file"), get("topology_file_name"))
    else {
        return Ok(None);
    };
    let name = match name {
        Some(ArrayValues::Text(n)) if !n.is_empty() => n[0].clone(),
        _ => "topology.pdb".to_owned(),
    };
    let bytes: Vec<u8> = bytes.iter().map(|&b| b as u8).collect();
    crate::structure::load_bytes(&name, &bytes, &crate::structure::LoadOptions::default())
        .map(Some)
        .map_err(|e| format!("its topology_file: {e}"))
}

/// Mean distance of consecutive points.
fn mean_step(points: &[[f32; 3]]) -> f64 {
    let d: f64 = points
        .windows(2)
        .map(|w| {
            (0..3)
                .map(|k| f64::from(w[0][k] - w[1][k]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .sum();
    d / points.len().saturating_sub(1).max(1) as f64
}

/// True when either end of the run has consecutive points a Cα–Cα bond apart (3.8 Å, or 0.38 nm).
fn alpha_carbon_spaced(frames: &CoordinateFrames) -> bool {
    [frames.first(), frames.last()]
        .into_iter()
        .flatten()
        .filter(|f| f.len() > 1)
        .map(|f| mean_step(f))
        .any(|d| (3.3..4.3).contains(&d) || (0.33..0.43).contains(&d))
}

/// The topology of a per-atom array: from its naming arrays, else one Cα per point when the points
/// are spaced like a Cα trace.
fn atom_topology(name: &str, t: &ArrayTrajectory) -> Option<(ArrayLayout, Structure)> {
    let first = t.x_t.first().map_or(&[][..], Vec::as_slice);
    let records: Vec<AtomRecord> = match (&t.atom_names, &t.residue_index, &t.chain_index) {
        (Some(names), Some(residues), Some(chains)) => (0..first.len())
            .map(|a| AtomRecord {
                chain: t
                    .chain_ids
                    .as_ref()
                    .map_or_else(|| chain_id(chains[a]), |ids| ids[a].clone()),
                residue_number: residues[a] as isize,
                residue_name: t
                    .residue_names
                    .as_ref()
                    .map_or_else(|| "UNK".to_owned(), |n| n[a].clone()),
                atom_name: names[a].clone(),
                position: first[a],
            })
            .collect(),
        _ if !alpha_carbon_spaced(&t.x_t) => return None,
        _ => {
            let records = first.iter().enumerate().map(|(r, &position)| AtomRecord {
                chain: "A".to_owned(),
                residue_number: r as isize + 1,
                residue_name: "UNK".to_owned(),
                atom_name: "CA".to_owned(),
                position,
            });
            return Some((
                ArrayLayout::AlphaCarbons,
                Structure::from_atom_records(name, &records.collect::<Vec<_>>()),
            ));
        }
    };
    Some((
        ArrayLayout::Atoms,
        Structure::from_atom_records(name, &records),
    ))
}

/// The values of `key` as numbers, if it is there.
fn numbers<'a>(arrays: &'a [(String, NpyArray)], key: &str) -> Option<(&'a [usize], Vec<f64>)> {
    let (_, a) = arrays.iter().find(|(n, _)| n == key)?;
    let values = match &a.values {
        ArrayValues::Float(v) => v.clone(),
        ArrayValues::Int(v) => v.iter().map(|&i| i as f64).collect(),
        ArrayValues::Text(_) => return None,
    };
    Some((&a.shape, values))
}

/// Per-residue integers of `key` ([residues]), when present with that shape.
fn per_residue(
    arrays: &[(String, NpyArray)],
    key: &str,
    residues: usize,
) -> Result<Option<Vec<i64>>, String> {
    match numbers(arrays, key) {
        None => Ok(None),
        Some((shape, v)) if shape == [residues] => Ok(Some(v.iter().map(|&x| x as i64).collect())),
        Some((shape, _)) => Err(format!("{key} has shape {shape:?}; expected [{residues}]")),
    }
}

/// Fixed-slot coordinates: (frames, residues, slots, values), a single structure as one frame.
fn slot_coordinates(
    arrays: &[(String, NpyArray)],
    key: &str,
) -> Option<(usize, usize, SlotLayout, Vec<f64>)> {
    let (shape, values) = numbers(arrays, key)?;
    let (frames, residues, slots) = match *shape {
        [t, r, s, 3] => (t, r, s),
        [r, s, 3] => (1, r, s),
        _ => return None,
    };
    Some((frames, residues, SlotLayout::of_slots(slots)?, values))
}

/// The run of a fixed-slot array file, if it is one.
fn slot_run(name: &str, arrays: &[(String, NpyArray)]) -> Option<Result<ArrayRun, String>> {
    let key = ["atom_positions", "x_t"]
        .into_iter()
        .find(|k| slot_coordinates(arrays, k).is_some())?;
    let (frames, residues, layout, states) = slot_coordinates(arrays, key)?;
    Some(slot_run_of(name, arrays, frames, residues, layout, &states))
}

fn slot_run_of(
    name: &str,
    arrays: &[(String, NpyArray)],
    frames: usize,
    residues: usize,
    layout: SlotLayout,
    states: &[f64],
) -> Result<ArrayRun, String> {
    let slots = layout.slots();
    let aatype = per_residue(arrays, "aatype", residues)?;
    if layout == SlotLayout::Atom14 && aatype.is_none() {
        return Err("atom14 arrays need aatype to name their slots".to_owned());
    }
    let mask = frame_masks(
        arrays,
        frames,
        residues,
        slots,
        layout,
        aatype.as_deref(),
        states,
    )?;
    let present: Vec<bool> = (0..residues * slots)
        .map(|i| mask.iter().any(|m| m[i]))
        .collect();
    let residue_index = per_residue(arrays, "residue_index", residues)?;
    let chain_index = per_residue(arrays, "chain_index", residues)?;
    let kept: Vec<(usize, usize, &'static str)> = (0..residues)
        .flat_map(|r| (0..slots).map(move |s| (r, s)))
        .filter(|&(r, s)| present[r * slots + s])
        .filter_map(|(r, s)| {
            let aa = aatype.as_ref().map_or(20, |a| a[r].clamp(0, 20) as usize);
            Some((r, s, layout.atom_name(aa, s)?))
        })
        .collect();
    if kept.is_empty() {
        return Err("the atom mask marks no atom present".to_owned());
    }
    let gather = |values: &[f64], f: usize| -> Vec<[f32; 3]> {
        kept.iter()
            .map(|&(r, s, _)| {
                let at = ((f * residues + r) * slots + s) * 3;
                [
                    values[at] as f32,
                    values[at + 1] as f32,
                    values[at + 2] as f32,
                ]
            })
            .collect()
    };
    let mut x_t: CoordinateFrames = (0..frames).map(|f| gather(states, f)).collect();
    let held_atoms = hold_absent(&mut x_t, &mask, &kept, slots);
    let x0_hat = match slot_coordinates(arrays, "x0_hat") {
        Some((t, r, l, v)) if (t, r, l) == (frames, residues, layout) => {
            Some((0..frames).map(|f| gather(&v, f)).collect())
        }
        Some(_) => return Err("x0_hat does not have the shape of the states".to_owned()),
        None => None,
    };
    let records: Vec<AtomRecord> = kept
        .iter()
        .zip(&x_t[0])
        .map(|(&(r, _, atom), &position)| AtomRecord {
            chain: chain_index
                .as_ref()
                .map_or_else(|| "A".to_owned(), |c| chain_id(c[r])),
            residue_number: residue_index
                .as_ref()
                .map_or(r as isize + 1, |i| i[r] as isize),
            residue_name: residue_name(aatype.as_ref().map_or(20, |a| a[r])).to_owned(),
            atom_name: atom.to_owned(),
            position,
        })
        .collect();
    let sigma = match numbers(arrays, "sigma") {
        Some((shape, v)) if shape == [frames] => Some(v),
        Some((shape, _)) => return Err(format!("sigma has shape {shape:?}; expected [{frames}]")),
        None => None,
    };
    Ok(ArrayRun {
        layout: match layout {
            SlotLayout::Atom37 => ArrayLayout::Atom37,
            SlotLayout::Atom14 => ArrayLayout::Atom14,
        },
        topology: Some(Structure::from_atom_records(name, &records)),
        trajectory: ArrayTrajectory {
            x_t,
            x0_hat,
            sigma,
            ..ArrayTrajectory::default()
        },
        held_atoms,
        topology_is_reference: false,
    })
}

/// Which slots hold an atom in each frame: `atom_mask` ([residues, slots] for every frame, or
/// [frames, residues, slots]); without one, the residue type's atoms, else the slots with coordinates.
fn frame_masks(
    arrays: &[(String, NpyArray)],
    frames: usize,
    residues: usize,
    slots: usize,
    layout: SlotLayout,
    aatype: Option<&[i64]>,
    states: &[f64],
) -> Result<Vec<Vec<bool>>, String> {
    let per_frame = residues * slots;
    match numbers(arrays, "atom_mask") {
        Some((shape, v)) if shape == [residues, slots] => {
            Ok(vec![v.iter().map(|&m| m > 0.5).collect(); frames])
        }
        Some((shape, v)) if shape == [frames, residues, slots] => Ok(v
            .chunks_exact(per_frame)
            .map(|m| m.iter().map(|&x| x > 0.5).collect())
            .collect()),
        Some((shape, _)) => Err(format!(
            "atom_mask has shape {shape:?}; expected [{residues}, {slots}] or [{frames}, {residues}, {slots}]"
        )),
        None => Ok((0..frames)
            .map(|f| {
                (0..per_frame)
                    .map(|i| match aatype {
                        Some(a) => has_atom(layout, a[i / slots], i % slots),
                        None => states[(f * per_frame + i) * 3..][..3]
                            .iter()
                            .any(|&x| x != 0.0),
                    })
                    .collect()
            })
            .collect()),
    }
}

/// Whether a residue of `aatype` has an atom in `slot` (its atom14 names, in either layout).
fn has_atom(layout: SlotLayout, aatype: i64, slot: usize) -> bool {
    let aa = aatype.clamp(0, 20) as usize;
    match layout {
        SlotLayout::Atom14 => layout.atom_name(aa, slot).is_some(),
        SlotLayout::Atom37 => SlotLayout::Atom37
            .atom_name(aa, slot)
            .is_some_and(|name| (0..14).any(|s| SlotLayout::Atom14.atom_name(aa, s) == Some(name))),
    }
}

/// Gives each atom absent from a frame its position in the nearest earlier frame that has it, else the
/// nearest later one (a per-frame mask never drops the atom); the number of atom-frames so held.
fn hold_absent(
    x_t: &mut CoordinateFrames,
    mask: &[Vec<bool>],
    kept: &[(usize, usize, &str)],
    slots: usize,
) -> usize {
    let mut held = 0;
    for (atom, &(r, s, _)) in kept.iter().enumerate() {
        let here = |f: usize| mask[f][r * slots + s];
        let Some(first) = (0..x_t.len()).find(|&f| here(f)) else {
            continue;
        };
        let mut last = x_t[first][atom];
        for (f, frame) in x_t.iter_mut().enumerate() {
            if here(f) {
                last = frame[atom];
            } else {
                frame[atom] = last;
                held += 1;
            }
        }
    }
    held
}
