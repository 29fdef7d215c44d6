//! Every input the fuzzers (`fuzz/`) found crashing, loaded again: a structure or a one-line error, and
//! never pdbtbx panicking behind the pre-passes (the loader reports that as "the parser gave up", which
//! the fuzz build turns back into a crash). The file name says what read it: `*.pdb`, `*.cif`, or
//! `*.traj` (the trajectory target: the first byte picks array, PDB or mmCIF, as in
//! `fuzz/fuzz_targets/import_trajectory.rs`), or `*.arrays` (`fuzz/fuzz_targets/array_run.rs`: array
//! layouts, Boltz's structure NPZ or a σ sidecar), or `*.stream` (`fuzz/fuzz_targets/stream_decoder.rs`:
//! a live-run hello and messages).

use std::path::Path;

use sigmascope::stream::{Decoded, read_hello, read_message};
use sigmascope::structure::{LoadOptions, Selection, load_bytes};
use sigmascope::trajectory::{read_array_frames, read_array_run, read_boltz_topology, read_sigmas};

fn check_load(file: &str, as_name: &str, bytes: &[u8]) {
    for selection in [Selection::default(), Selection::everything()] {
        let options = LoadOptions {
            model: 1,
            selection,
        };
        match load_bytes(as_name, bytes, &options) {
            Ok(s) => assert_eq!(s.atom_residue.len(), s.atom_count(), "{file}"),
            Err(e) => {
                let message = e.to_string();
                assert!(!message.contains('\n'), "{file}: {message}");
                assert!(!message.contains("the parser gave up"), "{file}: {message}");
            }
        }
    }
}

/// A live-run stream as the fuzz target reads it: the first byte the atom count, then a hello and
/// messages, each decoded or refused in one line.
fn check_stream(file: &str, bytes: &[u8]) {
    let Some((&atoms, rest)) = bytes.split_first() else {
        return;
    };
    let atoms = usize::from(atoms % 8) + 1;
    let mut reader = std::io::Cursor::new(rest);
    if let Err(e) = read_hello(&mut reader) {
        assert!(!e.contains('\n'), "{file}: {e}");
    }
    for _ in 0..16 {
        match read_message(&mut reader, atoms) {
            Ok(Some(Decoded::Step(step))) => assert_eq!(step.x_t.len(), atoms, "{file}"),
            Ok(_) => return,
            Err(e) => {
                assert!(!e.contains('\n'), "{file}: {e}");
                return;
            }
        }
    }
}

#[test]
fn every_fuzz_finding_loads_or_fails_in_one_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz_regressions");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        if file.ends_with(".pdb") {
            check_load(&file, "fuzz.pdb", &bytes);
        } else if file.ends_with(".cif") {
            check_load(&file, "fuzz.cif", &bytes);
        } else if file.ends_with(".traj") {
            let Some((&which, rest)) = bytes.split_first() else {
                continue;
            };
            match which % 3 {
                0 => {
                    if let Err(e) = read_array_frames(rest) {
                        assert!(!e.contains('\n'), "{file}: {e}");
                    }
                }
                1 => check_load(&file, "trajectory.pdb", rest),
                _ => check_load(&file, "trajectory.cif", rest),
            }
        } else if file.ends_with(".arrays") {
            let Some((&which, rest)) = bytes.split_first() else {
                continue;
            };
            let message = match which % 3 {
                0 => read_array_run("fuzz.npz", rest).err(),
                1 => read_boltz_topology("fuzz.npz", rest).err(),
                _ => read_sigmas(rest).err(),
            };
            assert!(message.as_ref().is_none_or(|e| !e.contains('\n')), "{file}");
            if file.starts_with("npy-nested-header") {
                // npyz's parser took seconds on this header; it is refused before npyz sees it.
                assert!(
                    message.is_some_and(|e| e.contains("nests too deep")),
                    "{file}"
                );
            }
        } else if file.ends_with(".stream") {
            check_stream(&file, &bytes);
        } else {
            continue;
        }
        checked += 1;
    }
    assert!(checked > 0, "the fuzzers' findings are kept here");
}
