//! AlphaFold2's fixed-slot atom layouts, which FrameDiff, FoldFlow, Genie, Proteina and OpenFold hand
//! over as arrays: atom37 (one slot per heavy-atom type) and atom14 (a per-residue order), with the
//! residue type `aatype` in AlphaFold2's restype order. The tables are AlphaFold2's
//! `common/residue_constants.py` (`restypes`, `restype_1to3`, `atom_types`,
//! `restype_name_to_atom14_names`).

/// Residue names in AlphaFold2's restype order (`aatype` 0…19); 20 is unknown.
pub const AF2_RESTYPES: [&str; 21] = [
    "ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU", "LYS", "MET",
    "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL", "UNK",
];

/// The atom37 slots (`residue_constants.atom_types`).
pub const ATOM37_NAMES: [&str; 37] = [
    "N", "CA", "C", "CB", "O", "CG", "CG1", "CG2", "OG", "OG1", "SG", "CD", "CD1", "CD2", "ND1",
    "ND2", "OD1", "OD2", "SD", "CE", "CE1", "CE2", "CE3", "NE", "NE1", "NE2", "OE1", "OE2", "CH2",
    "NH1", "NH2", "OH", "CZ", "CZ2", "CZ3", "NZ", "OXT",
];

/// The atom14 slots of each restype (`restype_name_to_atom14_names`, trailing blanks omitted).
const ATOM14_NAMES: [&[&str]; 21] = [
    &["N", "CA", "C", "O", "CB"],
    &[
        "N", "CA", "C", "O", "CB", "CG", "CD", "NE", "CZ", "NH1", "NH2",
    ],
    &["N", "CA", "C", "O", "CB", "CG", "OD1", "ND2"],
    &["N", "CA", "C", "O", "CB", "CG", "OD1", "OD2"],
    &["N", "CA", "C", "O", "CB", "SG"],
    &["N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "NE2"],
    &["N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "OE2"],
    &["N", "CA", "C", "O"],
    &["N", "CA", "C", "O", "CB", "CG", "ND1", "CD2", "CE1", "NE2"],
    &["N", "CA", "C", "O", "CB", "CG1", "CG2", "CD1"],
    &["N", "CA", "C", "O", "CB", "CG", "CD1", "CD2"],
    &["N", "CA", "C", "O", "CB", "CG", "CD", "CE", "NZ"],
    &["N", "CA", "C", "O", "CB", "CG", "SD", "CE"],
    &[
        "N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ",
    ],
    &["N", "CA", "C", "O", "CB", "CG", "CD"],
    &["N", "CA", "C", "O", "CB", "OG"],
    &["N", "CA", "C", "O", "CB", "OG1", "CG2"],
    &[
        "N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "NE1", "CE2", "CE3", "CZ2", "CZ3", "CH2",
    ],
    &[
        "N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ", "OH",
    ],
    &["N", "CA", "C", "O", "CB", "CG1", "CG2"],
    &[],
];

/// The chain ids AlphaFold2's `protein.to_pdb` gives `chain_index` 0, 1, … (`PDB_CHAIN_IDS`).
const PDB_CHAIN_IDS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The fixed-slot layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlotLayout {
    /// 37 slots, one per heavy-atom type.
    Atom37,
    /// 14 slots in each residue type's own order.
    Atom14,
}

impl SlotLayout {
    /// The layout with `slots` slots per residue.
    pub fn of_slots(slots: usize) -> Option<Self> {
        match slots {
            37 => Some(Self::Atom37),
            14 => Some(Self::Atom14),
            _ => None,
        }
    }

    /// Slots per residue.
    pub fn slots(self) -> usize {
        match self {
            Self::Atom37 => 37,
            Self::Atom14 => 14,
        }
    }

    /// The atom in `slot` of a residue of `aatype`, if the slot holds one.
    pub fn atom_name(self, aatype: usize, slot: usize) -> Option<&'static str> {
        match self {
            Self::Atom37 => ATOM37_NAMES.get(slot).copied(),
            Self::Atom14 => ATOM14_NAMES.get(aatype)?.get(slot).copied(),
        }
    }
}

/// The residue name of `aatype` (UNK beyond the table).
pub fn residue_name(aatype: i64) -> &'static str {
    usize::try_from(aatype)
        .ok()
        .and_then(|a| AF2_RESTYPES.get(a))
        .copied()
        .unwrap_or("UNK")
}

/// The chain id of `chain_index` (AlphaFold2's ids, then the number).
pub fn chain_id(chain_index: i64) -> String {
    usize::try_from(chain_index)
        .ok()
        .and_then(|i| PDB_CHAIN_IDS.chars().nth(i))
        .map_or_else(|| chain_index.to_string(), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_alphafold2() {
        assert_eq!(ATOM37_NAMES[3], "CB");
        assert_eq!(ATOM37_NAMES[4], "O");
        assert_eq!(ATOM37_NAMES[36], "OXT");
        // Every atom14 name is an atom37 type, and each residue's heavy atoms are distinct.
        for names in ATOM14_NAMES {
            assert!(names.len() <= 14);
            assert!(names.iter().all(|n| ATOM37_NAMES.contains(n)));
            let mut sorted = names.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len());
        }
        assert_eq!(residue_name(17), "TRP");
        assert_eq!(ATOM14_NAMES[17].len(), 14);
        assert_eq!(SlotLayout::Atom14.atom_name(7, 4), None);
        assert_eq!(SlotLayout::Atom14.atom_name(19, 6), Some("CG2"));
        assert_eq!(chain_id(1), "B");
        assert_eq!(chain_id(99), "99");
    }
}
