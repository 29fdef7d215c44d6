//! The wgpu renderer: the sphere and line pipelines draw a scene into offscreen color + depth targets,
//! which are then read back (headless PNG) or composited into egui's pass. A new frame only writes
//! instance data; pipelines are made once and buffers grow only when a scene outgrows them.

use burn::tensor::wgpu::wgpu;

use super::atom_rows::{AtomRows, AtomRowsPipeline};
use super::camera::OrbitCamera;
use super::composite::CompositePipeline;
use super::error::RenderError;
use super::lines::LinePipelines;
use super::pipeline::CameraBinding;
use super::readback::read_rgba;
use super::scene::Scene;
use super::spheres::SpherePipelines;
use super::targets::OffscreenTarget;

/// Background of the 3D view.
pub const CLEAR_COLOR: wgpu::Color = wgpu::Color {
    r: 0.05,
    g: 0.05,
    b: 0.08,
    a: 1.0,
};

/// What the last upload asks each pipeline to draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrawCounts {
    /// Opaque sphere instances.
    pub opaque_spheres: u32,
    /// Translucent sphere instances.
    pub translucent_spheres: u32,
    /// Line vertices in all (two per segment).
    pub line_vertices: u32,
    /// How many of the last line vertices are overlay (the residue outline, drawn over everything).
    pub overlay_line_vertices: u32,
}

impl DrawCounts {
    /// The counts of `scene`.
    pub fn of(scene: &Scene) -> Self {
        let line_vertices = scene.lines.len() as u32;
        Self {
            opaque_spheres: scene.opaque_spheres.len() as u32,
            translucent_spheres: scene.translucent_spheres.len() as u32,
            line_vertices,
            overlay_line_vertices: (2 * scene.counts.outline as u32).min(line_vertices),
        }
    }

    /// Line vertices drawn with the depth test.
    pub fn depth_tested_line_vertices(&self) -> u32 {
        self.line_vertices - self.overlay_line_vertices
    }
}

/// Long-lived GPU state of the 3D view.
pub struct SceneRenderer {
    camera: CameraBinding,
    spheres: SpherePipelines,
    atom_rows: AtomRowsPipeline,
    lines: LinePipelines,
    composite: Option<CompositePipeline>,
    counts: DrawCounts,
    target: Option<(OffscreenTarget, Option<wgpu::BindGroup>)>,
}

impl SceneRenderer {
    /// Makes the pipelines; `composite_format` is egui's target format when the view is composited
    /// into egui.
    pub fn new(
        device: &wgpu::Device,
        composite_format: Option<wgpu::TextureFormat>,
    ) -> Result<Self, RenderError> {
        let camera = CameraBinding::new(device);
        Ok(Self {
            spheres: SpherePipelines::new(device, &camera.pipeline_layout)?,
            atom_rows: AtomRowsPipeline::new(device, &camera.layout)?,
            lines: LinePipelines::new(device, &camera.pipeline_layout)?,
            composite: composite_format
                .map(|format| CompositePipeline::new(device, format))
                .transpose()?,
            camera,
            counts: DrawCounts::default(),
            target: None,
        })
    }

    /// (Re)creates the offscreen targets when the size changes.
    pub fn ensure_target(&mut self, device: &wgpu::Device, size: [u32; 2]) {
        let size = [size[0].max(1), size[1].max(1)];
        if self.target.as_ref().is_some_and(|(t, _)| t.size == size) {
            return;
        }
        let target = OffscreenTarget::new(device, size);
        let bind_group = self
            .composite
            .as_ref()
            .map(|c| c.bind(device, &target.color_view));
        self.target = Some((target, bind_group));
    }

