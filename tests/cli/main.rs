//! The command line as a user and a script drive it: the contract of every subcommand, and the
//! external-denoiser protocol end to end with Python children.

#[path = "../common/mod.rs"]
mod common;

mod bench;
mod commands;
mod external_denoiser;
mod findings;
mod live;
mod movie;
mod substeps;
mod trajectory_order;
