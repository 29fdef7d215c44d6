//! Multi-MODEL PDB export: ground truth first as `MODEL 0` (note 004's `save_pdb` convention), then one
//! model per frame, the frame's label in a REMARK, an optional per-atom scalar in the B-factor column.
//! Residue-level export writes one pseudo-atom per residue centroid and per chain centroid.

use std::fmt::Write as _;
use std::path::Path;

use super::atomic_write::{WriteError, write_atomic};
use super::hierarchy::Structure;

/// One coordinate frame over a structure's atoms.
#[derive(Debug, Clone, Copy)]
pub struct ExportFrame<'a> {
    /// Shown in the model's REMARK line (for example `sigma=4.82`).
    pub label: &'a str,
    /// One position per atom of the structure, in Å.
    pub positions: &'a [[f32; 3]],
    /// Optional per-atom scalar written in the B-factor column (displacement, say).
    pub b_factors: Option<&'a [f32]>,
}

/// Options of the PDB writers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Number models from 1 (ground truth `MODEL 1`) instead of 0.
    pub number_from_one: bool,
    /// Allow the target to be the structure's own input file.
    pub overwrite_input: bool,
}

/// One line of an ATOM/HETATM record, in the standard fixed columns.
struct AtomLine<'a> {
    hetero: bool,
    serial: usize,
    atom_name: &'a str,
    element: &'a str,
    residue_name: &'a str,
    chain_id: &'a str,
    residue_number: isize,
    insertion_code: &'a str,
    position: [f32; 3],
    b_factor: f32,
}

impl AtomLine<'_> {
    fn write(&self, out: &mut String) {
        // Names shorter than 4 characters with a one-letter element start in column 14 (" CA ").
        let name = if self.atom_name.len() < 4 && self.element.len() < 2 {
            format!(" {:<3}", self.atom_name)
        } else {
            format!("{:<4.4}", self.atom_name)
        };
        let [x, y, z] = self.position.map(coordinate_field);
        writeln!(
            out,
            // Columns: record 1-6, serial 7-11, name 13-16, altloc 17 (blank), residue 18-20, chain 22,
            // number 23-26, insertion 27, x y z 31-54, occupancy 55-60, B 61-66, element 77-78.
            "{:<6}{:>5} {} {:>3.3} {:1.1}{:>4}{:1.1}   {}{}{}{:>6.2}{:>6.2}          {:>2.2}",
            if self.hetero { "HETATM" } else { "ATOM" },
            self.serial % 100_000,
            name,
            self.residue_name,
            self.chain_id,
            residue_number_field(self.residue_number),
            self.insertion_code,
            x,
            y,
            z,
            1.0,
            self.b_factor.clamp(-99.99, 999.99),
            self.element,
        )
        .ok();
    }
}

/// A residue number that fits the 4-column field (-999..=9999); larger ones wrap as other writers do.
fn residue_number_field(number: isize) -> isize {
    if (-999..=9999).contains(&number) {
        number
    } else {
        number.rem_euclid(10_000)
    }
}

/// A coordinate in its 8-column field: `%8.3f`, with fewer decimals for far-out noised positions
/// (|x| ≥ 1000 Å at large sigma) so the columns stay aligned; readers parse the field as a float.
/// Always eight columns (the clamp is exact in f64, where 99 999 999 is representable).
pub(super) fn coordinate_field(v: impl Into<f64>) -> String {
    let v: f64 = v.into();
    for decimals in [3, 2, 1, 0] {
        let text = format!("{v:>8.decimals$}");
        if text.len() <= 8 {
            return text;
        }
    }
    format!("{:>8.0}", v.clamp(-9_999_999.0, 99_999_999.0))
}

