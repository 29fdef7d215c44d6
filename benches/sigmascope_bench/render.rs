//! `render`: offscreen frame time of the renderer on synthetic structures: a new frame's coordinates
//! uploaded and drawn (readback excluded), the same with the image read back, a recorded frame selected
//! where burn keeps it on the device and drawn, and a draw alone.

use std::time::Instant;

use sigmascope::render::{
    AtomRows, OrbitCamera, Scene, SceneOptions, SceneRenderer, ViewPreset, build_scene,
};

#[derive(serde::Serialize)]
struct RenderTiming {
    atoms: usize,
    frames: usize,
    upload_and_draw_millis: f64,
    with_readback_millis: f64,
    /// A frame whose rows burn keeps on the renderer's device: bound (no upload) and drawn.
    select_and_draw_millis: Option<f64>,
    /// The scene drawn again with nothing written.
    draw_only_millis: f64,
    /// The window's host work for a new frame: its scene built (colors, centroids, trace) on the CPU.
    scene_build_millis: f64,
    /// Sphere instances and line vertices written to the GPU per frame.
    uploaded_bytes_per_frame: usize,
    /// `uploaded_bytes_per_frame` over the upload-and-draw time.
    achieved_upload_gb_per_sec: f64,
}

fn time_render(
    gpu: &sigmascope::compute::WgpuHandles,
    burn_device: Option<&burn::tensor::Device>,
    atoms: usize,
    frames: usize,
    size: [u32; 2],
) -> anyhow::Result<RenderTiming> {
    let structure = sigmascope::structure::Structure::synthetic(atoms);
    // Scenes of two alternating frames, built before timing: the renderer's cost is measured, not the scene's.
    let shifted: Vec<[f32; 3]> = structure
        .positions
        .iter()
        .map(|p| [p[0] + 0.5, p[1], p[2]])
        .collect();
    let (scenes, scene_build) = alternating_scenes(&structure, &shifted);
    let camera = OrbitCamera::fitted(
        ViewPreset::Fit,
        scenes[0].center,
        scenes[0].radius,
        size[0] as f32 / size[1] as f32,
    );
    let mut renderer = SceneRenderer::new(&gpu.device, None)?;
    renderer.ensure_target(&gpu.device, size);
    let draw = |renderer: &SceneRenderer| draw_and_wait(gpu, renderer);
    let frame = |renderer: &mut SceneRenderer, k: usize| {
        renderer.upload(&gpu.device, &gpu.queue, &scenes[k % 2], &camera);
        draw(renderer);
    };
    for k in 0..2 {
        frame(&mut renderer, k);
    }
    let start = Instant::now();
    for k in 0..frames {
        frame(&mut renderer, k);
    }
    let upload_and_draw = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    let start = Instant::now();
    for k in 0..frames {
        frame(&mut renderer, k);
        renderer.read_color(&gpu.device, &gpu.queue)?;
    }
    let with_readback = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    let start = Instant::now();
    for _ in 0..frames {
        draw(&renderer);
    }
    let draw_only = start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64;
    let select_and_draw = match burn_device {
        Some(device) => {
            let points = [structure.positions.as_slice(), shifted.as_slice()];
            let kept = Kept {
                points,
                scenes: &scenes,
                camera: &camera,
            };
            Some(time_select_and_draw(
                gpu,
                device,
                &mut renderer,
                &kept,
                frames,
            )?)
        }
        None => None,
    };
    let scene = &scenes[0];
    let uploaded = std::mem::size_of::<sigmascope::render::SphereInstance>()
        * (scene.opaque_spheres.len() + scene.translucent_spheres.len())
        + std::mem::size_of::<sigmascope::render::LineVertex>() * scene.lines.len();
    Ok(RenderTiming {
        atoms: structure.atom_count(),
        frames,
        upload_and_draw_millis: upload_and_draw,
        with_readback_millis: with_readback,
        select_and_draw_millis: select_and_draw,
        draw_only_millis: draw_only,
        scene_build_millis: scene_build,
        uploaded_bytes_per_frame: uploaded,
        achieved_upload_gb_per_sec: uploaded as f64 / (upload_and_draw / 1000.0).max(1e-12) / 1e9,
    })
}

