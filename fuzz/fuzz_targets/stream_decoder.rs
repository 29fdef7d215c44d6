//! The live-run decoder on any bytes: a hello, then messages of a run of 1–8 atoms (the first byte
//! picks how many), each decoded or refused in one line, never a panic or an allocation past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigmascope::stream::{Decoded, read_hello, read_message};

fuzz_target!(|bytes: &[u8]| {
    let Some((&atoms, rest)) = bytes.split_first() else {
        return;
    };
    let atoms = usize::from(atoms % 8) + 1;
    let mut reader = std::io::Cursor::new(rest);
    if let Err(e) = read_hello(&mut reader) {
        assert!(!e.contains('\n'));
    }
    for _ in 0..16 {
        match read_message(&mut reader, atoms) {
            Ok(Some(Decoded::Step(step))) => {
                assert_eq!(step.x_t.len(), atoms);
                assert!(step.x_t.iter().flatten().all(|v| v.is_finite()));
            }
            Ok(Some(Decoded::Close { .. }) | None) => return,
            Err(e) => {
                assert!(!e.contains('\n'));
                return;
            }
        }
    }
});
