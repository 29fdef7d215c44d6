//! The wgpu path: the renderer's pixels and scenes, and burn's computations on the adapter (Mesa lavapipe
//! on CI, a GPU where there is one).

#[path = "../common/mod.rs"]
mod common;

mod render;
mod wgpu_device;