pub(super) fn check_frame(
    path: &Path,
    frame: &ExportFrame<'_>,
    atoms: usize,
) -> Result<(), WriteError> {
    let invalid = |reason: String| WriteError::InvalidData {
        path: path.to_path_buf(),
        reason,
    };
    if frame.positions.len() != atoms {
        return Err(invalid(format!(
            "frame '{}' has {} positions for {} atoms",
            frame.label,
            frame.positions.len(),
            atoms
        )));
    }
    if frame.positions.iter().flatten().any(|v| !v.is_finite()) {
        return Err(invalid(format!(
            "frame '{}' has NaN or infinite coordinates",
            frame.label
        )));
    }
    if frame.b_factors.is_some_and(|b| b.len() != atoms) {
        return Err(invalid(format!(
            "frame '{}' has a per-atom scalar of the wrong length",
            frame.label
        )));
    }
    Ok(())
}

fn header(out: &mut String, structure: &Structure, what: &str) {
    writeln!(
        out,
        "REMARK   1 SIGMASCOPE {what} OF {}",
        structure.name.to_uppercase()
    )
    .ok();
    writeln!(
        out,
        "REMARK   1 MODEL 0 IS THE GROUND TRUTH; LATER MODELS ARE FRAMES"
    )
    .ok();
}

fn model_start(out: &mut String, number: usize, label: &str) {
    writeln!(out, "MODEL     {number:>4}").ok();
    writeln!(out, "REMARK 250 {}", label.replace('\n', " ")).ok();
}

/// The text of a multi-MODEL atom-level PDB: ground truth, then `frames`.
pub fn trajectory_pdb_text(
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
) -> String {
    let mut out = String::with_capacity((frames.len() + 1) * structure.atom_count() * 82);
    header(&mut out, structure, "TRAJECTORY");
    let ground_truth = ExportFrame {
        label: "ground truth",
        positions: &structure.positions,
        b_factors: Some(&structure.b_factors),
    };
    let first = usize::from(options.number_from_one);
    for (k, frame) in std::iter::once(&ground_truth).chain(frames).enumerate() {
        model_start(&mut out, first + k, frame.label);
        let mut serial = 0;
        for chain in &structure.chains {
            let chain_id = chain.id.as_str();
            for residue in
                &structure.residues[chain.residues.start as usize..chain.residues.end as usize]
            {
                for atom in residue.atoms.start as usize..residue.atoms.end as usize {
                    serial += 1;
                    AtomLine {
                        hetero: structure.hetero[atom],
                        serial,
                        atom_name: &structure.atom_names[atom],
                        element: structure.elements[atom].symbol(),
                        residue_name: &residue.name,
                        chain_id,
                        residue_number: residue.number,
                        insertion_code: residue.insertion_code.as_deref().unwrap_or(""),
                        position: frame.positions[atom],
                        b_factor: frame.b_factors.map_or(0.0, |b| b[atom]),
                    }
                    .write(&mut out);
                }
            }
            if let Some(last) = structure
                .residues
                .get((chain.residues.end as usize).wrapping_sub(1))
            {
                serial += 1;
                writeln!(
                    out,
                    "TER   {:>5}      {:>3.3} {:1.1}{:>4}{:1.1}",
                    serial % 100_000,
                    last.name,
                    chain_id,
                    residue_number_field(last.number),
                    last.insertion_code.as_deref().unwrap_or("")
                )
                .ok();
            }
        }
        writeln!(out, "ENDMDL").ok();
    }
    writeln!(out, "END").ok();
    out
}

/// Chain id for the chain-centroid pseudo-chain: the first letter not used by the structure.
fn centroid_chain_id(structure: &Structure) -> String {
    ('A'..='Z')
        .chain('a'..='z')
        .chain('0'..='9')
        .map(String::from)
        .rev()
        .find(|c| !structure.chains.iter().any(|ch| &ch.id == c))
        .unwrap_or_else(|| "~".to_owned())
}

