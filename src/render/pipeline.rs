//! What every pipeline of the renderer shares: shader modules (a missing file is an error), the camera
//! bind group, vertex layouts whose stride is the instance type's size, and buffers that grow.

use burn::tensor::wgpu::wgpu;
use wgpu::util::DeviceExt as _;

use super::camera::OrbitCamera;
use super::error::RenderError;
use super::shaders::shader_source;

/// Offscreen color format: not sRGB, colors are written in gamma space (egui's targets are not sRGB either).
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Offscreen depth format.
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// The shader module of `path` under `shaders/` (its includes resolved).
pub(super) fn shader_module(
    device: &wgpu::Device,
    path: &'static str,
) -> Result<wgpu::ShaderModule, RenderError> {
    let source = shader_source(path).ok_or(RenderError::MissingShader(path))?;
    Ok(device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(path),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    }))
}

/// Two vec4 attributes per vertex or instance: the layout of `SphereInstance` and `LineVertex`.
pub(super) const VEC4_PAIR: [wgpu::VertexAttribute; 2] =
    wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x4];

/// The stride of a vertex buffer of `T`.
pub(super) fn stride_of<T>() -> wgpu::BufferAddress {
    std::mem::size_of::<T>() as wgpu::BufferAddress
}

/// How one scene pipeline differs from the others.
pub(super) struct ScenePipelineSpec<'a> {
    pub label: &'a str,
    pub module: &'a wgpu::ShaderModule,
    pub stride: wgpu::BufferAddress,
    pub step: wgpu::VertexStepMode,
    pub topology: wgpu::PrimitiveTopology,
    pub depth_write: bool,
    pub depth_compare: wgpu::CompareFunction,
    pub blend: Option<wgpu::BlendState>,
}

/// A pipeline drawing into the offscreen color + depth targets with the camera at group 0.
pub(super) fn scene_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    spec: &ScenePipelineSpec<'_>,
) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(spec.label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module: spec.module,
            entry_point: Some("vs_main"),
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: spec.stride,
                step_mode: spec.step,
                attributes: &VEC4_PAIR,
            })],
            compilation_options: Default::default(),
        },
        primitive: wgpu::PrimitiveState {
            topology: spec.topology,
            ..Default::default()
        },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(spec.depth_write),
            depth_compare: Some(spec.depth_compare),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module: spec.module,
            entry_point: Some("fs_main"),
            targets: &[Some(wgpu::ColorTargetState {
                format: COLOR_FORMAT,
                blend: spec.blend,
                write_mask: wgpu::ColorWrites::ALL,
            })],
            compilation_options: Default::default(),
        }),
        multiview_mask: None,
        cache: None,
    })
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct CameraUniform {
    clip_from_world: [[f32; 4]; 4],
    view_from_world: [[f32; 4]; 4],
    clip_from_view: [[f32; 4]; 4],
    light_in_view: [f32; 4],
}

/// The camera uniform and its bind group (group 0 of every scene pipeline).
pub(super) struct CameraBinding {
    buffer: wgpu::Buffer,
    pub bind_group: wgpu::BindGroup,
    /// Its layout (group 0 of every scene pipeline layout).
    pub layout: wgpu::BindGroupLayout,
    /// The layout scene pipelines are made with.
    pub pipeline_layout: wgpu::PipelineLayout,
}

impl CameraBinding {
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("camera"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("camera"),
            contents: bytemuck::bytes_of(&<CameraUniform as bytemuck::Zeroable>::zeroed()),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("camera"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: buffer.as_entire_binding(),
            }],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        Self {
            buffer,
            bind_group,
            layout,
            pipeline_layout,
        }
    }

    /// Writes the camera for a target of `aspect` and a scene of `radius`.
    pub fn write(&self, queue: &wgpu::Queue, camera: &OrbitCamera, aspect: f32, radius: f32) {
        let view_from_world = camera.view_from_world();
        let clip_from_view = camera.clip_from_view(aspect, radius);
        let uniform = CameraUniform {
            clip_from_world: (clip_from_view * view_from_world).to_cols_array_2d(),
            view_from_world: view_from_world.to_cols_array_2d(),
            clip_from_view: clip_from_view.to_cols_array_2d(),
            light_in_view: [0.3, 0.5, 1.0, 0.0],
        };
        queue.write_buffer(&self.buffer, 0, bytemuck::bytes_of(&uniform));
    }
}

/// A vertex/instance buffer that grows (never shrinks) to fit what is written.
pub(super) struct GrowingBuffer {
    pub buffer: wgpu::Buffer,
    capacity: u64,
    label: &'static str,
}

impl GrowingBuffer {
    pub fn new(device: &wgpu::Device, label: &'static str) -> Self {
        Self {
            buffer: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: 1024,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            capacity: 1024,
            label,
        }
    }

    pub fn write(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, bytes: &[u8]) {
        let needed = bytes.len() as u64;
        if needed > self.capacity {
            self.capacity = needed.next_power_of_two();
            self.buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(self.label),
                size: self.capacity,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
        }
        if needed > 0 {
            queue.write_buffer(&self.buffer, 0, bytes);
        }
    }
}
