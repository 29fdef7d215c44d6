//! The structure model: flat per-atom arrays, residues and chains as index ranges, and the
//! atom→residue / residue→chain index maps that every hierarchy operation walks in O(atoms).

use std::ops::Range;
use std::path::PathBuf;

/// File format a structure was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Protein Data Bank fixed-column format.
    Pdb,
    /// PDBx/mmCIF.
    Mmcif,
}

impl FileFormat {
    /// Short human name ("PDB", "mmCIF").
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdb => "PDB",
            Self::Mmcif => "mmCIF",
        }
    }
}

/// One residue: a contiguous range of atoms inside one chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Residue {
    /// Residue name (`ALA`, `HOH`, `HEM`).
    pub name: String,
    /// Author residue number.
    pub number: isize,
    /// Insertion code, if any (`56A`).
    pub insertion_code: Option<String>,
    /// Index of the chain that holds this residue.
    pub chain: u32,
    /// Atoms of this residue, as indices into the per-atom arrays.
    pub atoms: Range<u32>,
}

impl Residue {
    /// Number plus insertion code as written in files (`56A`, `-1`).
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            self.number,
            self.insertion_code.as_deref().unwrap_or("")
        )
    }
}

/// One chain: a contiguous range of residues.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// Chain identifier as given by the file (author chain id).
    pub id: String,
    /// Residues of this chain, as indices into `Structure::residues`.
    pub residues: Range<u32>,
}

/// Which atoms the loader keeps. The default is heavy atoms, no waters, hetero groups kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Selection {
    /// Keep hydrogen (and deuterium) atoms.
    pub keep_hydrogens: bool,
    /// Keep water molecules.
    pub keep_water: bool,
    /// Drop hetero groups (ligands, ions, modified residues) other than water.
    pub drop_hetero: bool,
}

impl Selection {
    /// Every filter off: every atom of the model is kept (alternate locations still merged).
    pub fn everything() -> Self {
        Self {
            keep_hydrogens: true,
            keep_water: true,
            drop_hetero: false,
        }
    }
}

/// What the selection removed while loading, so the user sees it instead of guessing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SelectionReport {
    /// Hydrogen/deuterium atoms dropped.
    pub hydrogens: usize,
    /// Water atoms dropped.
    pub water_atoms: usize,
    /// Hetero atoms (not water) dropped.
    pub hetero_atoms: usize,
    /// Atoms that were second (third…) alternate locations of an atom already kept.
    pub alternate_locations: usize,
    /// Model numbers (1-based) left out of the ensemble because their atoms differ from the chosen model.
    pub models_not_in_ensemble: Vec<usize>,
    /// Model numbers (1-based) in the ensemble whose residue names differ from the chosen model's
    /// (the atoms are the same; the chosen model's names are kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models_with_other_residue_names: Vec<usize>,
}

/// A loaded structure: one model's atoms as flat arrays plus the residue/chain hierarchy.
#[derive(Debug, Clone)]
pub struct Structure {
    /// Display name (file stem or bundled name).
    pub name: String,
    /// The file it came from, if any (bundled structures have none).
    pub source_path: Option<PathBuf>,
    /// Format it was read from.
    pub format: FileFormat,
    /// Number of models in the file.
    pub model_count: usize,
    /// The chosen model, 1-based as in `--model N`.
    pub model_number: usize,
    /// Atom positions of the chosen model, in Å.
    pub positions: Vec<[f32; 3]>,
    /// Element per atom (`C`, `FE`); guessed from the atom name when the file has none.
    pub elements: Vec<super::Element>,
    /// Atom name per atom (`CA`, `OG1`).
    pub atom_names: Vec<String>,
    /// B-factor per atom.
    pub b_factors: Vec<f32>,
    /// HETATM flag per atom.
    pub hetero: Vec<bool>,
    /// Index map atom → residue.
    pub atom_residue: Vec<u32>,
    /// Residues in file order.
    pub residues: Vec<Residue>,
    /// Index map residue → chain.
    pub residue_chain: Vec<u32>,
    /// Chains in file order.
    pub chains: Vec<Chain>,
    /// Coordinates of every model whose selected atoms match the chosen model's, in file order (the
    /// chosen model included): an NMR ensemble's members, the ensemble denoiser's data, the frames of
    /// a multi-MODEL trajectory.
    pub model_positions: Vec<Vec<[f32; 3]>>,
    /// 1-based model numbers of the `model_positions` entries.
    pub model_numbers: Vec<usize>,
    /// Selection used at load.
    pub selection: Selection,
    /// What the selection dropped.
    pub dropped: SelectionReport,
}

impl Structure {
    /// Number of atoms.
    pub fn atom_count(&self) -> usize {
        self.positions.len()
    }

    /// Number of residues.
    pub fn residue_count(&self) -> usize {
        self.residues.len()
    }

    /// Number of chains.
    pub fn chain_count(&self) -> usize {
        self.chains.len()
    }

    /// Chain identifiers in order.
    pub fn chain_ids(&self) -> Vec<String> {
        self.chains.iter().map(|c| c.id.clone()).collect()
    }

    /// Atoms in each residue.
    pub fn atoms_per_residue(&self) -> Vec<usize> {
        self.residues.iter().map(|r| r.atoms.len()).collect()
    }

    /// Residues in each chain.
    pub fn residues_per_chain(&self) -> Vec<usize> {
        self.chains.iter().map(|c| c.residues.len()).collect()
    }

    /// Mean atoms per residue (0 for an empty structure).
    pub fn mean_atoms_per_residue(&self) -> f64 {
        if self.residues.is_empty() {
            0.0
        } else {
            self.atom_count() as f64 / self.residue_count() as f64
        }
    }

    /// Index map atom → chain (through the residue).
    pub fn atom_chain(&self) -> Vec<u32> {
        self.atom_residue
            .iter()
            .map(|&r| self.residue_chain[r as usize])
            .collect()
    }

    /// Residue centroids of a coordinate frame over this structure: mean of each residue's atoms
    /// (a segment sum over the atom→residue map; note 004's reduce step).
    pub fn residue_centroids(&self, positions: &[[f32; 3]]) -> Vec<[f32; 3]> {
        segment_means(positions, self.residues.iter().map(|r| r.atoms.clone()))
    }

    /// Chain centroids as the mean of the chain's residue centroids [note 004], not of its atoms.
    pub fn chain_centroids(&self, residue_centroids: &[[f32; 3]]) -> Vec<[f32; 3]> {
        segment_means(
            residue_centroids,
            self.chains.iter().map(|c| c.residues.clone()),
        )
    }
}

/// Mean of each contiguous segment of `points`, accumulated in f64.
fn segment_means(points: &[[f32; 3]], segments: impl Iterator<Item = Range<u32>>) -> Vec<[f32; 3]> {
    segments
        .map(|range| {
            let n = range.len().max(1) as f64;
            let mut sum = [0.0f64; 3];
            for p in &points[range.start as usize..range.end as usize] {
                for (s, v) in sum.iter_mut().zip(p) {
                    *s += f64::from(*v);
                }
            }
            sum.map(|s| (s / n) as f32)
        })
        .collect()
}