/// The text of a residue-level multi-MODEL PDB: per model one `CEN` pseudo-atom per residue centroid
/// (in its own chain), then one `CHC` pseudo-atom per chain centroid in an extra chain.
pub fn residue_level_pdb_text(
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
) -> String {
    let mut out = String::new();
    header(&mut out, structure, "RESIDUE-LEVEL TRAJECTORY");
    let centroid_chain = centroid_chain_id(structure);
    writeln!(
        out,
        "REMARK   1 CEN = RESIDUE CENTROID; CHAIN {centroid_chain} HOLDS CHAIN CENTROIDS (CHC, ONE PER CHAIN IN ORDER)"
    )
    .ok();
    let ground_truth = ExportFrame {
        label: "ground truth",
        positions: &structure.positions,
        b_factors: None,
    };
    let first = usize::from(options.number_from_one);
    for (k, frame) in std::iter::once(&ground_truth).chain(frames).enumerate() {
        model_start(&mut out, first + k, frame.label);
        let residue_centroids = structure.residue_centroids(frame.positions);
        let chain_centroids = structure.chain_centroids(&residue_centroids);
        let mut serial = 0;
        for (r, residue) in structure.residues.iter().enumerate() {
            serial += 1;
            AtomLine {
                hetero: false,
                serial,
                atom_name: "CEN",
                element: "C",
                residue_name: &residue.name,
                chain_id: &structure.chains[residue.chain as usize].id,
                residue_number: residue.number,
                insertion_code: residue.insertion_code.as_deref().unwrap_or(""),
                position: residue_centroids[r],
                b_factor: 0.0,
            }
            .write(&mut out);
        }
        for (c, centroid) in chain_centroids.iter().enumerate() {
            serial += 1;
            AtomLine {
                hetero: false,
                serial,
                atom_name: "CHC",
                element: "C",
                residue_name: "CHN",
                chain_id: &centroid_chain,
                residue_number: c as isize + 1,
                insertion_code: "",
                position: *centroid,
                b_factor: 0.0,
            }
            .write(&mut out);
        }
        writeln!(out, "ENDMDL").ok();
    }
    writeln!(out, "END").ok();
    out
}

pub(super) fn protected_inputs(structure: &Structure, options: ExportOptions) -> Vec<&Path> {
    match (&structure.source_path, options.overwrite_input) {
        (Some(p), false) => vec![p.as_path()],
        _ => Vec::new(),
    }
}

/// Checks every frame, renders the text and writes it atomically (the input file protected).
fn write_checked(
    path: &Path,
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
    text: fn(&Structure, &[ExportFrame<'_>], ExportOptions) -> String,
) -> Result<(), WriteError> {
    for frame in frames {
        check_frame(path, frame, structure.atom_count())?;
    }
    let text = text(structure, frames, options);
    write_atomic(path, text.as_bytes(), &protected_inputs(structure, options))
}

/// Writes the atom-level multi-MODEL PDB (ground truth + frames) atomically.
pub fn write_trajectory_pdb(
    path: &Path,
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
) -> Result<(), WriteError> {
    write_checked(path, structure, frames, options, trajectory_pdb_text)
}

/// Writes the residue-level multi-MODEL PDB (ground truth + frames) atomically.
pub fn write_residue_level_pdb(
    path: &Path,
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
) -> Result<(), WriteError> {
    write_checked(path, structure, frames, options, residue_level_pdb_text)
}

/// The residue-level file written beside an atom-level one: `out.pdb` → `out_residues.pdb`.
pub fn residue_level_path(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}_residues.pdb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_line_uses_standard_columns() {
        let mut out = String::new();
        AtomLine {
            hetero: false,
            serial: 1,
            atom_name: "N",
            element: "N",
            residue_name: "THR",
            chain_id: "A",
            residue_number: 1,
            insertion_code: "",
            position: [17.047, 14.099, 3.625],
            b_factor: 13.79,
        }
        .write(&mut out);
        assert_eq!(
            out.trim_end(),
            "ATOM      1  N   THR A   1      17.047  14.099   3.625  1.00 13.79           N"
        );
    }

    #[test]
    fn far_coordinates_keep_their_field_width() {
        assert_eq!(coordinate_field(-999.999), "-999.999");
        assert_eq!(coordinate_field(-1234.5678), "-1234.57");
        assert_eq!(coordinate_field(123_456.7f32), "123456.7");
        assert_eq!(coordinate_field(3.0e8), "99999999");
        assert_eq!(residue_number_field(-1), -1);
        assert_eq!(residue_number_field(12_345), 2345);
    }
}
