//! Any bytes named `.cif` through the loader (`load_checks.rs` says what is checked).
#![no_main]

#[path = "load_checks.rs"]
mod load_checks;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| load_checks::check_load("fuzz.cif", bytes));
