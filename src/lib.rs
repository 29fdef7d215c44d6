//! sigmascope: a visualizer and debugger for diffusion samplers of protein structures.
//!
//! Data flows one way: `structure` → `noise` → `sampler` (+ `denoiser`) → `trajectory` → `render` → `app`;
//! `compute` picks the burn device and `cli` is the command line.
//! Everything before the app knows nothing of egui; the CLI and the app call the same core.

#![warn(missing_docs)]

// Without the default `app` feature only the file readers build (`structure`, the trajectory arrays):
// what the fuzz targets need, without burn, wgpu or egui.
#[cfg(feature = "app")]
pub mod app;
pub mod choice;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "app")]
pub mod compute;
#[cfg(feature = "app")]
pub mod denoiser;
#[cfg(feature = "app")]
pub mod diagnosis;
#[cfg(feature = "app")]
pub mod geometry;
#[cfg(feature = "app")]
pub mod noise;
#[cfg(feature = "app")]
pub mod render;
#[cfg(feature = "app")]
pub mod rng;
#[cfg(feature = "app")]
pub mod sampler;
#[cfg(feature = "stream")]
pub mod stream;
pub mod structure;
pub mod trajectory;
