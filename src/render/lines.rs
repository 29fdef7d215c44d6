//! The line pipelines of `shaders/lines.wgsl`: trace, arrows and bonds depth-tested, and the residue
//! outline drawn over everything (it must show through the atoms around it).

use std::ops::Range;

use burn::tensor::wgpu::wgpu;

use super::error::RenderError;
use super::pipeline::{GrowingBuffer, ScenePipelineSpec, scene_pipeline, shader_module, stride_of};
use super::scene::LineVertex;

/// Depth-tested and overlay line pipelines sharing one vertex buffer.
pub(super) struct LinePipelines {
    depth_tested: wgpu::RenderPipeline,
    overlay: wgpu::RenderPipeline,
    vertices: GrowingBuffer,
}

impl LinePipelines {
    pub fn new(device: &wgpu::Device, layout: &wgpu::PipelineLayout) -> Result<Self, RenderError> {
        let module = shader_module(device, "lines.wgsl")?;
        let spec = |label, depth_compare| ScenePipelineSpec {
            label,
            module: &module,
            stride: stride_of::<LineVertex>(),
            step: wgpu::VertexStepMode::Vertex,
            topology: wgpu::PrimitiveTopology::LineList,
            depth_write: false,
            depth_compare,
            blend: Some(wgpu::BlendState::ALPHA_BLENDING),
        };
        Ok(Self {
            depth_tested: scene_pipeline(
                device,
                layout,
                &spec("lines", wgpu::CompareFunction::LessEqual),
            ),
            overlay: scene_pipeline(
                device,
                layout,
                &spec("overlay lines", wgpu::CompareFunction::Always),
            ),
            vertices: GrowingBuffer::new(device, "lines"),
        })
    }

    pub fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, vertices: &[LineVertex]) {
        self.vertices.write(
            device,
            queue,
            bytemuck::cast_slice::<LineVertex, u8>(vertices),
        );
    }

    pub fn draw_depth_tested(&self, pass: &mut wgpu::RenderPass<'_>, vertices: Range<u32>) {
        self.draw(pass, &self.depth_tested, vertices);
    }

    pub fn draw_overlay(&self, pass: &mut wgpu::RenderPass<'_>, vertices: Range<u32>) {
        self.draw(pass, &self.overlay, vertices);
    }

    fn draw(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipeline: &wgpu::RenderPipeline,
        vertices: Range<u32>,
    ) {
        if !vertices.is_empty() {
            pass.set_pipeline(pipeline);
            pass.set_vertex_buffer(0, self.vertices.buffer.slice(..));
            pass.draw(vertices, 0..1);
        }
    }
}
