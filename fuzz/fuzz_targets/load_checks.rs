//! What the loader targets check: any bytes give a structure or an error, never a panic, and a loaded
//! structure's index maps are consistent. One load per input (the selection from the input's length)
//! keeps the executions cheap.

use sigmascope::structure::{LoadOptions, Selection, load_bytes};

/// Loads `bytes` as `file_name` (its extension picks the format) and checks the result.
pub fn check_load(file_name: &str, bytes: &[u8]) {
    let selection = if bytes.len() % 2 == 0 {
        Selection::default()
    } else {
        Selection::everything()
    };
    let options = LoadOptions {
        model: 1,
        selection,
    };
    if let Ok(s) = load_bytes(file_name, bytes, &options) {
        assert_eq!(s.atom_residue.len(), s.atom_count());
        assert!(s.model_positions.iter().all(|m| m.len() == s.atom_count()));
    }
}
