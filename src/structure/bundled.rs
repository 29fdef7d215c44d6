//! Structures compiled into the binary, so `sigmascope` runs from any folder.

use super::hierarchy::Structure;
use super::load::{LoadError, LoadOptions, load_bytes};

/// A structure shipped in `assets/` and compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundledStructure {
    /// Short name (`4hhb`).
    pub name: &'static str,
    /// One-line description for menus.
    pub description: &'static str,
    /// File name the bytes came from (gives the format).
    pub file_name: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
}

/// The bundled structures; the first is the default (4 chains, so chain, residue and atom levels all matter).
pub const BUNDLED: [BundledStructure; 3] = [
    BundledStructure {
        name: "4hhb",
        description: "human deoxyhaemoglobin, 4 chains",
        file_name: "4hhb.pdb",
        bytes: include_bytes!("../../assets/4hhb.pdb"),
    },
    BundledStructure {
        name: "1crn",
        description: "crambin, 1 chain, 46 residues",
        file_name: "1crn.pdb",
        bytes: include_bytes!("../../assets/1crn.pdb"),
    },
    BundledStructure {
        name: "1l2y",
        description: "Trp-cage, NMR, 38 models",
        file_name: "1l2y.pdb",
        bytes: include_bytes!("../../assets/1l2y.pdb"),
    },
];

/// The default structure shown when no file is given.
pub fn default_structure() -> &'static BundledStructure {
    &BUNDLED[0]
}

/// Finds a bundled structure by name, case-insensitively.
pub fn find_bundled(name: &str) -> Option<&'static BundledStructure> {
    BUNDLED.iter().find(|b| b.name.eq_ignore_ascii_case(name))
}

/// Loads a file argument; a bundled name (`4hhb`, `1crn`, `1l2y`) works when no such file exists.
pub fn load_file_or_bundled(
    path: &std::path::Path,
    options: &LoadOptions,
) -> Result<Structure, LoadError> {
    if !path.exists()
        && let Some(bundled) = path.to_str().and_then(find_bundled)
    {
        return bundled.load(options);
    }
    super::load_path(path, options)
}

impl BundledStructure {
    /// Parses the bundled bytes with the given options.
    pub fn load(&self, options: &LoadOptions) -> Result<Structure, LoadError> {
        load_bytes(self.file_name, self.bytes, options)
    }
}
