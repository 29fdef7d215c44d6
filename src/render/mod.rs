//! Rendering: the `Scene` (plain data), the orbit camera, palettes, picking, and the wgpu renderer
//! that draws a scene into offscreen color + depth targets (headless, or composited into egui).

mod camera;
mod color;
mod gpu;
mod picking;
mod scene;
mod shaders;

pub use camera::{OrbitCamera, ViewPreset};
pub use color::{Rgba, chain_color, element_color, rainbow, viridis};
pub use gpu::{RenderError, SceneRenderer, render_headless, write_png};
pub use picking::pick_atom;
pub use scene::{
    ArrowsFrom, ColorMode, LayerCounts, Layers, Legend, LineVertex, Scene, SceneOptions,
    SphereInstance, atom_radius, build_scene, scene_text,
};
pub use shaders::{SHADER_FILES, shader_source};