/// The scenes of the structure and of its `shifted` copy, the second rebuilt into the buffers of a
/// scene shown before as the window does, and that rebuild's milliseconds.
fn alternating_scenes(
    structure: &sigmascope::structure::Structure,
    shifted: &[[f32; 3]],
) -> ([Scene; 2], f64) {
    let options = SceneOptions::default();
    let positions = &structure.positions;
    let first = build_scene(structure, positions, positions, None, &options);
    let recycled = build_scene(structure, positions, positions, None, &options);
    let start = Instant::now();
    let second =
        sigmascope::render::rebuild_scene(recycled, structure, shifted, positions, None, &options);
    let scene_build = start.elapsed().as_secs_f64() * 1000.0;
    ([first, second], scene_build)
}

/// Submits a draw and waits for the GPU.
fn draw_and_wait(gpu: &sigmascope::compute::WgpuHandles, renderer: &SceneRenderer) {
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    renderer.draw(&mut encoder);
    gpu.queue.submit([encoder.finish()]);
    gpu.device
        .poll(burn::tensor::wgpu::wgpu::PollType::wait_indefinitely())
        .ok();
}

/// Two alternating frames: their points, scenes and the camera.
struct Kept<'a> {
    points: [&'a [[f32; 3]]; 2],
    scenes: &'a [Scene; 2],
    camera: &'a OrbitCamera,
}

/// Milliseconds a frame when each frame's rows lie where a sampler on this device records them (rows
/// [3, N] in burn's buffers) and are bound, not uploaded, before the draw.
fn time_select_and_draw(
    gpu: &sigmascope::compute::WgpuHandles,
    device: &burn::tensor::Device,
    renderer: &mut SceneRenderer,
    kept: &Kept<'_>,
    frames: usize,
) -> anyhow::Result<f64> {
    let rows = kept.points.map(|points| {
        let rows = sigmascope::geometry::rows_tensor(points, device);
        sigmascope::compute::DeviceRows::keep(&rows, sigmascope::compute::CoordinateLayout::Rows)
    });
    let [Some(a), Some(b)] = rows else {
        anyhow::bail!("burn's rows on the bench device are not contiguous f32 rows");
    };
    let rows = [a, b];
    let select = |renderer: &mut SceneRenderer, k: usize| -> anyhow::Result<()> {
        let slice = rows[k % 2].wgpu_slice().map_err(anyhow::Error::msg)?;
        renderer.select_atom_rows(
            &gpu.device,
            &gpu.queue,
            Some(AtomRows::mapped(
                slice,
                &sigmascope::geometry::RigidTransform::IDENTITY,
            )),
        )?;
        renderer.upload_keeping_atoms(&gpu.device, &gpu.queue, &kept.scenes[k % 2], kept.camera);
        draw_and_wait(gpu, renderer);
        Ok(())
    };
    for k in 0..2 {
        select(renderer, k)?;
    }
    anyhow::ensure!(
        renderer.draws_atoms_from_rows(),
        "the renderer did not take the rows"
    );
    let start = Instant::now();
    for k in 0..frames {
        select(renderer, k)?;
    }
    Ok(start.elapsed().as_secs_f64() * 1000.0 / frames.max(1) as f64)
}

/// Times `frames` frames at each atom count and prints the JSON.
pub fn run(atoms: &[usize], frames: usize, size: &str) -> anyhow::Result<()> {
    let size = sigmascope::cli::render::parse_size(size)?;
    let gpu = sigmascope::compute::open_wgpu_device()?;
    // burn on the renderer's own device, as the window shares it, for the frames kept there.
    let burn_device = sigmascope::compute::ComputeDevice::from_wgpu(
        gpu.instance.clone(),
        gpu.adapter.clone(),
        gpu.device.clone(),
        gpu.queue.clone(),
    );
    if let Err(e) = &burn_device {
        eprintln!("note: select_and_draw skipped: {e}");
    }
    let burn_device = burn_device.ok().map(|d| d.device);
    let timings = atoms
        .iter()
        .map(|&n| time_render(&gpu, burn_device.as_ref(), n, frames, size))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let json = serde_json::json!({
        "benchmark": "render",
        "adapter": gpu.adapter.get_info().name,
        "size": size,
        "frame": "new coordinates uploaded (queue.write_buffer) + impostor spheres drawn + wait for the GPU",
        "select_and_draw": "a recorded frame's rows in burn's buffer bound (no upload) + drawn + wait",
        "timings": timings,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
