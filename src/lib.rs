//! sigmascope: a visualizer and debugger for diffusion samplers of protein structures.
//!
//! Data flows one way: `structure` → `noise` → `sampler` (+ `denoiser`) → `trajectory` → `render` → `app`;
//! `compute` picks the burn device and `cli` is the command line.
//! Everything before the app knows nothing of egui; the CLI and the app call the same core.

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod compute;
pub mod denoiser;
pub mod noise;
pub mod render;
pub mod sampler;
pub mod structure;
pub mod trajectory;