    /// Writes the camera and the scene's instances (the only per-frame GPU work besides drawing).
    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        camera: &OrbitCamera,
    ) {
        self.write(device, queue, scene, camera, true);
    }

    /// [`upload`](Self::upload) but for the atom spheres, which keep the radii and colors last
    /// uploaded: for a scene whose atoms differ from the last one's only where they are, drawn
    /// from rows ([`select_atom_rows`](Self::select_atom_rows)).
    pub fn upload_keeping_atoms(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        camera: &OrbitCamera,
    ) {
        self.write(device, queue, scene, camera, false);
    }

    fn write(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        camera: &OrbitCamera,
        atoms: bool,
    ) {
        let aspect = self.target.as_ref().map_or(1.0, |(t, _)| t.aspect());
        self.camera.write(queue, camera, aspect, scene.radius);
        let opaque = if atoms {
            &scene.opaque_spheres[..]
        } else {
            &[]
        };
        self.spheres
            .upload(device, queue, opaque, &scene.translucent_spheres);
        self.lines.upload(device, queue, &scene.lines);
        let opaque_spheres = self.counts.opaque_spheres;
        self.counts = DrawCounts::of(scene);
        if !atoms {
            self.counts.opaque_spheres = opaque_spheres;
        }
    }

    /// Draws the atom spheres where `rows` lie (a recorded frame in burn's buffer on this device)
    /// instead of at the uploaded positions, until another call; none draws the uploaded ones. Rows
    /// of another atom count than the uploaded atom spheres are not drawn from.
    pub fn select_atom_rows(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        rows: Option<AtomRows>,
    ) -> Result<(), RenderError> {
        self.atom_rows.bind(device, queue, rows)
    }

    /// Whether the atom spheres are drawn from rows now.
    pub fn draws_atoms_from_rows(&self) -> bool {
        self.atom_rows.bound_atoms() == Some(self.counts.opaque_spheres as usize)
            && self.counts.opaque_spheres > 0
    }

    /// Draws the uploaded scene into the offscreen targets: opaque spheres, lines, translucent spheres,
    /// then the overlay lines.
    pub fn draw(&self, encoder: &mut wgpu::CommandEncoder) {
        let Some((target, _)) = &self.target else {
            return;
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("scene"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &target.color_view,
                resolve_target: None,
                depth_slice: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(CLEAR_COLOR),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &target.depth_view,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Store,
                }),
                stencil_ops: None,
            }),
            ..Default::default()
        });
        pass.set_bind_group(0, &self.camera.bind_group, &[]);
        let c = self.counts;
        let depth_tested = c.depth_tested_line_vertices();
        if self.draws_atoms_from_rows() {
            self.atom_rows
                .draw(&mut pass, self.spheres.opaque_instances(), c.opaque_spheres);
            pass.set_bind_group(0, &self.camera.bind_group, &[]);
        } else {
            self.spheres.draw_opaque(&mut pass, c.opaque_spheres);
        }
        self.lines.draw_depth_tested(&mut pass, 0..depth_tested);
        self.spheres
            .draw_translucent(&mut pass, c.translucent_spheres);
        self.lines
            .draw_overlay(&mut pass, depth_tested..c.line_vertices);
    }

    /// Composites the offscreen color into egui's pass (a full-screen triangle over the callback's rect).
    pub fn composite(&self, pass: &mut wgpu::RenderPass<'static>) {
        if let (Some(composite), Some((_, Some(bind_group)))) = (&self.composite, &self.target) {
            composite.draw(pass, bind_group);
        }
    }

    /// Copies the offscreen color into tightly packed RGBA rows.
    pub fn read_color(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
    ) -> Result<Vec<u8>, RenderError> {
        let (target, _) = self
            .target
            .as_ref()
            .ok_or_else(|| RenderError::Readback("no target".to_owned()))?;
        read_rgba(device, queue, &target.color, target.size)
    }
}

/// Renders a scene offscreen at `size` and returns tightly packed RGBA8 rows (the app's code path).
pub fn render_headless(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    scene: &Scene,
    camera: &OrbitCamera,
    size: [u32; 2],
) -> Result<Vec<u8>, RenderError> {
    let mut renderer = SceneRenderer::new(device, None)?;
    renderer.ensure_target(device, size);
    renderer.upload(device, queue, scene, camera);
    let mut encoder = device.create_command_encoder(&Default::default());
    renderer.draw(&mut encoder);
    queue.submit([encoder.finish()]);
    renderer.read_color(device, queue)
}

#[cfg(test)]
mod tests {
    use crate::render::{LineVertex, SphereInstance};

    #[test]
    fn vertex_strides_are_the_instance_types_sizes() {
        // Both layouts carry two vec4 attributes; a field added to either type must move the stride.
        assert_eq!(super::super::pipeline::stride_of::<SphereInstance>(), 32);
        assert_eq!(super::super::pipeline::stride_of::<LineVertex>(), 32);
    }

    #[test]
    fn every_pipeline_shader_is_compiled_in() {
        for path in ["spheres.wgsl", "lines.wgsl", "composite.wgsl"] {
            assert!(crate::render::shader_source(path).is_some(), "{path}");
        }
        assert!(crate::render::shader_source("nope.wgsl").is_none());
    }
}
