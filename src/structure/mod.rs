//! Structures in and out: PDB/mmCIF loading, the flat atom/residue/chain hierarchy, centroids,
//! bundled examples and multi-MODEL PDB export.

mod atomic_write;
mod bonds;
mod bundled;
mod cif_records;
mod element;
mod export;
mod export_cif;
mod from_records;
mod hierarchy;
mod level;
mod load;
mod pdb_records;
mod select;
mod synthetic;

pub use atomic_write::{WriteError, write_atomic};
pub use bonds::template_bonds;
pub use bundled::{
    BUNDLED, BundledStructure, default_structure, find_bundled, load_file_or_bundled,
};
pub use element::Element;
pub use export::{
    ExportFrame, ExportOptions, residue_level_path, residue_level_pdb_text, trajectory_pdb_text,
    write_residue_level_pdb, write_trajectory_pdb,
};
pub use export_cif::{trajectory_cif_text, write_trajectory_cif};
pub use from_records::AtomRecord;
pub use hierarchy::{Chain, FileFormat, Residue, Selection, SelectionReport, Structure};
pub use level::Level;
pub use load::{LoadError, LoadOptions, format_of_content, load_bytes, load_path};
pub use select::select_atoms;
pub use synthetic::{SYNTHETIC_ATOMS_PER_RESIDUE, SYNTHETIC_RESIDUES_PER_CHAIN};
