//! The multi-model mmCIF of a trajectory: the ground truth as model 1, then one model per frame, in one
//! `atom_site` loop (`pdbx_PDB_model_num`; gemmi needs `label_alt_id` among the columns). Free-format coordinates do not overflow as PDB's 8.3 columns
//! do at the first steps' sigma of hundreds of Å, which is why trajectory writers move to mmCIF.

use std::fmt::Write as _;

use super::export::{ExportFrame, check_frame, protected_inputs};
use super::{ExportOptions, Structure, WriteError, write_atomic};

/// A CIF value: quoted when it holds a space or starts with a character CIF reserves.
fn cif_value(v: &str) -> String {
    if v.is_empty() {
        return ".".to_owned();
    }
    let reserved = v.starts_with(['_', '#', '$', '\'', '"', ';', '[', ']']) || v == "." || v == "?";
    if v.contains(char::is_whitespace) || reserved {
        if v.contains('\'') {
            format!("\"{v}\"")
        } else {
            format!("'{v}'")
        }
    } else {
        v.to_owned()
    }
}

/// The text of the multi-model mmCIF: ground truth, then `frames` (their labels in a comment each).
pub fn trajectory_cif_text(structure: &Structure, frames: &[ExportFrame<'_>]) -> String {
    let name = cif_value(&structure.name);
    let mut out = String::with_capacity((frames.len() + 1) * structure.atom_count() * 100);
    writeln!(
        out,
        "data_{}",
        structure.name.replace(char::is_whitespace, "_")
    )
    .ok();
    writeln!(out, "_entry.id {name}").ok();
    out.push_str("#\nloop_\n");
    for column in [
        "group_PDB",
        "id",
        "type_symbol",
        "label_atom_id",
        "label_alt_id",
        "label_comp_id",
        "label_asym_id",
        "label_seq_id",
        "pdbx_PDB_ins_code",
        "Cartn_x",
        "Cartn_y",
        "Cartn_z",
        "occupancy",
        "B_iso_or_equiv",
        "auth_seq_id",
        "auth_asym_id",
        "pdbx_PDB_model_num",
    ] {
        writeln!(out, "_atom_site.{column}").ok();
    }
    let ground_truth = ExportFrame {
        label: "ground truth",
        positions: &structure.positions,
        b_factors: Some(&structure.b_factors),
    };
    let mut serial = 0usize;
    for (k, frame) in std::iter::once(&ground_truth).chain(frames).enumerate() {
        writeln!(out, "# model {}: {}", k + 1, frame.label.replace('\n', " ")).ok();
        for atom in 0..structure.atom_count() {
            serial += 1;
            let residue = &structure.residues[structure.atom_residue[atom] as usize];
            let chain = cif_value(&structure.chains[residue.chain as usize].id);
            let p = frame.positions[atom];
            writeln!(
                out,
                "{} {serial} {} {} . {} {chain} {} {} {:.4} {:.4} {:.4} 1.00 {:.2} {} {chain} {}",
                if structure.hetero[atom] {
                    "HETATM"
                } else {
                    "ATOM"
                },
                cif_value(structure.elements[atom].symbol()),
                cif_value(&structure.atom_names[atom]),
                cif_value(&residue.name),
                residue.number,
                residue
                    .insertion_code
                    .as_deref()
                    .map_or_else(|| "?".to_owned(), cif_value),
                p[0],
                p[1],
                p[2],
                frame.b_factors.map_or(0.0, |b| b[atom]),
                residue.number,
                k + 1,
            )
            .ok();
        }
    }
    out.push_str("#\n");
    out
}

/// Writes the multi-model mmCIF (ground truth + frames) atomically.
pub fn write_trajectory_cif(
    path: &std::path::Path,
    structure: &Structure,
    frames: &[ExportFrame<'_>],
    options: ExportOptions,
) -> Result<(), WriteError> {
    for frame in frames {
        check_frame(path, frame, structure.atom_count())?;
    }
    let text = trajectory_cif_text(structure, frames);
    write_atomic(path, text.as_bytes(), &protected_inputs(structure, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_spaces_or_reserved_starts_are_quoted() {
        assert_eq!(cif_value("CA"), "CA");
        assert_eq!(cif_value("O5'"), "O5'");
        assert_eq!(cif_value("'x"), "\"'x\"");
        assert_eq!(cif_value("a b"), "'a b'");
        assert_eq!(cif_value(""), ".");
        assert_eq!(cif_value("_x"), "'_x'");
    }
}
