//! What the network knows of a structure besides its coordinates: the index maps of its hierarchy
//! (the segment means and broadcasts of every block) and the identities its tokens embed.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::noise::HierarchyTensors;
use crate::structure::Structure;

/// Element vocabulary; anything else is the last index.
pub(super) const ELEMENTS: [&str; 14] = [
    "C", "N", "O", "S", "P", "H", "SE", "FE", "ZN", "MG", "CA", "CL", "NA", "K",
];
/// Residue-type vocabulary (amino acids, nucleotides); anything else is the last index.
pub(super) const RESIDUE_TYPES: [&str; 28] = [
    "ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE", "LEU", "LYS", "MET",
    "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL", "DA", "DC", "DG", "DT", "A", "C", "G", "U",
];
/// Chain embeddings (chain index modulo this).
pub(super) const CHAIN_SLOTS: usize = 16;
/// Atom-name embeddings (FNV-1a hash of the name modulo this).
pub(super) const ATOM_NAME_SLOTS: usize = 97;
/// Sinusoidal features of the residue index (Vaswani et al. 2017), half sines, half cosines.
pub(super) const POSITION_FEATURES: usize = 16;

fn atom_name_slot(name: &str) -> i32 {
    let hash = name.trim().bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    (hash % ATOM_NAME_SLOTS as u32) as i32
}

fn position_features(structure: &Structure, device: &Device) -> Tensor<3> {
    let half = POSITION_FEATURES / 2;
    let mut data = Vec::with_capacity(structure.residue_count() * POSITION_FEATURES);
    for (index, residue) in structure.residues.iter().enumerate() {
        let start = structure.chains[residue.chain as usize].residues.start as usize;
        let position = (index - start) as f64;
        let frequency = |k: usize| position / 10_000f64.powf(k as f64 / half as f64);
        data.extend((0..half).map(|k| frequency(k).sin() as f32));
        data.extend((0..half).map(|k| frequency(k).cos() as f32));
    }
    Tensor::from_data(
        TensorData::new(data, [1, structure.residue_count(), POSITION_FEATURES]),
        device,
    )
}

/// What the network knows of the structure: its hierarchy and token identities, on one device.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Index maps and group sizes.
    pub hierarchy: HierarchyTensors,
    /// Element index per atom.
    pub elements: Tensor<1, Int>,
    /// Residue-type index per residue.
    pub residue_types: Tensor<1, Int>,
    /// Chain slot per chain.
    pub chain_slots: Tensor<1, Int>,
    /// Atom-name slot per atom (`CA`, `OG1` hashed into `ATOM_NAME_SLOTS`).
    pub atom_names: Tensor<1, Int>,
    /// Sinusoidal features of each residue's index in its chain, [1, residues, POSITION_FEATURES].
    pub residue_positions: Tensor<3>,
}

fn vocabulary_index(vocabulary: &[&str], name: &str) -> i32 {
    vocabulary
        .iter()
        .position(|v| v.eq_ignore_ascii_case(name.trim()))
        .unwrap_or(vocabulary.len()) as i32
}

fn int_tensor(values: Vec<i32>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

impl Topology {
    /// The topology of `structure` on `device`.
    pub fn new(structure: &Structure, device: &Device) -> Self {
        Self {
            hierarchy: HierarchyTensors::new(structure, device),
            elements: int_tensor(
                structure
                    .elements
                    .iter()
                    .map(|e| vocabulary_index(&ELEMENTS, e.symbol()))
                    .collect(),
                device,
            ),
            residue_types: int_tensor(
                structure
                    .residues
                    .iter()
                    .map(|r| vocabulary_index(&RESIDUE_TYPES, &r.name))
                    .collect(),
                device,
            ),
            chain_slots: int_tensor(
                (0..structure.chain_count())
                    .map(|c| (c % CHAIN_SLOTS) as i32)
                    .collect(),
                device,
            ),
            atom_names: int_tensor(
                structure
                    .atom_names
                    .iter()
                    .map(|n| atom_name_slot(n))
                    .collect(),
                device,
            ),
            residue_positions: position_features(structure, device),
        }
    }

    /// Means over each residue's atoms, [B, atoms, D] → [B, residues, D].
    pub fn residue_means(&self, values: Tensor<3>) -> Tensor<3> {
        self.hierarchy.residue_centroids(values)
    }

    /// Means over each chain's residues, [B, residues, D] → [B, chains, D].
    pub fn chain_means(&self, values: Tensor<3>) -> Tensor<3> {
        self.hierarchy.chain_centroids(values)
    }

    /// Each atom's residue value, [B, residues, D] → [B, atoms, D].
    pub fn to_atoms(&self, residue_values: Tensor<3>) -> Tensor<3> {
        residue_values.select(1, self.hierarchy.atom_residue.clone())
    }

    /// Each residue's chain value, [B, chains, D] → [B, residues, D].
    pub fn to_residues(&self, chain_values: Tensor<3>) -> Tensor<3> {
        chain_values.select(1, self.hierarchy.residue_chain.clone())
    }
}
