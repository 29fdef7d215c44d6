//! The sphere impostor pipelines of `shaders/spheres.wgsl`: one instance per atom or centroid, a
//! camera-facing quad each; opaque spheres write depth, translucent ones (ghost, centroids) blend over.

use burn::tensor::wgpu::wgpu;

use super::error::RenderError;
use super::pipeline::{GrowingBuffer, ScenePipelineSpec, scene_pipeline, shader_module, stride_of};
use super::scene::SphereInstance;

/// Opaque and translucent sphere pipelines with their instance buffers.
pub(super) struct SpherePipelines {
    opaque_pipeline: wgpu::RenderPipeline,
    translucent_pipeline: wgpu::RenderPipeline,
    opaque: GrowingBuffer,
    translucent: GrowingBuffer,
}

impl SpherePipelines {
    pub fn new(device: &wgpu::Device, layout: &wgpu::PipelineLayout) -> Result<Self, RenderError> {
        let module = shader_module(device, "spheres.wgsl")?;
        let spec = |label, depth_write, blend| ScenePipelineSpec {
            label,
            module: &module,
            stride: stride_of::<SphereInstance>(),
            step: wgpu::VertexStepMode::Instance,
            topology: wgpu::PrimitiveTopology::TriangleStrip,
            depth_write,
            depth_compare: wgpu::CompareFunction::LessEqual,
            blend,
        };
        Ok(Self {
            opaque_pipeline: scene_pipeline(device, layout, &spec("spheres opaque", true, None)),
            translucent_pipeline: scene_pipeline(
                device,
                layout,
                &spec(
                    "spheres translucent",
                    false,
                    Some(wgpu::BlendState::ALPHA_BLENDING),
                ),
            ),
            opaque: GrowingBuffer::new(device, "opaque spheres"),
            translucent: GrowingBuffer::new(device, "translucent spheres"),
        })
    }

    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        opaque: &[SphereInstance],
        translucent: &[SphereInstance],
    ) {
        self.opaque.write(
            device,
            queue,
            bytemuck::cast_slice::<SphereInstance, u8>(opaque),
        );
        self.translucent.write(
            device,
            queue,
            bytemuck::cast_slice::<SphereInstance, u8>(translucent),
        );
    }

    pub fn draw_opaque(&self, pass: &mut wgpu::RenderPass<'_>, count: u32) {
        if count > 0 {
            pass.set_pipeline(&self.opaque_pipeline);
            pass.set_vertex_buffer(0, self.opaque.buffer.slice(..));
            pass.draw(0..4, 0..count);
        }
    }

    /// The opaque instances (the atoms when the atom layer is on).
    pub fn opaque_instances(&self) -> &wgpu::Buffer {
        &self.opaque.buffer
    }

    pub fn draw_translucent(&self, pass: &mut wgpu::RenderPass<'_>, count: u32) {
        if count > 0 {
            pass.set_pipeline(&self.translucent_pipeline);
            pass.set_vertex_buffer(0, self.translucent.buffer.slice(..));
            pass.draw(0..4, 0..count);
        }
    }
}
