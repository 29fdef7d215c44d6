//! The array importers on any bytes: sigmascope's NPZ, AlphaFold2 atom37/atom14 arrays with masks,
//! Cα traces, Boltz's structured-dtype structure NPZ and σ sidecars (the first byte picks which),
//! returning a run or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigmascope::trajectory::{read_array_run, read_boltz_topology, read_sigmas};

fuzz_target!(|bytes: &[u8]| {
    let Some((&which, rest)) = bytes.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(run) = read_array_run("fuzz.npz", rest) {
                let frames = &run.trajectory.x_t;
                let atoms = frames.first().map_or(0, Vec::len);
                assert!(frames.iter().all(|f| f.len() == atoms));
                if let Some(topology) = &run.topology {
                    assert_eq!(topology.atom_count(), atoms);
                }
            }
        }
        1 => {
            if let Ok(boltz) = read_boltz_topology("fuzz.npz", rest) {
                assert_eq!(boltz.present.len(), boltz.structure.atom_count());
                assert!(boltz.present.iter().all(|&a| a < boltz.total_atoms));
            }
        }
        _ => {
            if let Ok(sigmas) = read_sigmas(rest) {
                assert!(sigmas.iter().all(|s| s.is_finite() && *s >= 0.0));
            }
        }
    }
});
