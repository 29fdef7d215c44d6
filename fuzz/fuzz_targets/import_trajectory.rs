//! The trajectory importers on any bytes: NPY/NPZ arrays and multi-MODEL PDB/mmCIF (the first byte picks
//! which), returning frames or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigmascope::structure::{LoadOptions, load_bytes};
use sigmascope::trajectory::read_array_frames;

fuzz_target!(|bytes: &[u8]| {
    let Some((&which, rest)) = bytes.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(frames) = read_array_frames(rest) {
                let atoms = frames.first().map_or(0, Vec::len);
                assert!(frames.iter().all(|f| f.len() == atoms));
            }
        }
        1 => {
            let _ = load_bytes("trajectory.pdb", rest, &LoadOptions::default());
        }
        _ => {
            let _ = load_bytes("trajectory.cif", rest, &LoadOptions::default());
        }
    }
});
