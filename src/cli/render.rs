//! `sigmascope render`: the viewport's scene rendered offscreen to a PNG, with no window.

use std::path::PathBuf;

use clap::Args;

use super::{LoadArgs, load_structure};
use crate::compute::open_wgpu_device;
use crate::render::{
    ColorMode, Layers, OrbitCamera, SceneOptions, ViewPreset, build_scene, render_headless,
    write_png,
};
use crate::structure::load_path;

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Structure file (the reference) or a bundled name.
    pub file: PathBuf,
    /// Model and atom selection.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Multi-MODEL trajectory over the same atoms (e.g. from `sample --out`).
    #[arg(long)]
    pub trajectory: Option<PathBuf>,
    /// Model of the trajectory to draw, 0-based (0 = its first model, the ground truth of our exports).
    #[arg(long, default_value_t = 0)]
    pub frame: usize,
    /// Color mode.
    #[arg(long, value_enum, default_value_t = ColorMode::Element)]
    pub color_by: ColorMode,
    /// Layers: any of atoms,residues,chains,trace,ghost,arrows,bonds.
    #[arg(long, default_value = "atoms,trace")]
    pub layers: String,
    /// Image size WIDTHxHEIGHT.
    #[arg(long, default_value = "800x600")]
    pub size: String,
    /// View direction.
    #[arg(long, value_enum, default_value_t = ViewPreset::Fit)]
    pub view: ViewPreset,
    /// Output PNG.
    #[arg(long)]
    pub out: PathBuf,
}

/// Parses `800x600`.
pub fn parse_size(text: &str) -> anyhow::Result<[u32; 2]> {
    let parse = || -> Option<[u32; 2]> {
        let (w, h) = text.split_once(['x', 'X'])?;
        Some([w.trim().parse().ok()?, h.trim().parse().ok()?])
    };
    match parse() {
        Some([w, h]) if (1..=8192).contains(&w) && (1..=8192).contains(&h) => Ok([w, h]),
        _ => anyhow::bail!("invalid --size '{text}': use WIDTHxHEIGHT, each 1..8192"),
    }
}

/// Runs `render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<()> {
    let size = parse_size(&args.size)?;
    let layers = Layers::parse(&args.layers).map_err(anyhow::Error::msg)?;
    let structure = load_structure(&args.file, &args.load)?;
    let (atoms, previous) = match &args.trajectory {
        None => (structure.positions.clone(), None),
        Some(path) => {
            // Every model of the trajectory with the structure's atoms (MODEL 0 of our exports is the truth).
            let trajectory = load_path(path, &args.load.options())?;
            if trajectory.atom_count() != structure.atom_count() {
                anyhow::bail!(
                    "{} has {} atoms per model but {} has {}",
                    path.display(),
                    trajectory.atom_count(),
                    args.file.display(),
                    structure.atom_count()
                );
            }
            let models = &trajectory.model_positions;
            let Some(frame) = models.get(args.frame) else {
                anyhow::bail!(
                    "{} has {} models; --frame {} does not exist",
                    path.display(),
                    models.len(),
                    args.frame
                );
            };
            (
                frame.clone(),
                args.frame
                    .checked_sub(1)
                    .and_then(|k| models.get(k).cloned()),
            )
        }
    };
    let options = SceneOptions {
        layers,
        color_by: args.color_by,
        ..SceneOptions::default()
    };
    let scene = build_scene(
        &structure,
        &atoms,
        &structure.positions,
        previous.as_deref(),
        &options,
    );
    let aspect = size[0] as f32 / size[1] as f32;
    let camera = OrbitCamera::fitted(args.view, scene.center, scene.radius, aspect);
    let gpu = open_wgpu_device()?;
    let rgba = render_headless(&gpu.device, &gpu.queue, &scene, &camera, size)?;
    write_png(&args.out, size[0], size[1], &rgba)?;
    println!(
        "wrote {} ({}x{}, {})",
        args.out.display(),
        size[0],
        size[1],
        gpu.adapter.get_info().name
    );
    Ok(())
}
