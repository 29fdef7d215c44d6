//! The window: its state driven by commands with no window, and the whole window under egui_kittest.

#[path = "../common/mod.rs"]
mod common;

mod app_state;
mod viewer;
mod window;
