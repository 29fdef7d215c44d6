//! The wgpu renderer: impostor spheres and lines into its own offscreen color + depth targets, then either
//! read back (headless PNG) or composited into egui's pass by a full-screen triangle. A new frame only
//! writes instance data; pipelines are made once and buffers grow only when a scene outgrows them.

use std::path::Path;

use burn::tensor::wgpu::wgpu;
use wgpu::util::DeviceExt as _;

use super::camera::OrbitCamera;
use super::scene::{LineVertex, Scene, SphereInstance};
use super::shaders::shader_source;
use crate::structure::{WriteError, write_atomic};

/// Offscreen color format: not sRGB, colors are written in gamma space (egui's targets are not sRGB either).
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Offscreen depth format.
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// Background of the 3D view.
pub const CLEAR_COLOR: wgpu::Color = wgpu::Color {
    r: 0.05,
    g: 0.05,
    b: 0.08,
    a: 1.0,
};

/// Why a headless render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Reading the image back failed.
    #[error("cannot read the rendered image back: {0}")]
    Readback(String),
    /// Writing the PNG failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Encoding the PNG failed.
    #[error("cannot encode the PNG: {0}")]
    Encode(String),
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct CameraUniform {
    clip_from_world: [[f32; 4]; 4],
    view_from_world: [[f32; 4]; 4],
    clip_from_view: [[f32; 4]; 4],
    light_in_view: [f32; 4],
}

/// A vertex/instance buffer that grows (never shrinks) to fit what is written.
struct GrowingBuffer {
    buffer: wgpu::Buffer,
    capacity: u64,
    label: &'static str,
}

impl GrowingBuffer {
    fn new(device: &wgpu::Device, label: &'static str) -> Self {
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

    fn write(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, bytes: &[u8]) {
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

/// Offscreen color + depth targets of one size, with the bind group the composite pass samples.
struct OffscreenTarget {
    size: [u32; 2],
    color: wgpu::Texture,
    color_view: wgpu::TextureView,
    depth_view: wgpu::TextureView,
    composite_bind_group: Option<wgpu::BindGroup>,
}

/// Long-lived GPU state of the 3D view.
pub struct SceneRenderer {
    opaque_pipeline: wgpu::RenderPipeline,
    translucent_pipeline: wgpu::RenderPipeline,
    line_pipeline: wgpu::RenderPipeline,
    overlay_pipeline: wgpu::RenderPipeline,
    composite_pipeline: Option<wgpu::RenderPipeline>,
    composite_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    camera_buffer: wgpu::Buffer,
    camera_bind_group: wgpu::BindGroup,
    opaque: GrowingBuffer,
    translucent: GrowingBuffer,
    lines: GrowingBuffer,
    /// Opaque spheres, translucent spheres, line vertices, and how many of the last line vertices
    /// are overlay (the residue outline, drawn over everything).
    counts: [u32; 4],
    target: Option<OffscreenTarget>,
}

fn module(device: &wgpu::Device, path: &str) -> wgpu::ShaderModule {
    let source = shader_source(path).unwrap_or_default();
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(path),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    })
}

const VEC4_PAIR: [wgpu::VertexAttribute; 2] =
    wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x4];

struct PipelineSpec<'a> {
    label: &'a str,
    module: &'a wgpu::ShaderModule,
    step: wgpu::VertexStepMode,
    topology: wgpu::PrimitiveTopology,
    depth_write: bool,
    depth_compare: wgpu::CompareFunction,
    blend: Option<wgpu::BlendState>,
}

