//! Rendering: the `Scene` (plain data), the orbit camera, palettes, picking, and the wgpu renderer
//! that draws a scene into offscreen color + depth targets (headless, or composited into egui).

mod atom_rows;
mod camera;
mod color;
mod composite;
mod error;
mod lines;
mod movie;
mod overlay_text;
mod picking;
mod pipeline;
mod readback;
mod renderer;
mod scene;
mod scene_text;
mod shaders;
mod spheres;
mod targets;
mod tube;

pub use atom_rows::{AtomRows, column_matrix};
pub use camera::{OrbitCamera, ViewPreset, bounding_sphere};
pub use color::{Rgba, chain_color, displacement_color, element_color, rainbow, viridis};
pub use error::RenderError;
pub use movie::{
    HoldSteady, MovieRenderer, MovieSpec, MovieView, encode_gif, encode_with_ffmpeg, movie_frames,
    network_view, render_movie,
};
pub use overlay_text::draw_text;
pub use picking::pick_atom;
pub use pipeline::{COLOR_FORMAT, DEPTH_FORMAT};
pub use readback::write_png;
pub use renderer::{CLEAR_COLOR, DrawCounts, SceneRenderer, render_headless};
pub use scene::{
    ArrowsFrom, ColorMode, LayerCounts, Layers, Legend, LineVertex, Scene, SceneOptions,
    SphereInstance, atom_radius, build_scene, grow_atoms_with_cloud, rebuild_scene,
};
pub use scene_text::scene_text;
pub use shaders::{SHADER_FILES, shader_source};
