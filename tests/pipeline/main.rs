//! The core's integration tests, structure → noise → sampler → denoiser → trajectory, one binary with a
//! module per concern (each binary links the whole stack, so fewer of them build faster).

#[path = "../common/mod.rs"]
mod common;

mod denoisers;
mod export;
mod families;
mod fuzz_regressions;
mod learned;
mod motion;
mod noise_lab;
mod sampler;
mod structure_contract;
mod structure_counts;
mod substeps;
mod tm_score;
mod tool_runs;
mod trajectory_files;