fn pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    spec: &PipelineSpec<'_>,
) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(spec.label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module: spec.module,
            entry_point: Some("vs_main"),
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: 32,
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

impl SceneRenderer {
    /// Makes the pipelines; `composite_format` is egui's target format when the view is composited into egui.
    pub fn new(device: &wgpu::Device, composite_format: Option<wgpu::TextureFormat>) -> Self {
        let camera_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
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
        let camera_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("camera"),
            contents: bytemuck::bytes_of(&<CameraUniform as bytemuck::Zeroable>::zeroed()),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let camera_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("camera"),
            layout: &camera_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: camera_buffer.as_entire_binding(),
            }],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene"),
            bind_group_layouts: &[Some(&camera_layout)],
            immediate_size: 0,
        });
        let spheres = module(device, "spheres.wgsl");
        let lines = module(device, "lines.wgsl");
        let sphere_spec = |label, depth_write, blend| PipelineSpec {
            label,
            module: &spheres,
            step: wgpu::VertexStepMode::Instance,
            topology: wgpu::PrimitiveTopology::TriangleStrip,
            depth_write,
            depth_compare: wgpu::CompareFunction::LessEqual,
            blend,
        };
        let opaque_pipeline = pipeline(device, &layout, &sphere_spec("spheres opaque", true, None));
        let translucent_pipeline = pipeline(
            device,
            &layout,
            &sphere_spec(
                "spheres translucent",
                false,
                Some(wgpu::BlendState::ALPHA_BLENDING),
            ),
        );
        let line_spec = |label, depth_compare| PipelineSpec {
            label,
            module: &lines,
            step: wgpu::VertexStepMode::Vertex,
            topology: wgpu::PrimitiveTopology::LineList,
            depth_write: false,
            depth_compare,
            blend: Some(wgpu::BlendState::ALPHA_BLENDING),
        };
        let line_pipeline = pipeline(
            device,
            &layout,
            &line_spec("lines", wgpu::CompareFunction::LessEqual),
        );
        // The residue outline must show through the atoms around it.
        let overlay_pipeline = pipeline(
            device,
            &layout,
            &line_spec("overlay lines", wgpu::CompareFunction::Always),
        );
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let composite_pipeline = composite_format.map(|format| {
            let module = module(device, "composite.wgsl");
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("composite"),
                bind_group_layouts: &[Some(&composite_layout)],
                immediate_size: 0,
            });
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("composite"),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_main"),
                    buffers: &[],
                    compilation_options: Default::default(),
                },
                primitive: Default::default(),
                depth_stencil: None,
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_main"),
                    targets: &[Some(format.into())],
                    compilation_options: Default::default(),
                }),
                multiview_mask: None,
                cache: None,
            })
        });
        Self {
            opaque_pipeline,
            translucent_pipeline,
            line_pipeline,
            overlay_pipeline,
            composite_pipeline,
            composite_layout,
            sampler: device.create_sampler(&wgpu::SamplerDescriptor::default()),
            camera_buffer,
            camera_bind_group,
            opaque: GrowingBuffer::new(device, "opaque spheres"),
            translucent: GrowingBuffer::new(device, "translucent spheres"),
            lines: GrowingBuffer::new(device, "lines"),
            counts: [0; 4],
            target: None,
        }
    }

    /// (Re)creates the offscreen targets when the size changes.
    pub fn ensure_target(&mut self, device: &wgpu::Device, size: [u32; 2]) {
        let size = [size[0].max(1), size[1].max(1)];
        if self.target.as_ref().is_some_and(|t| t.size == size) {
            return;
        }
        let extent = wgpu::Extent3d {
            width: size[0],
            height: size[1],
            depth_or_array_layers: 1,
        };
        let texture = |label, format, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: extent,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let color = texture(
            "scene color",
            COLOR_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
        );
        let depth = texture(
            "scene depth",
            DEPTH_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        let color_view = color.create_view(&Default::default());
        let composite_bind_group = self.composite_pipeline.as_ref().map(|_| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("composite"),
                layout: &self.composite_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&color_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Sampler(&self.sampler),
                    },
                ],
            })
        });
        self.target = Some(OffscreenTarget {
            size,
            depth_view: depth.create_view(&Default::default()),
            color_view,
            color,
            composite_bind_group,
        });
    }

    /// Writes the camera and the scene's instances (the only per-frame GPU work besides drawing).
    pub fn upload(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        camera: &OrbitCamera,
    ) {
        let aspect = self
            .target
            .as_ref()
            .map_or(1.0, |t| t.size[0] as f32 / t.size[1] as f32);
        let view_from_world = camera.view_from_world();
        let clip_from_view = camera.clip_from_view(aspect, scene.radius);
        let uniform = CameraUniform {
            clip_from_world: (clip_from_view * view_from_world).to_cols_array_2d(),
            view_from_world: view_from_world.to_cols_array_2d(),
            clip_from_view: clip_from_view.to_cols_array_2d(),
            light_in_view: [0.3, 0.5, 1.0, 0.0],
        };
        queue.write_buffer(&self.camera_buffer, 0, bytemuck::bytes_of(&uniform));
        self.opaque.write(
            device,
            queue,
            bytemuck::cast_slice::<SphereInstance, u8>(&scene.opaque_spheres),
        );
        self.translucent.write(
            device,
            queue,
            bytemuck::cast_slice::<SphereInstance, u8>(&scene.translucent_spheres),
        );
        self.lines.write(
            device,
            queue,
            bytemuck::cast_slice::<LineVertex, u8>(&scene.lines),
        );
        self.counts = [
            scene.opaque_spheres.len() as u32,
            scene.translucent_spheres.len() as u32,
            scene.lines.len() as u32,
            2 * scene.counts.outline as u32,
        ];
    }

    /// Draws the uploaded scene into the offscreen targets: opaque spheres, lines, translucent spheres,
    /// then the overlay lines.
    pub fn draw(&self, encoder: &mut wgpu::CommandEncoder) {
        let Some(target) = &self.target else {
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
        pass.set_bind_group(0, &self.camera_bind_group, &[]);
        let [opaque, translucent, lines, overlay] = self.counts;
        let depth_tested_lines = lines - overlay;
        if opaque > 0 {
            pass.set_pipeline(&self.opaque_pipeline);
            pass.set_vertex_buffer(0, self.opaque.buffer.slice(..));
            pass.draw(0..4, 0..opaque);
        }
        if depth_tested_lines > 0 {
            pass.set_pipeline(&self.line_pipeline);
            pass.set_vertex_buffer(0, self.lines.buffer.slice(..));
            pass.draw(0..depth_tested_lines, 0..1);
        }
        if translucent > 0 {
            pass.set_pipeline(&self.translucent_pipeline);
            pass.set_vertex_buffer(0, self.translucent.buffer.slice(..));
            pass.draw(0..4, 0..translucent);
        }
        if overlay > 0 {
            pass.set_pipeline(&self.overlay_pipeline);
            pass.set_vertex_buffer(0, self.lines.buffer.slice(..));
            pass.draw(depth_tested_lines..lines, 0..1);
        }
    }

    /// Composites the offscreen color into egui's pass (a full-screen triangle over the callback's rect).
    pub fn composite(&self, pass: &mut wgpu::RenderPass<'static>) {
        let (Some(pipeline), Some(Some(bind_group))) = (
            &self.composite_pipeline,
            self.target.as_ref().map(|t| &t.composite_bind_group),
        ) else {
            return;
        };
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }

    /// Copies the offscreen color into tightly packed RGBA rows.
    pub fn read_color(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
    ) -> Result<Vec<u8>, RenderError> {
        let target = self
            .target
            .as_ref()
            .ok_or_else(|| RenderError::Readback("no target".to_owned()))?;
        let [width, height] = target.size;
        let padded = (width * 4).div_ceil(256) * 256;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: u64::from(padded * height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = device.create_command_encoder(&Default::default());
        encoder.copy_texture_to_buffer(
            target.color.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(height),
                },
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
        queue.submit([encoder.finish()]);
        let slice = buffer.slice(..);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            sender.send(r).ok();
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        receiver
            .recv()
            .map_err(|e| RenderError::Readback(e.to_string()))?
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mapped = slice
            .get_mapped_range()
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for row in mapped.chunks_exact(padded as usize) {
            rgba.extend_from_slice(&row[..(width * 4) as usize]);
        }
        drop(mapped);
        buffer.unmap();
        Ok(rgba)
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
    let mut renderer = SceneRenderer::new(device, None);
    renderer.ensure_target(device, size);
    renderer.upload(device, queue, scene, camera);
    let mut encoder = device.create_command_encoder(&Default::default());
    renderer.draw(&mut encoder);
    queue.submit([encoder.finish()]);
    renderer.read_color(device, queue)
}

/// Encodes RGBA8 rows as a PNG and writes it atomically.
pub fn write_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<(), RenderError> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| RenderError::Encode(e.to_string()))?;
        writer
            .write_image_data(rgba)
            .map_err(|e| RenderError::Encode(e.to_string()))?;
    }
    write_atomic(path, &bytes, &[])?;
    Ok(())
}
