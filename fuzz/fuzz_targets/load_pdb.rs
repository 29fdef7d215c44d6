//! Any bytes named `.pdb`: the loader returns a structure or an error, never a panic. A loaded structure's
//! index maps must be consistent, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigmascope::structure::{LoadOptions, Selection, load_bytes};

fuzz_target!(|bytes: &[u8]| {
    // One load per input (the selection from the input's length) keeps the executions cheap.
    let selection = if bytes.len() % 2 == 0 {
        Selection::default()
    } else {
        Selection::everything()
    };
    let options = LoadOptions {
        model: 1,
        selection,
    };
    if let Ok(s) = load_bytes("fuzz.pdb", bytes, &options) {
        assert_eq!(s.atom_residue.len(), s.atom_count());
        assert!(s.ensemble.iter().all(|m| m.len() == s.atom_count()));
    }
});
